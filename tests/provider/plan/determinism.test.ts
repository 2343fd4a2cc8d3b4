import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, it } from "node:test";
import { buildPlan, serializePlan } from "../../../provider/plan/build.ts";
import { app, fn, gpu, llmApp } from "../fixtures/specs.ts";
import { stackConfig } from "../plan-view.ts";

const run = promisify(execFile);
const plan = (spec = llmApp()) => buildPlan({ projectRoot: process.cwd(), stack: "dev", spec, secretValues: { "dict-1a2b3c": { OPENAI_KEY: "x" } }, config: stackConfig() });

describe("plan determinism", () => {
  it("the same input gives the same bytes, run after run in one process", async () => {
    const a = serializePlan(await plan());
    const b = serializePlan(await plan());
    assert.equal(a, b);
    assert.ok(!a.includes(process.cwd()), "no absolute paths");
    assert.doesNotMatch(a, /20\d\d-\d\d-\d\dT\d\d:\d\d/, "no timestamps");
  });

  it("`gantry synth --json` twice, in two processes, gives identical bytes; --out writes the same", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "gantry-plan-")), "plan.json");
    const args = ["cli/bin.mjs", "synth", "examples/hello/app.ts", "--target", "aws", "--stack", "dev", "--json"];
    const [first, second] = await Promise.all([run(process.execPath, [...args, "--out", out]), run(process.execPath, args)]);
    assert.equal(first.stdout, second.stdout);
    assert.equal(readFileSync(out, "utf8"), first.stdout);
    assert.equal(JSON.parse(first.stdout).app, "hello-gantry");
  });

  it("names are stable: adding a declaration replaces nothing that was there", async () => {
    const base = app({ functions: [fn("square", 1), fn("embed", 2, { gpu: gpu("T4"), maxContainers: 2 })] });
    const more = app({ functions: [fn("aardvark", 3, { gpu: gpu("T4"), maxContainers: 1 }), ...base.functions] });
    const before = new Map((await plan(base)).resources.map((r) => [r.urn, r.name]));
    const after = new Set((await plan(more)).resources.map((r) => r.urn));
    const lost = [...before.keys()].filter((urn) => !after.has(urn));
    assert.deepEqual(lost, []);
  });
});
