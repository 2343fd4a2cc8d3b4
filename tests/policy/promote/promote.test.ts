import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { parse } from "yaml";
import type { AppSpec } from "../../../synth/spec.ts";
import { specHash } from "../../../synth/hash.ts";
import { promote, PromotionRefused, PromotionUsageError } from "../../../policy/promote/promote.ts";
import { recordDeployment, recordPlan } from "../../../policy/promote/records.ts";
import { cls, gpu, plan, spec } from "../helpers.ts";

const digest = (c: string) => `123456789012.dkr.ecr.us-east-1.amazonaws.com/llm@sha256:${c.repeat(64)}`;
const appSpec = (max = 5): AppSpec => spec({ name: "llm", classes: [cls("LlamaInference", 17, { gpu: gpu("A10G"), maxContainers: max, timeout: 600 })] });
const IMAGES = { "img-default": digest("a") };

function project(opts: { deployed?: AppSpec; prodYaml?: string } = {}): string {
  const root = mkdtempSync(join(tmpdir(), "gantry-promote-"));
  writeFileSync(join(root, "Pulumi.staging.yaml"), "config:\n  gantry:app: app.ts\n  aws:region: us-east-1\n");
  if (opts.prodYaml !== undefined) writeFileSync(join(root, "Pulumi.prod.yaml"), opts.prodYaml);
  if (opts.deployed) recordDeployment(root, "staging", plan(opts.deployed, [], "staging"), IMAGES, "2026-11-22T10:00:00Z");
  return root;
}

const analyzeAs = (s: AppSpec | null, errors: string[] = []) => async (_file: string) => ({ spec: s, errors });

test("promotes exactly the source's digests and keeps the target's overrides and comments", async () => {
  const s = appSpec();
  const root = project({ deployed: s, prodYaml: "# production\nconfig:\n  aws:region: us-east-1\n  gantry:overrides:\n    LlamaInference:\n      maxContainers: 2 # prod cap\n" });
  const result = await promote({ root, from: "staging", to: "prod", analyze: analyzeAs(s) });
  assert.equal(result.createdTargetFile, false);
  assert.equal(result.appFile, join(root, "app.ts"));
  const text = readFileSync(join(root, "Pulumi.prod.yaml"), "utf8");
  assert.match(text, /^# production/);
  assert.match(text, /maxContainers: 2 # prod cap/);
  const config = parse(text).config;
  assert.deepEqual(config["gantry:overrides"], { LlamaInference: { maxContainers: 2 } });
  assert.deepEqual(config["gantry:artifact"].images, IMAGES);
  assert.equal(config["gantry:artifact"].specHash, specHash(s));
  assert.equal(config["gantry:artifact"].fromStack, "staging");
  assert.match(config["gantry:artifact"].planHash, /^sha256:[0-9a-f]{64}$/);
});

test("refuses a changed app, and says what changed", async () => {
  const root = project({ deployed: appSpec(5), prodYaml: "config: {}\n" });
  await assert.rejects(
    promote({ root, from: "staging", to: "prod", analyze: analyzeAs(appSpec(20)) }),
    (e: Error) => e instanceof PromotionRefused && /the app changed since stack "staging" was planned/.test(e.message) && /LlamaInference: maxContainers changed/.test(e.message),
  );
  assert.equal(parse(readFileSync(join(root, "Pulumi.prod.yaml"), "utf8")).config["gantry:artifact"], undefined, "nothing written");
});

test("refuses a source stack with nothing deployed", async () => {
  const root = project();
  await assert.rejects(promote({ root, from: "staging", to: "prod", analyze: analyzeAs(appSpec()) }), /stack "staging" has no deployment to promote/);
  recordPlan(root, "staging", plan(appSpec(), [], "staging")); // planned but never deployed
  await assert.rejects(promote({ root, from: "staging", to: "prod", analyze: analyzeAs(appSpec()) }), /no deployment to promote/);
});

test("refuses when the recorded plan is not the deployed one", async () => {
  const root = project({ deployed: appSpec() });
  recordPlan(root, "staging", plan(appSpec(), [], "staging", undefined, { note: "re-synthesized" }));
  await assert.rejects(promote({ root, from: "staging", to: "prod", analyze: analyzeAs(appSpec()) }), /the recorded plan of "staging" is not the one it deployed/);
});

test("refuses when an image of the app has no recorded digest", async () => {
  const s = spec({ name: "llm", images: [{ id: "img-gpu", base: { kind: "debianSlim", node: "20", python: null }, layers: [], source: null }] });
  const root = project({ deployed: s });
  await assert.rejects(promote({ root, from: "staging", to: "prod", analyze: analyzeAs(s) }), /no digest for image img-gpu/);
});

test("refuses an app that does not analyze", async () => {
  const root = project({ deployed: appSpec() });
  await assert.rejects(promote({ root, from: "staging", to: "prod", analyze: analyzeAs(null, ["app.ts:3:1: error GANTRY1100: no `new App(...)`"]) }), /does not analyze cleanly \(1 error\)/);
});

test("a chain: staging was itself promoted from dev, prod gets the same artifact", async () => {
  const s = appSpec();
  const root = project({ prodYaml: undefined });
  const artifact = { fromStack: "dev", app: "llm", specHash: specHash(s), planHash: `sha256:${"b".repeat(64)}`, images: { "img-default": digest("c") } };
  writeFileSync(join(root, "Pulumi.staging.yaml"), `config:\n  gantry:app: app.ts\n  gantry:artifact: ${JSON.stringify(artifact)}\n`);
  const result = await promote({ root, from: "staging", to: "prod", analyze: analyzeAs(s) });
  assert.equal(result.createdTargetFile, true);
  assert.deepEqual(parse(readFileSync(join(root, "Pulumi.prod.yaml"), "utf8")).config["gantry:artifact"], artifact);
});

test("usage errors and dry runs", async () => {
  const root = project({ deployed: appSpec() });
  await assert.rejects(promote({ root, from: "prod", to: "prod", analyze: analyzeAs(appSpec()) }), (e: Error) => e instanceof PromotionUsageError);
  writeFileSync(join(root, "Pulumi.staging.yaml"), "config: {}\n");
  await assert.rejects(promote({ root, from: "staging", to: "prod", analyze: analyzeAs(appSpec()) }), /which app\?/);
  await promote({ root, from: "staging", to: "prod", app: "app.ts", dryRun: true, analyze: analyzeAs(appSpec()) });
  assert.ok(!existsSync(join(root, "Pulumi.prod.yaml")), "a dry run writes nothing");
});
