/**
 * Promotion order (policy/promote/order.ts): the target's record is its `artifact` stack output;
 * an artifact older than it is refused unless --allow-older; a new stack takes any artifact.
 * Then the same through `promote()` with the target's outputs as `pulumi stack output --json`
 * prints them, and through the deploy record (sequence and commit kept in deployment.json).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { spawnSync } from "node:child_process";
import { parse } from "yaml";
import type { AppSpec } from "../../../synth/spec.ts";
import { checkPromotionOrder, recordedArtifactOf, RecordUnreadable } from "../../../policy/promote/order.ts";
import { promote, PromotionRefused } from "../../../policy/promote/promote.ts";
import { deploymentCommit } from "../../../policy/promote/deployed.ts";
import { planHash, readDeployment, recordDeployment } from "../../../policy/promote/records.ts";
import { cls, gpu, plan, spec } from "../helpers.ts";

const P = (c: string) => `sha256:${c.repeat(64)}`;
const incoming = (sequence: number | undefined, planHashOf = P("b")) => ({ fromStack: "staging", planHash: planHashOf, sequence, commit: "0123456789abcdef0123" });
const running = (sequence: number | undefined, planHashOf = P("a")) => ({ fromStack: "staging", specHash: P("9"), planHash: planHashOf, sequence, commit: "fedcba9876543210fedc" });

test("an older artifact is refused, naming both deployments and the flag", () => {
  const v = checkPromotionOrder(incoming(7), running(9), "prod");
  assert.equal(v.ok, false);
  assert.match(v.message, /^refusing to promote an older artifact over a newer one: stack "prod" runs deployment #9 of "staging", commit fedcba987654, plan sha256:aaaaaaaaaaaa…, the artifact is deployment #7 of "staging", commit 0123456789ab/);
  assert.match(v.message, /pass --allow-older to deploy it anyway/);
});

test("--allow-older lets the older artifact through and says so", () => {
  const v = checkPromotionOrder(incoming(7), running(9), "prod", true);
  assert.deepEqual([v.ok, v.ok && v.reason], [true, "allowed-older"]);
  assert.match(v.message, /^--allow-older: refusing to promote an older artifact/);
});

test("a new stack (no artifact output) takes any artifact, even one without a sequence", () => {
  for (const seq of [1, undefined]) {
    const v = checkPromotionOrder(incoming(seq), null, "prod");
    assert.deepEqual([v.ok, v.ok && v.reason], [true, "first"]);
  }
});

test("newer passes; the same artifact again passes; the same sequence with another plan is refused", () => {
  const newer = checkPromotionOrder(incoming(10), running(9), "prod");
  assert.deepEqual([newer.ok, newer.message], [true, `newer than what "prod" runs (#9 -> #10)`]);
  const same = checkPromotionOrder(incoming(9, P("a")), running(9, P("a")), "prod");
  assert.deepEqual([same.ok, same.ok && same.reason], [true, "same"]);
  const clash = checkPromotionOrder(incoming(9, P("b")), running(9, P("a")), "prod");
  assert.equal(clash.ok, false);
  assert.match(clash.message, /the records disagree: the same deployment #9 of "staging" with two plans/);
});

test("no order can be told: another source stack, or a side without a sequence, is refused unless allowed", () => {
  const other = checkPromotionOrder({ ...incoming(3), fromStack: "canary" }, running(9), "prod");
  assert.equal(other.ok, false);
  assert.match(other.message, /cannot order artifacts of different source stacks/);
  const unsequenced = checkPromotionOrder(incoming(undefined), running(9), "prod");
  assert.equal(unsequenced.ok, false);
  assert.match(unsequenced.message, /cannot tell which artifact is newer \(the artifact has no deployment sequence/);
  const oldRecord = checkPromotionOrder(incoming(4), running(undefined), "prod");
  assert.match(oldRecord.message, /what "prod" runs has no deployment sequence/);
  assert.equal(checkPromotionOrder(incoming(undefined), running(9), "prod", true).ok, true);
});

test("the record from stack outputs: CLI JSON, Automation API {value, secret}, none, unreadable", () => {
  const rec = running(9);
  assert.deepEqual(recordedArtifactOf({ artifact: rec, images: {} }, "out.json"), rec);
  assert.deepEqual(recordedArtifactOf({ artifact: { value: rec, secret: false } }, "stack prod"), rec);
  assert.equal(recordedArtifactOf({}, "out.json"), null, "a stack never promoted to");
  assert.equal(recordedArtifactOf({ images: { value: {}, secret: false } }, "stack prod"), null);
  assert.throws(() => recordedArtifactOf([], "out.json"), (e: Error) => e instanceof RecordUnreadable && /out\.json: expected the stack's outputs as a JSON object/.test(e.message));
  assert.throws(
    () => recordedArtifactOf({ artifact: { fromStack: "staging", sequence: -1 } }, "out.json"),
    (e: Error) => e instanceof RecordUnreadable && /out\.json: the output "artifact" is not a gantry promotion record \(specHash: .*sequence: /.test(e.message),
  );
});

// --- through promote(): the target's outputs as `pulumi stack output --json --stack prod` prints them

const digest = (c: string) => `123456789012.dkr.ecr.us-east-1.amazonaws.com/llm@sha256:${c.repeat(64)}`;
const appSpec = (): AppSpec => spec({ name: "llm", classes: [cls("LlamaInference", 17, { gpu: gpu("A10G"), maxContainers: 5, timeout: 600 })] });
const analyze = async () => ({ spec: appSpec(), errors: [] });

function staged(sequence: number): string {
  const root = mkdtempSync(join(tmpdir(), "gantry-order-"));
  writeFileSync(join(root, "Pulumi.staging.yaml"), "config:\n  gantry:app: app.ts\n");
  writeFileSync(join(root, "Pulumi.prod.yaml"), "config:\n  aws:region: us-east-1\n");
  recordDeployment(root, "staging", plan(appSpec(), [], "staging"), { "img-default": digest("a") }, "2026-12-04T10:00:00Z", { sequence, commit: "abcdef1234567" });
  return root;
}
const prodRuns = (sequence: number) => ({ value: { artifact: running(sequence), images: {} }, where: "prod-outputs.json" });
const prodArtifact = (root: string) => parse(readFileSync(join(root, "Pulumi.prod.yaml"), "utf8")).config["gantry:artifact"];

test("promote: staging's deployment #7 over prod running #9 is refused and writes nothing", async () => {
  const root = staged(7);
  await assert.rejects(
    promote({ root, from: "staging", to: "prod", analyze, targetOutputs: prodRuns(9) }),
    (e: Error) => e instanceof PromotionRefused && /^refusing to promote staging -> prod: refusing to promote an older artifact over a newer one/.test(e.message),
  );
  assert.equal(prodArtifact(root), undefined);
});

test("promote: --allow-older writes the older artifact, with its sequence and commit", async () => {
  const root = staged(7);
  const result = await promote({ root, from: "staging", to: "prod", analyze, targetOutputs: prodRuns(9), allowOlder: true });
  assert.equal(result.order?.ok && result.order.reason, "allowed-older");
  const a = prodArtifact(root);
  assert.deepEqual([a.sequence, a.commit, a.fromStack], [7, "abcdef1234567", "staging"]);
});

test("promote: a new prod stack (empty outputs) and a newer artifact pass", async () => {
  const fresh = staged(3);
  const first = await promote({ root: fresh, from: "staging", to: "prod", analyze, targetOutputs: { value: {}, where: "prod-outputs.json" } });
  assert.equal(first.order?.ok && first.order.reason, "first");
  assert.equal(prodArtifact(fresh).sequence, 3);
  const root = staged(12);
  const newer = await promote({ root, from: "staging", to: "prod", analyze, targetOutputs: prodRuns(9) });
  assert.equal(newer.order?.ok && newer.order.reason, "newer");
});

test("promote: an unreadable target record is a refusal, not a pass", async () => {
  const root = staged(7);
  await assert.rejects(
    promote({ root, from: "staging", to: "prod", analyze, targetOutputs: { value: { artifact: "staging" }, where: "prod-outputs.json" } }),
    /refusing to promote: prod-outputs\.json: the output "artifact" is not a gantry promotion record/,
  );
});

test("the deployment record keeps the update number and commit; the plan hash is unchanged by them", () => {
  const root = staged(5);
  const d = readDeployment(root, "staging")!;
  assert.deepEqual([d.sequence, d.commit], [5, "abcdef1234567"]);
  assert.equal(d.planHash, planHash(plan(appSpec(), [], "staging")));
});

test("deploymentCommit: GITHUB_SHA first, then git HEAD, else none", () => {
  const dir = mkdtempSync(join(tmpdir(), "gantry-commit-"));
  assert.equal(deploymentCommit(dir, { GITHUB_SHA: "ABCDEF0123456789ABCDEF0123456789ABCDEF01" }), "abcdef0123456789abcdef0123456789abcdef01");
  assert.equal(deploymentCommit(dir, {}), undefined, "not a git checkout");
  assert.equal(deploymentCommit(dir, { GITHUB_SHA: "not-a-sha" }), undefined);
  const git = (...args: string[]) => spawnSync("git", args, { cwd: dir, encoding: "utf8", env: { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@example.com", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@example.com" } });
  git("init", "-q");
  writeFileSync(join(dir, "f"), "x");
  git("add", "f");
  git("commit", "-qm", "one");
  const head = git("rev-parse", "HEAD").stdout.trim();
  assert.ok(existsSync(join(dir, ".git")));
  assert.equal(deploymentCommit(dir, {}), head);
});
