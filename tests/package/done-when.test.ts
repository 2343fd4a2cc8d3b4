/**
 * Issue 10's "done when", as a new user would try it: the tarball `npm pack` makes, installed with
 * typescript and tsx in a fresh `"type": "module"` project with `tsc --init`'s strict defaults.
 * The README's hello app typechecks, `gantry run` prints 49, `gantry synth --stack dev` works, and
 * a CommonJS project gets one line saying what to change. The tarball ships no tests, fixtures,
 * CI files or TypeScript sources (declaration files only).
 * Needs the npm registry (npm install of the tarball's dependencies).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type SpawnSyncOptions } from "node:child_process";
import { createRequire } from "node:module";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureBuilt, ROOT } from "./built.ts";

const HELLO = `import { App } from "gantry";

export const app = new App("hello-gantry");

export const square = app.function({ timeout: 60, retries: 2 }, async (x: number) => x * x);

export const main = app.localEntrypoint(async () => {
  console.log(\`7² = \${await square.remote(7)}\`);   // 49
  console.log(await square.map([1, 2, 3, 4, 5]));  // [ 1, 4, 9, 16, 25 ]
});
`;

function sh(cmd: string, args: string[], options: SpawnSyncOptions = {}) {
  // the tests' own --conditions=gantry-source must not reach a user's project
  const env = { ...process.env, NODE_OPTIONS: "", NO_COLOR: "1", npm_config_audit: "false", npm_config_fund: "false", npm_config_update_notifier: "false" };
  const r = spawnSync(cmd, args, { encoding: "utf8", env, timeout: 600_000, maxBuffer: 64 << 20, ...options });
  return { status: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
}

function ok(r: { status: number | null; stdout: string; stderr: string }, what: string) {
  assert.equal(r.status, 0, `${what} failed:\n${r.stdout}\n${r.stderr}`);
  return r;
}

test("from npm pack: a new user's project typechecks, runs and synthesizes the hello app", async () => {
  ensureBuilt();
  const packs = mkdtempSync(join(tmpdir(), "gantry-pack-"));
  // dist/ is built above; --ignore-scripts: `prepare` would rebuild it while other tests use it
  const packed = ok(sh("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", packs], { cwd: ROOT }), "npm pack");
  const [info] = JSON.parse(packed.stdout) as Array<{ filename: string; size: number; unpackedSize: number; files: Array<{ path: string }> }>;
  const tarball = join(packs, info.filename);
  const paths = info.files.map((f) => f.path);
  const unwanted = paths.filter((p) => /^(tests|bench|examples|scripts|\.ci)\//.test(p) || /(^|\/)fixtures\//.test(p) || (p.endsWith(".ts") && !p.endsWith(".d.ts")));
  assert.deepEqual(unwanted, [], "the tarball ships only what users need");
  assert.ok(paths.includes("dist/sdk/index.js") && paths.includes("dist/sdk/index.d.ts") && paths.includes("cli/bin.mjs"), paths.slice(0, 20).join(", "));
  assert.ok(paths.includes("policy/PulumiPolicy.yaml") && paths.includes("policy/pulumi-pack.cjs"));
  console.log(`tarball ${info.filename}: ${(statSync(tarball).size / 1024).toFixed(0)} kB packed, ${(info.unpackedSize / 1024).toFixed(0)} kB unpacked, ${paths.length} files`);

  const project = mkdtempSync(join(tmpdir(), "gantry-user-"));
  const inProject = { cwd: project };
  ok(sh("npm", ["init", "-y"], inProject), "npm init");
  ok(sh("npm", ["pkg", "set", "type=module"], inProject), "npm pkg set");
  ok(sh("npm", ["install", "--prefer-offline", tarball, "typescript", "tsx"], inProject), "npm install");
  ok(sh("npx", ["tsc", "--init"], inProject), "tsc --init");
  mkdirSync(join(project, "src"));
  writeFileSync(join(project, "src", "app.ts"), HELLO);

  ok(sh("npx", ["tsc", "--noEmit"], inProject), "tsc --noEmit (tsc --init's strict defaults)");

  const run = ok(sh("npx", ["gantry", "run", "src/app.ts"], inProject), "gantry run");
  assert.match(run.stdout, /7² = 49/);
  assert.match(run.stdout, /\[ 1, 4, 9, 16, 25 \]/);
  assert.doesNotMatch(run.stdout + run.stderr, /NodeVersion|node version|Node\.js version|ExperimentalWarning/i, "no start prints a Node version warning");

  const synth = ok(sh("npx", ["gantry", "synth", "src/app.ts", "--stack", "dev", "--json"], inProject), "gantry synth");
  const plan = JSON.parse(synth.stdout) as { spec: { app: { name: string } }; resources: Array<{ type: string; inputs: Record<string, unknown> }> };
  assert.equal(plan.spec.app.name, "hello-gantry");
  assert.ok(plan.resources.length > 0);
  assert.ok(!synth.stdout.includes("nodejs20.x"), "no plan contains nodejs20.x");
  assert.doesNotMatch(synth.stderr, /NodeVersion|Node\.js version/i);
  assert.ok(synth.stdout.includes("node:24-bookworm-slim"), "the image defaults to Node 24");
  // the container bundle esbuild made from the built package: the app module loads under Node
  const buildDir = join(project, ".gantry", "build", "hello-gantry", "dev");
  const [imageDir] = readdirSync(buildDir);
  assert.ok(existsSync(join(buildDir, imageDir, "main.mjs")), `no main.mjs in ${join(buildDir, imageDir)}`);
  ok(sh(process.execPath, ["--input-type=module", "-e", `await import(${JSON.stringify(pathToFileURL(join(buildDir, imageDir, "app.mjs")).href)})`], inProject), "import the bundled app");

  // the README's two-line Pulumi program: `gantry/pulumi` loads as plain JavaScript (no tsx)
  const program = ok(sh(process.execPath, ["--input-type=module", "-e", 'import { gantryProgram } from "gantry/pulumi"; console.log(typeof gantryProgram({ app: "src/app.ts" }))'], inProject), "import gantry/pulumi");
  assert.equal(program.stdout.trim(), "function");

  // the installed policy pack, started as Pulumi starts it: prints its port
  const packDir = join(project, "node_modules", "gantry", "policy");
  const runPolicyPack = createRequire(join(packDir, "package.json")).resolve("@pulumi/pulumi/cmd/run-policy-pack");
  const child = spawn(process.execPath, [runPolicyPack, "127.0.0.1:1", packDir], { cwd: packDir, env: { ...process.env, NODE_OPTIONS: "" }, stdio: ["ignore", "pipe", "pipe"] });
  try {
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    const port = await new Promise<string>((resolve, reject) => {
      child.stdout.once("data", (d) => resolve(String(d).trim()));
      child.once("exit", (code) => reject(new Error(`the installed pack exited (${code}): ${stderr}`)));
    });
    assert.match(port, /^\d+$/);
  } finally {
    child.kill();
  }

  // the same project as `npm init` leaves it: CommonJS
  ok(sh("npm", ["pkg", "set", "type=commonjs"], inProject), "npm pkg set");
  const cjs = sh("npx", ["gantry", "run", "src/app.ts"], inProject);
  assert.equal(cjs.status, 2, cjs.stdout + cjs.stderr);
  assert.equal(cjs.stderr, 'gantry: src/app.ts would load as CommonJS (package.json has "type": "commonjs"); gantry apps are ES modules: set "type": "module" in package.json (npm pkg set type=module), or name the file .mts\n');
  assert.ok(existsSync(join(project, "node_modules", "gantry", "policy", "pulumi-pack.cjs")));
});
