/**
 * Every diagnostic of a broken app, found in one run, each at its exact line:col, with a message
 * that says what to do. Fixtures under fixtures/broken/ are not type-checked (they are wrong on purpose).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { analyzeFixture, brief } from "../helpers.ts";
import type { Diagnostic } from "../../../synth/index.ts";

const everything = analyzeFixture("broken/everything");
const at = (where: string): Diagnostic => {
  const found = everything.diagnostics.find((d) => brief(d).endsWith(` ${where}`));
  assert.ok(found, `no diagnostic at ${where}`);
  return found;
};

test("all problems of an app in one run, sorted by file and position; no spec", () => {
  assert.equal(everything.spec, null);
  assert.deepEqual(everything.diagnostics.map(brief), [
    "GANTRY1800 app.ts:8:45", // unpinned apt package
    "GANTRY1800 app.ts:8:64", // unpinned pip package
    "GANTRY1800 app.ts:8:84", // unpinned npm package
    "GANTRY1200 app.ts:10:47", // a let binding
    "GANTRY1400 app.ts:11:47", // unknown GPU
    "GANTRY1500 app.ts:12:54", // invalid cron
    "GANTRY1501 app.ts:13:79", // invalid timezone
    "GANTRY1301 app.ts:14:40", // concurrencyLimit
    "GANTRY1301 app.ts:14:61", // containerIdleTimeout
    "GANTRY1301 app.ts:14:87", // keepWarm
    "GANTRY1301 app.ts:14:100", // allowConcurrentInputs
    "GANTRY1300 app.ts:15:36", // unknown option
    "GANTRY1302 app.ts:16:48", // timeout out of range
    "GANTRY1600 app.ts:18:7", // not exported
    "GANTRY1200 app.ts:20:48", // a function call
    "GANTRY1200 app.ts:20:91", // process.env
    "GANTRY1303 app.ts:22:12", // schedule on a class
    "GANTRY1702 app.ts:23:26", // maxInputs < maxBatchSize
    "GANTRY1701 app.ts:25:63", // batched parameter not an array
    "GANTRY1701 app.ts:26:69", // batched with two parameters
    "GANTRY1700 app.ts:30:3", // @method outside @app.cls
    "GANTRY1700 app.ts:31:3", // @enter outside @app.cls
    "GANTRY1700 app.ts:32:3", // @exit outside @app.cls
    "GANTRY1604 app.ts:36:7", // class not exported (warning)
    "GANTRY1706 app.ts:37:3", // snap hook without enableMemorySnapshot (warning)
    "GANTRY1400 app.ts:41:56", // unknown GPU in a variant
    "GANTRY1401 more.ts:5:17", // GPU count out of range
    "GANTRY1601 more.ts:6:14", // duplicate name
    "GANTRY1600 more.ts:8:14", // not exported from the app file
  ]);
  const warnings = everything.diagnostics.filter((d) => d.severity === "warning").map(brief);
  assert.deepEqual(warnings, ["GANTRY1800 app.ts:8:45", "GANTRY1800 app.ts:8:64", "GANTRY1800 app.ts:8:84", "GANTRY1604 app.ts:36:7", "GANTRY1706 app.ts:37:3"]);
});

test("a non-static value says why and what would make it static", () => {
  assert.match(at("app.ts:10:47").message, /option gpu must be static: `gpuChoice` is declared with `let`.*declare it with `const`/);
  assert.match(at("app.ts:20:48").message, /`Number\(process.env.TIMEOUT\)` is a function call.*move the value into a const with a literal value/);
  assert.match(at("app.ts:20:91").message, /environment variable.*use a Secret for credentials/);
});

test("unknown GPUs list the valid ones and suggest the closest", () => {
  const message = at("app.ts:11:47").message;
  assert.match(message, /unknown GPU "A10" \(did you mean "A10G"\?\)/);
  assert.match(message, /T4, L4, A10G, L40S, A100, A100-40GB, A100-80GB, H100, H200/);
});

test("cron and timezone messages name the wrong part", () => {
  assert.equal(at("app.ts:12:54").message, 'the hour field "25" is invalid: value 25 is out of range 0-23');
  assert.match(at("app.ts:13:79").message, /"Mars\/Olympus" is not a known IANA timezone/);
});

test("old Modal option names name the new ones", () => {
  assert.match(at("app.ts:14:40").message, /"concurrencyLimit" is Modal's old name: use maxContainers/);
  assert.match(at("app.ts:14:61").message, /use scaledownWindow/);
  assert.match(at("app.ts:14:87").message, /use minContainers/);
  assert.match(at("app.ts:14:100").message, /@concurrent/);
  assert.match(at("app.ts:15:36").message, /unknown option "timeuot" \(did you mean "timeout"\?\)/);
});

test("class mistakes", () => {
  assert.match(at("app.ts:22:12").message, /schedule is for functions, not classes/);
  assert.match(at("app.ts:23:26").message, /maxInputs \(4\) is smaller than maxBatchSize \(8\) of the @batched method embed/);
  assert.match(at("app.ts:25:63").message, /must be an array type/);
  assert.match(at("app.ts:26:69").message, /exactly one parameter/);
  assert.match(at("app.ts:30:3").message, /@method only works inside a class decorated with @app.cls/);
  assert.match(at("more.ts:6:14").message, /Scheduled is declared twice \(first at app.ts:24:14\)/);
  assert.match(at("more.ts:8:14").message, /add `export \{ helper \} from "\.\/more\.ts"`/);
});

test("a missing App", () => {
  const r = analyzeFixture("broken/no-app");
  assert.deepEqual(r.diagnostics.map(brief), ["GANTRY1100 app.ts:2:1"]);
  assert.equal(r.spec, null);
});

test("two Apps", () => {
  const r = analyzeFixture("broken/two-apps");
  assert.deepEqual(r.diagnostics.map(brief), ["GANTRY1101 app.ts:4:22"]);
  assert.match(r.diagnostics[0].message, /the first is at app.ts:3:20/);
});

test("an app name that is not a string literal", () => {
  const r = analyzeFixture("broken/app-name");
  assert.deepEqual(r.diagnostics.map(brief), ["GANTRY1102 app.ts:4:28"]);
  assert.match(r.diagnostics[0].message, /must be a string literal, e.g. new App\("my-app"\), not `NAME`/);
});

test("a syntax error", () => {
  const r = analyzeFixture("broken/syntax");
  assert.deepEqual(r.diagnostics.map(brief), ["GANTRY1002 app.ts:4:79"]);
  assert.match(r.diagnostics[0].message, /syntax error: '\)' expected/);
});

test("values the analysis cannot know: calls, packages, missing modules, cycles, typos, parameters, zod internals", () => {
  const r = analyzeFixture("broken/static");
  assert.deepEqual(r.diagnostics.map((d) => `${brief(d)} ${d.message.split(":")[1]?.trim().split(";")[0]}`), [
    "GANTRY1202 app.ts:11:24 `LOOP_B + 1` depends on itself through a cycle of consts",
    "GANTRY1200 app.ts:14:41 `pickGpu()` is a function call",
    "GANTRY1200 app.ts:15:48 `totalmem()` is a function call",
    'GANTRY1200 app.ts:15:75 the module "./missing.ts" of `LIMIT` cannot be found',
    "GANTRY1202 app.ts:16:48 `CONFIG.gpus` does not exist (no member `gpus`)",
    "GANTRY1602 app.ts:19:42 export const name = app.function(...)",
    "GANTRY1200 app.ts:22:26 `name` is a function parameter, known only when the function runs",
    "GANTRY1200 app.ts:25:59 `process` is Node's process object, known only when the code runs",
    "GANTRY1200 app.ts:31:63 `gpu` is a loop variable",
    'GANTRY1200 app.ts:34:29 zod\'s "constructor" is not read by the analysis',
  ]);
});
