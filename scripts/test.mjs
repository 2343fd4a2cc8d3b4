#!/usr/bin/env node
// Runs every tests/**/*.test.ts with Node's test runner (TypeScript through tsx), from the sources:
// the "gantry-source" condition makes `import "gantry"` (examples, fixtures) resolve to sdk/*.ts in
// every process the tests start, not to the built dist/ (see package.json exports).
// `npm test -- tests/synth` narrows to files under the given paths.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";

function collect(path, out) {
  if (statSync(path).isDirectory()) {
    for (const entry of readdirSync(path).sort()) {
      if (entry === "node_modules" || entry === "fixtures") continue;
      collect(join(path, entry), out);
    }
  } else if (path.endsWith(".test.ts")) out.push(path);
  return out;
}

const roots = process.argv.slice(2);
const files = (roots.length ? roots : ["tests"]).flatMap((r) => collect(r, []));
if (files.length === 0) {
  console.error("no test files found");
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  ["--import", "tsx", "--test", "--test-concurrency=2", "--test-timeout=300000", "--test-reporter=spec", ...files],
  { stdio: "inherit", env: { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --conditions=gantry-source`.trim() } },
);
process.exit(result.status ?? 1);
