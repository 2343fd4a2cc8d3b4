import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { readStackConfig } from "../../../provider/plan/stack-config.ts";
import { buildPlan } from "../../../provider/plan/build.ts";
import { llmApp } from "../fixtures/specs.ts";
import { PlanView } from "../plan-view.ts";

const DIR = "tests/provider/fixtures/stack-config";

describe("stack config for the offline plan", () => {
  it("reads Pulumi.yaml defaults and Pulumi.<stack>.yaml; secure values stay secret", () => {
    const config = readStackConfig(DIR, "prod");
    assert.deepEqual(config.files, ["Pulumi.yaml", "Pulumi.prod.yaml"]);
    assert.equal(config.values["aws:region"], "eu-west-1");
    assert.equal(config.values["gantry:app"], "src/app.ts");
    assert.deepEqual(JSON.parse(config.values["gantry:overrides"]), { LlamaInference: { gpu: "T4", maxContainers: 2 } });
    assert.equal(config.values["gantry:webToken"], "[secret]");
    assert.deepEqual(JSON.parse(config.values["gantry:secrets"]), { "huggingface-token": { HF_TOKEN: "[secret]" } });
    assert.deepEqual(config.secretKeys, ["gantry:secrets", "gantry:webToken"]);
  });

  it("the program sees it as `pulumi up` would: region, network, overrides, secret values", async () => {
    const view = new PlanView(await buildPlan({
      projectRoot: process.cwd(), stack: "prod", spec: llmApp(), secretValues: { "dict-1a2b3c": { OPENAI_KEY: "x" } },
      config: readStackConfig(DIR, "prod"),
    }));
    assert.match(view.inputs("aws:sqs/queue:Queue", { name: "square-queue" }).tags["gantry:stack"], /^prod$/);
    assert.equal(view.plan.outputs.queueUrls && (view.plan.outputs.queueUrls as Record<string, string>).square, "https://sqs.eu-west-1.amazonaws.com/000000000000/square-queue");
    assert.equal(view.resources("aws:ec2/vpc:Vpc").length, 0);
    assert.equal(view.inputs("aws:appautoscaling/target:Target", { declaration: "LlamaInference" }).maxCapacity, 2);
    assert.equal(view.inputs("aws:secretsmanager/secretVersion:SecretVersion", { declaration: "secret:huggingface-token" }).secretString, "[secret]");
    assert.equal(view.inputs("aws:secretsmanager/secretVersion:SecretVersion", { name: "gantry-web-token-value" }).secretString, "[secret]");
  });
});
