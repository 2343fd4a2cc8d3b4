/**
 * A promoted stack (`gantry:artifact` in its stack config): it refuses code that is not what the
 * source stack ran, builds nothing, and pins the source's digests in every task definition, while
 * its own overrides still apply.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { ArtifactMismatch } from "../../policy/promote/artifact.ts";
import { ConfigError } from "../../provider/overrides.ts";
import { ecrRepositoryArn } from "../../provider/aws/image.ts";
import { specHash } from "../../synth/index.ts";
import { DEFAULT_IMAGE, GPU_IMAGE, llmApp } from "./fixtures/specs.ts";
import { buildPlan } from "../../provider/plan/build.ts";
import { planOf, PlanView, stackConfig } from "./plan-view.ts";

const TD = "aws:ecs/taskDefinition:TaskDefinition";
const SECRETS = { "dict-1a2b3c": { OPENAI_KEY: "x" } };
const ECR = "123456789012.dkr.ecr.us-east-1.amazonaws.com";
const GPU_REF = `${ECR}/image-img-3f2a9c1d0b7e-5d1e2a7:0123456789abcdef@sha256:${"a".repeat(64)}`;
const CPU_REF = `${ECR}/image-img-000000000000-9f8e7d6@sha256:${"b".repeat(64)}`;

function artifact(over: Record<string, unknown> = {}) {
  return {
    fromStack: "staging",
    app: "llm-demo",
    specHash: specHash(llmApp()),
    planHash: `sha256:${"c".repeat(64)}`,
    images: { [GPU_IMAGE]: GPU_REF, [DEFAULT_IMAGE]: CPU_REF },
    ...over,
  };
}

const prod = (config: Record<string, unknown>) => planOf(llmApp(), { stack: "prod", config, secretValues: SECRETS });

/** The problems of a plan that must fail, asserting the error's class. */
async function refusal(config: Record<string, unknown>, kind: typeof ConfigError = ConfigError): Promise<string[]> {
  try {
    await prod(config);
  } catch (err) {
    assert.ok(err instanceof kind, `expected ${kind.name}, got ${(err as Error).stack}`);
    return (err as ConfigError).problems;
  }
  assert.fail("the plan was built");
}

describe("a stack promoted with gantry:artifact", () => {
  let view: PlanView;
  before(async () => {
    view = await prod({
      "gantry:artifact": artifact(),
      "gantry:overrides": { LlamaInference: { maxContainers: 2 } },
    });
  });
  const image = (declaration: string) => view.json(TD, { declaration }, "containerDefinitions")[0].image;

  it("task definitions run exactly the artifact's digest refs", () => {
    assert.equal(image("LlamaInference"), GPU_REF);
    assert.equal(image("LlamaInference[gpu=H100]"), GPU_REF);
    assert.equal(image("square"), CPU_REF);
  });

  it("builds nothing: no image build, no ECR repository, no lifecycle policy", () => {
    for (const type of ["docker-build:index:Image", "aws:ecr/repository:Repository", "aws:ecr/lifecyclePolicy:LifecyclePolicy", "gantry:aws:Image"]) {
      assert.deepEqual(view.resources(type).map((r) => r.name), [], type);
    }
    assert.deepEqual(view.resources("gantry:aws:PinnedImage").map((r) => r.name).sort(), [`image-${DEFAULT_IMAGE}`, `image-${GPU_IMAGE}`]);
  });

  it("the execution role may pull from the source stack's repository, and only from it", () => {
    const policy = view.json("aws:iam/rolePolicy:RolePolicy", { declaration: "LlamaInference", name: "llama-inference-exec" }, "policy");
    const pull = policy.Statement.find((s: { Sid: string }) => s.Sid === "PullOwnImage");
    assert.equal(pull.Resource, "arn:aws:ecr:us-east-1:123456789012:repository/image-img-3f2a9c1d0b7e-5d1e2a7");
  });

  it("the stack's overrides still apply; the spec hash stays the code's", () => {
    assert.equal(view.inputs("aws:appautoscaling/target:Target", { declaration: "LlamaInference" }).maxCapacity, 2);
    assert.equal(view.plan.specHash, specHash(llmApp()));
  });

  it("outputs: the pinned refs and where they came from", () => {
    assert.deepEqual(view.plan.outputs.images, { [DEFAULT_IMAGE]: CPU_REF, [GPU_IMAGE]: GPU_REF });
    assert.deepEqual(view.plan.outputs.artifact, { fromStack: "staging", planHash: `sha256:${"c".repeat(64)}`, specHash: specHash(llmApp()) });
  });

  it("the artifact output carries the source's deployment number and commit: the record promotion order is checked against", async () => {
    const v = await prod({ "gantry:artifact": artifact({ sequence: 42, commit: "0123456789abcdef0123456789abcdef01234567" }) });
    assert.deepEqual(v.plan.outputs.artifact, {
      fromStack: "staging", planHash: `sha256:${"c".repeat(64)}`, specHash: specHash(llmApp()), sequence: 42, commit: "0123456789abcdef0123456789abcdef01234567",
    });
  });
});

