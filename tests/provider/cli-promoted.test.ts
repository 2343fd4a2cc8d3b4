/**
 * `gantry synth --stack prod` on a stack promoted with `gantry:artifact`, as a user runs it (real
 * processes, in a project of its own): the plan pins the artifact's digests; a changed app is
 * refused with both spec hashes.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { before, describe, it } from "node:test";
import { stringify } from "yaml";

const BIN = resolve("cli/bin.mjs");
const ECR = "123456789012.dkr.ecr.us-east-1.amazonaws.com";

function gantry(cwd: string, args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("gantry synth on a promoted stack", () => {
  let root: string;
  let images: Record<string, string>;
  let stagingHash: string;

  before(() => {
    // a project of its own (its own stack files), where `gantry` resolves to this checkout
    root = mkdtempSync(join(tmpdir(), "gantry-promoted-"));
    mkdirSync(join(root, "node_modules"));
    symlinkSync(resolve("."), join(root, "node_modules", "gantry"), "dir");
    writeFileSync(join(root, "package.json"), JSON.stringify({ name: "promoted", type: "module" }));
    writeFileSync(join(root, "app.ts"), readFileSync("examples/hello/app.ts", "utf8"));
    const staging = gantry(root, ["synth", "app.ts", "--stack", "staging", "--json", "--out", "staging.json"]);
    assert.equal(staging.code, 0, staging.stderr);
    const plan = JSON.parse(readFileSync(join(root, "staging.json"), "utf8"));
    stagingHash = plan.specHash;
    images = Object.fromEntries(Object.keys(plan.outputs.images).map((id) => [id, `${ECR}/image-${id}-0a1b2c3:0123456789abcdef@sha256:${"d".repeat(64)}`]));
    const artifact = { fromStack: "staging", app: plan.app, specHash: plan.specHash, planHash: `sha256:${"e".repeat(64)}`, images };
    writeFileSync(join(root, "Pulumi.prod.yaml"), stringify({ config: { "gantry:artifact": artifact, "gantry:overrides": { square: { maxContainers: 3 } } } }));
  });

  it("the plan runs the artifact's digests and builds nothing; the summary says so", () => {
    const r = gantry(root, ["synth", "app.ts", "--stack", "prod", "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const plan = JSON.parse(r.stdout);
    const taskDefinitions = plan.resources.filter((x: { type: string }) => x.type === "aws:ecs/taskDefinition:TaskDefinition");
    assert.deepEqual(taskDefinitions.map((t: { inputs: { containerDefinitions: string } }) => JSON.parse(t.inputs.containerDefinitions)[0].image), [Object.values(images)[0]]);
    assert.equal(plan.resources.filter((x: { type: string }) => x.type === "docker-build:index:Image").length, 0);
    const summary = gantry(root, ["synth", "app.ts", "--stack", "prod"]);
    assert.equal(summary.code, 0, summary.stderr);
    assert.match(summary.stdout, /^ {4}scaling {5}0\.\.3 containers/m);
    assert.ok(summary.stdout.includes(`    images      promoted from stack staging, not built: ${Object.keys(images)[0]} = ${Object.values(images)[0]}`), summary.stdout);
  });

  it("a changed app: exit 1, both hashes, and what to run", () => {
    writeFileSync(join(root, "app.ts"), readFileSync(join(root, "app.ts"), "utf8").replace("timeout: 60", "timeout: 61"));
    const r = gantry(root, ["synth", "app.ts", "--stack", "prod"]);
    assert.equal(r.code, 1, r.stdout);
    assert.equal(r.stdout, "");
    const now = /the app's spec is now (sha256:[0-9a-f]{64})/.exec(r.stderr)?.[1];
    assert.ok(now && now !== stagingHash, r.stderr);
    assert.ok(r.stderr.startsWith(`error: Pulumi.prod.yaml: gantry:artifact: the app is not the one promoted from stack "staging": the artifact pins spec ${stagingHash}, the app's spec is now ${now}.`), r.stderr);
    assert.match(r.stderr, /promote again \(gantry promote --from staging --to prod\)/);
  });
});
