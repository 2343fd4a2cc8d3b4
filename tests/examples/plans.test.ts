/**
 * Issue 3's "done when": every bullet of the AWS mapping is present in the offline plan of an
 * example that uses it (the exact inputs of each mapping are asserted in tests/provider).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { buildPlan } from "../../provider/plan/build.ts";
import type { Plan, PlanResource } from "../../provider/plan.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const plans = new Map<string, Plan>();
async function plan(example: string): Promise<Plan> {
  if (!plans.has(example)) plans.set(example, await buildPlan({ projectRoot: root, stack: "dev", app: `examples/${example}/app.ts` }));
  return plans.get(example)!;
}
const of = (p: Plan, type: string, declaration?: string): PlanResource[] =>
  p.resources.filter((r) => r.type === type && (declaration === undefined || r.declaration === declaration));
const json = (v: unknown) => JSON.stringify(v);

test("llm-inference: GPU capacity, per-declaration services, volumes, secrets, images, spot fallback, warm pool", async () => {
  const p = await plan("llm-inference");
  assert.equal(of(p, "aws:ecs/cluster:Cluster").length, 1);
  const groups = of(p, "aws:autoscaling/group:Group");
  assert.ok(groups.every((g) => g.inputs.minSize === 0), "every group scales to zero");
  assert.ok(groups.some((g) => json(g.inputs).includes("spotAllocationStrategy")), "the spot function gets spot capacity");
  assert.ok(groups.some((g) => json(g.inputs).includes("warmPool")), "enableMemorySnapshot gets a warm pool");
  const templates = json(of(p, "aws:ec2/launchTemplate:LaunchTemplate").map((t) => t.inputs));
  assert.match(templates, /resolve:ssm:\/aws\/service\/ecs\/optimized-ami\/amazon-linux-2023\/gpu\/recommended\/image_id/);
  for (const type of ["g5.xlarge", "p5.4xlarge", "g6e.xlarge"]) assert.ok(templates.includes(type) || json(groups.map((g) => g.inputs)).includes(type), type);
  const providers = of(p, "aws:ecs/capacityProvider:CapacityProvider");
  assert.ok(providers.every((c) => json(c.inputs).includes('"managedTerminationProtection":"ENABLED"')));
  for (const decl of ["LlamaInference", "LlamaInference[gpu=H100,maxContainers=2]", "summarizeQueued"]) {
    assert.equal(of(p, "aws:sqs/queue:Queue", decl).length, 2, `${decl}: queue + dead-letter queue`);
    const [task] = of(p, "aws:ecs/taskDefinition:TaskDefinition", decl);
    assert.match(json(task.inputs), /\\"type\\":\\"GPU\\"/, `${decl}: GPU resourceRequirements`);
    assert.equal(of(p, "aws:ecs/service:Service", decl).length, 1);
    assert.equal(of(p, "aws:appautoscaling/target:Target", decl).length, 1);
    assert.equal(of(p, "aws:appautoscaling/policy:Policy", decl).length, 2, `${decl}: target tracking + the 0 -> 1 step`);
  }
  assert.equal(of(p, "aws:efs/fileSystem:FileSystem")[0].inputs.encrypted, true);
  assert.equal(of(p, "aws:efs/mountTarget:MountTarget").length, 2);
  assert.equal(of(p, "aws:efs/accessPoint:AccessPoint").length, 1);
  assert.equal(of(p, "aws:secretsmanager/secret:Secret").length, 1);
  assert.equal(of(p, "docker-build:index:Image").length, 2);
  assert.ok(of(p, "aws:ecr/repository:Repository").some((r) => r.inputs.imageTagMutability === "IMMUTABLE"));
  assert.equal(of(p, "aws:sqs/queue:Queue", "queue:summarize-jobs").length, 1, "the app's Queue");
});

test("schedules: EventBridge Scheduler schedules with AWS cron, a timezone and rate()", async () => {
  const p = await plan("schedules");
  const schedules = of(p, "aws:scheduler/schedule:Schedule");
  const nightly = schedules.find((s) => s.declaration === "nightlyReport")!;
  assert.equal(nightly.inputs.scheduleExpression, "cron(0 2 * * ? *)");
  assert.equal(nightly.inputs.scheduleExpressionTimezone, "Europe/Paris");
  assert.deepEqual(nightly.inputs.flexibleTimeWindow, { mode: "OFF" });
  assert.equal(schedules.find((s) => s.declaration === "hourlyCleanup")!.inputs.scheduleExpression, "rate(1 hour)");
  assert.ok(of(p, "aws:dynamodb/table:Table").length >= 2, "the call-results table and the Dict's table");
});

test("web: API Gateway + Lambda gateway for endpoints, an ALB for webApp/webServer, a bearer token", async () => {
  const p = await plan("web");
  assert.equal(of(p, "aws:apigatewayv2/api:Api")[0].inputs.protocolType, "HTTP");
  assert.equal(of(p, "aws:lambda/function:Function").length, 1);
  assert.ok(of(p, "aws:apigatewayv2/route:Route").some((r) => r.inputs.routeKey === "ANY /EmbeddingService/embed"));
  assert.equal(of(p, "aws:lb/loadBalancer:LoadBalancer").length, 1);
  assert.equal(of(p, "aws:lb/targetGroup:TargetGroup").length, 2, "api and status");
  assert.ok(of(p, "aws:secretsmanager/secret:Secret").length >= 1, "the web token / fromDict secret");
});

const EXAMPLES = readdirSync(new URL("../../examples", import.meta.url), { withFileTypes: true })
  .filter((e) => e.isDirectory() && existsSync(new URL(`../../examples/${e.name}/app.ts`, import.meta.url)))
  .map((e) => e.name)
  .sort();

test("every example: every resource carries a source location with a line (API.md §3)", async () => {
  assert.ok(EXAMPLES.length >= 8, EXAMPLES.join(", "));
  for (const example of EXAMPLES) {
    const p = await plan(example);
    assert.deepEqual(p.resources.filter((r) => !(r.source && r.source.line >= 1)).map((r) => r.urn), [], example);
    // what the whole app shares points at new App(...); a capacity group at the units it serves
    for (const r of p.resources.filter((x) => x.declaration === null && !x.serves)) assert.deepEqual(r.source, p.spec.app.source, `${example}: ${r.urn}`);
    for (const r of p.resources.filter((x) => x.serves)) {
      const first = p.resources.find((x) => x.type === "aws:ecs/service:Service" && x.declaration === r.serves![0]);
      assert.deepEqual(r.source, first?.source, `${example}: ${r.urn}`);
    }
  }
});
