// `gantry run app.ts::fn -- ...` reads a direct call's arguments as `modal run app.py::fn --x 3` does:
// by name or position, converted by the parameters' declared types (issue 14 item 8).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { callArguments } from "../../cli/commands/run-entry.ts";
import { UsageError } from "../../cli/main.ts";

const BIN = fileURLToPath(new URL("../../cli/bin.mjs", import.meta.url));
const FIXTURE = fileURLToPath(new URL("../runtime/fixtures/run-args.ts", import.meta.url));

const greet = [{ name: "name", type: "string" }, { name: "times", type: "number" }, { name: "loud", type: "boolean | undefined" }];

test("positional words are converted by the parameters' types", () => {
  assert.deepEqual(callArguments("add", [{ name: "a", type: "number" }, { name: "b", type: "number" }], ["2", "3"]), [2, 3]);
  assert.deepEqual(callArguments("greet", greet, ["ada", "2", "true"]), ["ada", 2, true]);
  assert.deepEqual(callArguments("big", [{ name: "n", type: "bigint" }], ["12345678901234567890"]), [12345678901234567890n]);
  assert.deepEqual(callArguments("sum", [{ name: "xs", type: "number[]" }, { name: "opts", type: "{ round: boolean }" }], ["[1,2]", '{"round":true}']), [[1, 2], { round: true }]);
  assert.deepEqual(callArguments("raw", [{ name: "x", type: "unknown" }], ["5"]), ["5"], "an unannotated parameter gets the string");
});

test("--name value, --name=value, --flag / --no-flag and kebab-case names, as Modal's CLI", () => {
  assert.deepEqual(callArguments("greet", greet, ["--times", "2", "--name=ada", "--loud"]), ["ada", 2, true]);
  assert.deepEqual(callArguments("greet", greet, ["--no-loud", "ada"]), ["ada", undefined, false]);
  assert.deepEqual(callArguments("greet", greet, ["ada"]), ["ada"], "missing trailing arguments are left out, so defaults apply");
  assert.deepEqual(callArguments("f", [{ name: "maxTokens", type: "number" }], ["--max-tokens", "64"]), [64]);
  assert.deepEqual(callArguments("f", [{ name: "first", type: "string" }, { name: "...rest", type: "number[]" }], ["a", "1", "2"]), ["a", 1, 2]);
});

test("what cannot be read is a usage error naming the parameter", () => {
  const usage = (params: typeof greet, words: string[], message: RegExp) =>
    assert.throws(() => callArguments("greet", params, words), (e: Error) => e instanceof UsageError && message.test(e.message));
  usage(greet, ["ada", "many"], /greet: times is a number, got "many"/);
  usage(greet, ["--nmae", "ada"], /greet has no parameter "nmae" \(parameters: name, times, loud\)/);
  usage(greet, ["--times"], /--times needs a value/);
  usage(greet, ["a", "1", "true", "extra"], /greet takes 3 arguments \(name, times, loud\), got 4/);
  usage(greet, ["--name", "a", "--name", "b"], /--name is given twice/);
});

test("gantry run app.ts::fn through the CLI: typed positional and named arguments, the result printed", () => {
  const run = (...args: string[]) => {
    const r = spawnSync(process.execPath, [BIN, "run", ...args], {
      encoding: "utf8",
      env: { ...process.env, NO_COLOR: "1", GANTRY_STATE_DIR: mkdtempSync(join(tmpdir(), "gantry-state-")), GANTRY_HOME: mkdtempSync(join(tmpdir(), "gantry-home-")) },
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const add = run(`${FIXTURE}::add`, "--", "2", "3");
  assert.deepEqual([add.code, add.stdout], [0, "5\n"], add.stderr);
  const greet = run(FIXTURE, "--entry", "greet", "--", "--name", "ada", "--times=2", "--loud");
  assert.deepEqual([greet.code, greet.stdout], [0, "HELLO ADA, HELLO ADA\n"], greet.stderr);
  const bad = run(`${FIXTURE}::add`, "--", "2", "three");
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /add: b is a number, got "three"/);
});
