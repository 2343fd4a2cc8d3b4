/**
 * Every example runs as a new user would run it: `npx gantry run examples/<name>/app.ts` on a fresh
 * state directory, exit 0, printing what the example promises.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { EXPECTED as expected } from "./expected.ts";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../..", import.meta.url));
const home = mkdtempSync(join(tmpdir(), "gantry-home-"));
const env = { ...process.env, GANTRY_HOME: home, GANTRY_STATE_DIR: mkdtempSync(join(tmpdir(), "gantry-state-")) };

async function gantry(...args: string[]) {
  return run(process.execPath, ["cli/bin.mjs", ...args], { cwd: root, env, timeout: 120_000, maxBuffer: 16 << 20 });
}

test("the llm-inference example's secret can be created as its header says", async () => {
  const { stdout } = await gantry("secret", "create", "huggingface-token", "HF_TOKEN=hf_dummy");
  assert.match(stdout, /created secret "huggingface-token"/);
});

for (const [name, patterns] of Object.entries(expected)) {
  test(`gantry run examples/${name}/app.ts`, async () => {
    const { stdout, stderr } = await gantry("run", `examples/${name}/app.ts`);
    const out = stdout + stderr;
    for (const p of patterns) assert.match(out, p, `expected ${p} in:\n${out}`);
  });
}

test("gantry run examples/caller/app.ts --with examples/model-class/app.ts (another app's class by name)", async () => {
  const { stdout, stderr } = await gantry("run", "examples/caller/app.ts", "--with", "examples/model-class/app.ts");
  const out = stdout + stderr;
  for (const p of [/calls to app "model-class" go to examples\/model-class\/app\.ts in this run/, /^to be -> to be or not$/m, /^the question -> the question to be$/m]) {
    assert.match(out, p, `expected ${p} in:\n${out}`);
  }
});
