/**
 * `gantry promote` as CI runs it: the order check from `--target-outputs`, the image copy's need
 * for the target's region, and `--no-copy-images`. (The copy itself: ecr-copy.test.ts.)
 */
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { recordStackDeployment, synthPlanInChild, type StackOutput } from "../../../policy/promote/deployed.ts";

const BIN = fileURLToPath(new URL("../../../cli/bin.mjs", import.meta.url));
const APP = resolve("examples/hello/app.ts");
let root: string;

function gantry(args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1" };
  delete env.AWS_REGION;
  delete env.AWS_DEFAULT_REGION;
  const r = spawnSync(process.execPath, [BIN, "promote", "--cwd", root, "--from", "staging", "--to", "prod", "--app", APP, ...args], { encoding: "utf8", env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

before(() => {
  root = mkdtempSync(join(tmpdir(), "gantry-promote-cli-"));
  const staging = synthPlanInChild(process.cwd(), "examples/hello/app.ts", "staging");
  const images = Object.fromEntries(Object.keys(staging.outputs.images as Record<string, string>)
    .map((id, n) => [id, `123456789012.dkr.ecr.us-east-1.amazonaws.com/image-${id}:0123456789abcdef@sha256:${String(n + 1).repeat(64)}`]));
  const out = (value: unknown): StackOutput => ({ value, secret: false });
  recordStackDeployment({
    projectRoot: root, app: "examples/hello/app.ts", stack: "staging", plan: () => staging, sequence: 7, commit: "abcdef1234567",
    outputs: { app: out(staging.app), stack: out("staging"), specHash: out(staging.specHash), images: out(images) },
  });
  writeFileSync(join(root, "Pulumi.prod.yaml"), "config: {}\n");
});

test("an artifact older than prod's record is refused (exit 1); --allow-older passes", () => {
  const outputs = join(root, "prod-outputs.json");
  writeFileSync(outputs, JSON.stringify({ artifact: { fromStack: "staging", specHash: "sha256:x", planHash: "sha256:y", sequence: 9 } }));
  const r = gantry(["--target-outputs", outputs, "--no-copy-images"]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /refusing to promote staging -> prod: refusing to promote an older artifact over a newer one: stack "prod" runs deployment #9 of "staging"/);
  assert.equal(parse(readFileSync(join(root, "Pulumi.prod.yaml"), "utf8")).config["gantry:artifact"], undefined);
  const ok = gantry(["--target-outputs", outputs, "--no-copy-images", "--allow-older"]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /^order: --allow-older: /m);
  assert.match(ok.stdout, /first deployed to staging as deployment #7 from abcdef123456/);
});

test("images are copied into the target's region: without one it says how to give it (exit 2)", () => {
  const r = gantry([]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /the images are copied into stack prod's region: set aws:region in Pulumi\.prod\.yaml \(or AWS_REGION\), or pass --no-copy-images/);
});

test("--no-copy-images writes the source's refs and says the target pulls from them; an empty --target-outputs is a new stack", () => {
  const outputs = join(root, "empty.json");
  writeFileSync(outputs, "");
  const r = gantry(["--no-copy-images", "--target-outputs", outputs]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^order: stack "prod" runs no promoted artifact yet$/m);
  assert.match(r.stdout, /^images not copied \(--no-copy-images\): prod pulls from the source's repositories$/m);
  const a = parse(readFileSync(join(root, "Pulumi.prod.yaml"), "utf8")).config["gantry:artifact"];
  assert.ok(Object.values(a.images as Record<string, string>).every((ref) => ref.startsWith("123456789012.dkr.ecr.us-east-1.amazonaws.com/image-")));
});
