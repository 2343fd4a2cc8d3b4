#!/usr/bin/env node
// `npm run build` (and `prepare`, so `npm pack`, a git install and `npm ci` here build too):
// gantry's sources compiled to dist/ (JavaScript + declaration files, tsconfig.build.json), then
// the policy pack folder's `gantry` dependency linked to this checkout (see policy/package.json).
import { spawnSync } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, rmSync, symlinkSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const tsc = join(dirname(createRequire(import.meta.url).resolve("typescript/package.json")), "bin", "tsc");

rmSync(join(root, "dist"), { recursive: true, force: true });
const result = spawnSync(process.execPath, [tsc, "-p", join(root, "tsconfig.build.json")], { stdio: "inherit" });
if (result.status !== 0) process.exit(result.status ?? 1);

// In this checkout the pack's `import "gantry/policy-pack"` resolves to the checkout itself, as
// `npm install` in policy/ would make it resolve to the published package (policy/node_modules/
// gantry -> ..); @pulumi/* resolve from the root's node_modules. An installed gantry has no
// policy/node_modules: there `gantry` is found in the project's node_modules.
if (existsSync(join(root, "sdk"))) {
  const link = join(root, "policy", "node_modules", "gantry");
  let present = false;
  try {
    present = lstatSync(link).isSymbolicLink();
  } catch {}
  if (!present) {
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(join("..", ".."), link, "junction");
  }
}