describe("refusals", () => {
  it("a changed app: names both hashes and says to promote again", async () => {
    const old = `sha256:${"0".repeat(64)}`;
    const [problem, ...rest] = await refusal({ "gantry:artifact": artifact({ specHash: old }) }, ArtifactMismatch);
    assert.deepEqual(rest, []);
    assert.ok(problem.startsWith("Pulumi.prod.yaml: gantry:artifact: the app is not the one promoted from stack \"staging\""), problem);
    assert.ok(problem.includes(`the artifact pins spec ${old}, the app's spec is now ${specHash(llmApp())}`), problem);
    assert.ok(problem.includes("gantry promote --from staging --to prod"), problem);
  });

  it("an override is not a change of the app (the hash is taken before overrides)", async () => {
    // an override that changes the spec deployed, with the artifact of the code as it is
    const view = await prod({ "gantry:artifact": artifact(), "gantry:overrides": { square: { gpu: "T4" } } });
    assert.equal(view.json(TD, { declaration: "square" }, "containerDefinitions")[0].image, CPU_REF);
  });

  it("an image the app runs without a digest in the artifact, named", async () => {
    const problems = await refusal({ "gantry:artifact": artifact({ images: { [GPU_IMAGE]: GPU_REF } }) });
    assert.equal(problems.length, 1);
    assert.match(problems[0], new RegExp(`^Pulumi\\.prod\\.yaml: gantry:artifact\\.images: no digest for image "${DEFAULT_IMAGE}" \\(run by .*square.*\\); promote again: gantry promote --from staging --to prod$`));
  });

  it("an artifact that does not fit the schema: every problem with its key path", async () => {
    const problems = await refusal({ "gantry:artifact": { ...artifact({ images: { [GPU_IMAGE]: "repo:latest" } }), specHash: undefined } });
    const FILE = "Pulumi.prod.yaml: ";
    assert.deepEqual(problems.map((p) => p.slice(0, p.indexOf(": ", FILE.length))), [
      "Pulumi.prod.yaml: gantry:artifact.specHash",
      `Pulumi.prod.yaml: gantry:artifact.images.${GPU_IMAGE}`,
    ]);
    assert.match(problems[1], /an image digest reference \(repository@sha256:<64 hex>\)$/);
  });

  it("a digest outside ECR", async () => {
    const problems = await refusal({ "gantry:artifact": artifact({ images: { [GPU_IMAGE]: `ghcr.io/me/llm@sha256:${"a".repeat(64)}`, [DEFAULT_IMAGE]: CPU_REF } }) });
    assert.match(problems[0], /^Pulumi\.prod\.yaml: gantry:artifact\.images\.img-3f2a9c1d0b7e: "ghcr\.io\/me\/llm@sha256:a+" is not in an ECR repository/);
  });
});

describe("reviewing a change before it is promoted", () => {
  it("ignoreArtifact plans the stack as if it had none: the changed code, images built", async () => {
    const view = new PlanView(await buildPlan({
      projectRoot: process.cwd(), stack: "prod", spec: llmApp(), secretValues: SECRETS, ignoreArtifact: true,
      config: stackConfig({ "gantry:artifact": artifact({ specHash: `sha256:${"0".repeat(64)}` }) }),
    }));
    assert.equal(view.resources("docker-build:index:Image").length, 2);
    assert.equal(view.plan.outputs.artifact, undefined);
  });
});

describe("ecrRepositoryArn", () => {
  it("reads the repository from tag@digest and digest refs; other registries are null", () => {
    assert.equal(ecrRepositoryArn(GPU_REF), "arn:aws:ecr:us-east-1:123456789012:repository/image-img-3f2a9c1d0b7e-5d1e2a7");
    assert.equal(ecrRepositoryArn(`${ECR}/team/llm@sha256:${"b".repeat(64)}`), "arn:aws:ecr:us-east-1:123456789012:repository/team/llm");
    assert.equal(ecrRepositoryArn(`123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/llm@sha256:${"b".repeat(64)}`), "arn:aws-cn:ecr:cn-north-1:123456789012:repository/llm");
    assert.equal(ecrRepositoryArn(`docker.io/library/node@sha256:${"b".repeat(64)}`), null);
    assert.equal(ecrRepositoryArn(`${ECR}/llm:latest`), null);
  });
});
