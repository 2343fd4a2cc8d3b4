import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { commonJsAppProblem, commonJsProblemOf } from "../../cli/app-module.ts";

function project(pkg: object | null): string {
  const dir = mkdtempSync(join(tmpdir(), "gantry-cjs-"));
  if (pkg) writeFileSync(join(dir, "package.json"), JSON.stringify(pkg));
  mkdirSync(join(dir, "src"));
  writeFileSync(join(dir, "src", "app.ts"), 'import { App } from "gantry";\n');
  return dir;
}

test("an app in a \"type\": \"commonjs\" package gets one line naming the fix; ES module packages and untyped ones load", () => {
  const cjs = project({ name: "x", type: "commonjs" });
  assert.equal(commonJsAppProblem(join(cjs, "src/app.ts"), cjs),
    'src/app.ts would load as CommonJS (package.json has "type": "commonjs"); gantry apps are ES modules: set "type": "module" in package.json (npm pkg set type=module), or name the file .mts');
  assert.equal(commonJsAppProblem(join(cjs, "src/app.mts"), cjs), null);
  assert.match(commonJsAppProblem(join(cjs, "src/app.cts"), cjs)!, /is a CommonJS file/);
  const esm = project({ name: "x", type: "module" });
  assert.equal(commonJsAppProblem(join(esm, "src/app.ts"), esm), null);
  // no "type": Node's syntax detection loads a file with `import` as an ES module
  const untyped = project({ name: "x" });
  assert.equal(commonJsAppProblem(join(untyped, "src/app.ts"), untyped), null);
});

test("only the commands that load the app check it, and only an existing app file", () => {
  const cjs = project({ name: "x", type: "commonjs" });
  const app = join(cjs, "src/app.ts");
  assert.match(commonJsProblemOf(["node", "gantry", "run", app])!, /would load as CommonJS/);
  assert.match(commonJsProblemOf(["node", "gantry", "serve", "--port", "8000", app])!, /would load as CommonJS/);
  assert.equal(commonJsProblemOf(["node", "gantry", "synth", app, "--stack", "dev"]), null);
  assert.equal(commonJsProblemOf(["node", "gantry", "run", join(cjs, "src/missing.ts")]), null);
});
