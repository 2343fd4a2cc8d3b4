/**
 * gantry stop / start against a stand-in of ECS, Application Auto Scaling and EventBridge
 * Scheduler (fixtures/control-plane.ts): the exact commands, in order; what the services,
 * scalable targets and schedules are after each; both verbs run twice; another stack's schedule
 * with the same name prefix untouched; a call made while stopped wakes nothing; a refused
 * iam:PassRole named in the error.
 */
import assert from "node:assert/strict";
import { beforeEach, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { stopStartCommand } from "../../../../cli/commands/stop.ts";
import { encodeContainerEnv } from "../../../../runtime/contract.ts";
import { decodeStopped, encodeStopped } from "../../../../runtime/aws/ops/stopped.ts";
import { Waker } from "../../../../runtime/aws/waker.ts";
import { awsContract } from "../fixtures/contract.ts";
import { awsError, ControlPlane } from "../fixtures/control-plane.ts";

const APP = fileURLToPath(new URL("../fixtures/stop-app.ts", import.meta.url));
const CLUSTER = "stop-tests-test-cluster-5f0c2e1";
const ACCOUNT = "123456789012";
const queueUrl = (slug: string) => `https://sqs.us-east-1.amazonaws.com/${ACCOUNT}/${slug}-queue-a1b2c3d`;
const queueArn = (slug: string) => `arn:aws:sqs:us-east-1:${ACCOUNT}:${slug}-queue-a1b2c3d`;
const resourceId = (slug: string) => `service/${CLUSTER}/${slug}`;
const serviceArn = (slug: string) => `arn:aws:ecs:us-east-1:${ACCOUNT}:service/${CLUSTER}/${slug}`;
const UNITS = [{ unit: "Model", slug: "model", desired: 0, min: 0, max: 2 }, { unit: "embed", slug: "embed", desired: 1, min: 1, max: 4 }, { unit: "nightly", slug: "nightly", desired: 0, min: 0, max: 10 }];
const SCHEDULER_ROLE = `arn:aws:iam::${ACCOUNT}:role/nightly-scheduler-9d8e7f6`;
const STACK_TAGS = [{ key: "gantry:app", value: "stop-tests" }, { key: "gantry:stack", value: "test" }];

/** The deployed stack: one task definition per unit (each names every unit's queue and service), services, targets, schedules. */
function deployedStack(): ControlPlane {
  const aws = new ControlPlane();
  const queues = Object.fromEntries(UNITS.map((u) => [u.unit, queueUrl(u.slug)]));
  const scalingTargets = Object.fromEntries(UNITS.map((u) => [u.unit, resourceId(u.slug)]));
  for (const u of UNITS) {
    const env = encodeContainerEnv(awsContract(
      { app: "stop-tests", stack: "test", unit: u.unit, declaration: u.unit, kind: u.unit === "Model" ? "class" : "function" },
      { queueUrl: queueUrl(u.slug), queues, scalingTargets },
    ));
    aws.taskDefinitions.set(`stop-tests-test-${u.slug}`, {
      taskDefinitionArn: `arn:aws:ecs:us-east-1:${ACCOUNT}:task-definition/stop-tests-test-${u.slug}:4`,
      family: `stop-tests-test-${u.slug}`, revision: 4, status: "ACTIVE",
      containerDefinitions: [{ name: "main", environment: Object.entries(env).map(([name, value]) => ({ name, value })) }],
    });
    aws.services.set(resourceId(u.slug), {
      serviceArn: serviceArn(u.slug), serviceName: u.slug, clusterArn: `arn:aws:ecs:us-east-1:${ACCOUNT}:cluster/${CLUSTER}`,
      status: "ACTIVE", desiredCount: u.desired, runningCount: u.desired, pendingCount: 0, tags: structuredClone(STACK_TAGS),
    });
    aws.targets.set(resourceId(u.slug), {
      ServiceNamespace: "ecs", ResourceId: resourceId(u.slug), ScalableDimension: "ecs:service:DesiredCount",
      MinCapacity: u.min, MaxCapacity: u.max, RoleARN: `arn:aws:iam::${ACCOUNT}:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService`,
      CreationTime: new Date("2026-12-01T10:00:00Z"), ScalableTargetARN: `arn:aws:application-autoscaling:us-east-1:${ACCOUNT}:scalable-target/0ec5${u.slug}`,
    });
  }
  const schedule = (name: string, arn: string) => ({
    Arn: `arn:aws:scheduler:us-east-1:${ACCOUNT}:schedule/default/${name}`, GroupName: "default", Name: name,
    ScheduleExpression: "cron(0 2 * * ? *)", ScheduleExpressionTimezone: "UTC", State: "ENABLED" as const,
    Description: "gantry: nightly on cron(0 2 * * ? *) (UTC)",
    CreationDate: new Date("2026-12-01T10:00:00Z"), LastModificationDate: new Date("2026-12-01T10:00:00Z"),
    Target: { Arn: arn, RoleArn: SCHEDULER_ROLE, Input: '{"v":1,"kind":"call"}', RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 }, DeadLetterConfig: { Arn: `arn:aws:sqs:us-east-1:${ACCOUNT}:nightly-schedule-dlq-1f2e3d4` } },
    FlexibleTimeWindow: { Mode: "OFF" as const },
  });
  aws.schedules.set("nightly-cron-2a3b4c5", schedule("nightly-cron-2a3b4c5", queueArn("nightly")));
  // the same function deployed by another stack in this account: same logical name, its own queue
  aws.schedules.set("nightly-cron-7f7f7f7", schedule("nightly-cron-7f7f7f7", `arn:aws:sqs:us-east-1:${ACCOUNT}:nightly-queue-0000000`));
  return aws;
}

async function run(verb: "stop" | "start", aws: ControlPlane) {
  let out = "";
  let err = "";
  process.exitCode = undefined;
  await stopStartCommand(verb, APP, { stack: "test", region: "us-east-1" }, {
    clients: { ecs: aws.ecs, autoscaling: aws.autoscaling, scheduler: aws.scheduler },
    out: (t) => (out += t),
    err: (t) => (err += t),
  });
  const code = process.exitCode ?? 0;
  process.exitCode = undefined;
  return { out, err, code, sent: aws.take() };
}

const DIMENSION = { ServiceNamespace: "ecs", ScalableDimension: "ecs:service:DesiredCount" };
const ALL = UNITS.map((u) => u.slug);

/** the reads every run starts with */
function reads(describedFamily: string) {
  return [
    { client: "ecs", command: "DescribeTaskDefinition", input: { taskDefinition: describedFamily } },
    { client: "ecs", command: "DescribeServices", input: { cluster: CLUSTER, services: ALL, include: ["TAGS"] } },
    { client: "autoscaling", command: "DescribeScalableTargets", input: { ...DIMENSION, ResourceIds: ALL.map(resourceId) } },
  ];
}

const listSchedules = (slug: string) => ({ client: "scheduler", command: "ListSchedules", input: { NamePrefix: `${slug}-` } });
const tagOf = (aws: ControlPlane, slug: string) => aws.services.get(resourceId(slug))!.tags!.find((t) => t.key === "gantry:stopped")?.value;

describe("gantry stop / start", () => {
  let aws: ControlPlane;
  let firstFamily: string;
  beforeEach(async () => {
    aws = deployedStack();
    // the first unit of the code is read (unitsOf order); find which one by a run's first command
    firstFamily = "";
  });

  it("stop: each service tagged with what it was first, then scaling 0..0, desired 0, its schedules disabled; a second stop changes nothing", async () => {
    const first = await run("stop", aws);
    assert.equal(first.code, 0, first.err);
    firstFamily = first.sent[0].input.taskDefinition;
    assert.ok(["stop-tests-test-nightly", "stop-tests-test-embed", "stop-tests-test-model"].includes(firstFamily));
    const record = (u: (typeof UNITS)[number], schedules = "") => `min=${u.min} max=${u.max} desired=${u.desired} schedules=${schedules} at=`;
    const sent = first.sent.map((s) => s.command === "TagResource" ? { ...s, input: { ...s.input, tags: s.input.tags.map((t: { key: string; value: string }) => ({ key: t.key, value: t.value.replace(/at=\S+$/, "at=") })) } } : s);
    const [model, embed, nightly] = UNITS;
    const tagResource = (slug: string, value: string) => ({ client: "ecs", command: "TagResource", input: { resourceArn: serviceArn(slug), tags: [{ key: "gantry:stopped", value }] } });
    const bounds = (slug: string, min: number, max: number) => ({ client: "autoscaling", command: "RegisterScalableTarget", input: { ...DIMENSION, ResourceId: resourceId(slug), MinCapacity: min, MaxCapacity: max } });
    const scheduleNow = structuredClone(aws.schedules.get("nightly-cron-2a3b4c5")!);
    assert.deepEqual(sent, [
      ...reads(firstFamily),
      listSchedules("model"),
      tagResource("model", record(model)),
      bounds("model", 0, 0),
      listSchedules("embed"),
      tagResource("embed", record(embed)),
      bounds("embed", 0, 0),
      { client: "ecs", command: "UpdateService", input: { cluster: CLUSTER, service: "embed", desiredCount: 0 } },
      listSchedules("nightly"),
      tagResource("nightly", record(nightly, "nightly-cron-2a3b4c5")),
      bounds("nightly", 0, 0),
      { client: "scheduler", command: "GetSchedule", input: { Name: "nightly-cron-2a3b4c5", GroupName: "default" } },
      {
        client: "scheduler", command: "UpdateSchedule", input: {
          Name: "nightly-cron-2a3b4c5", GroupName: "default", ScheduleExpression: "cron(0 2 * * ? *)", Description: scheduleNow.Description,
          ScheduleExpressionTimezone: "UTC", Target: scheduleNow.Target, FlexibleTimeWindow: { Mode: "OFF" }, State: "DISABLED",
        },
      },
    ]);
    assert.match(tagOf(aws, "embed")!, /^min=1 max=4 desired=1 schedules= at=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    for (const u of UNITS) {
      assert.deepEqual([aws.targets.get(resourceId(u.slug))!.MinCapacity, aws.targets.get(resourceId(u.slug))!.MaxCapacity, aws.services.get(resourceId(u.slug))!.desiredCount], [0, 0, 0], u.unit);
    }
    assert.equal(aws.schedules.get("nightly-cron-2a3b4c5")!.State, "DISABLED");
    assert.equal(aws.schedules.get("nightly-cron-2a3b4c5")!.Target!.RoleArn, SCHEDULER_ROLE, "the rest of the schedule as it was");
    assert.equal(aws.schedules.get("nightly-cron-7f7f7f7")!.State, "ENABLED", "another stack's schedule of the same name prefix");
    assert.match(first.out, /^stopping stop-tests, stack test: 3 units\n/);
    assert.match(first.out, /  embed +stopped \(scaling 1\.\.4, desired 1\): scaling 1\.\.4 -> 0\.\.0; desired 1 -> 0\n/);
    assert.match(first.out, /  nightly +stopped \(scaling 0\.\.10, desired 0, schedules nightly-cron-2a3b4c5\): scaling 0\.\.10 -> 0\.\.0; schedule nightly-cron-2a3b4c5 paused\n/);
    assert.match(first.out, /stopped 3; state is kept\. Undo: gantry start .*stop-app\.ts --stack test\n$/);

    const tags = ALL.map((s) => tagOf(aws, s));
    const second = await run("stop", aws);
    assert.equal(second.code, 0, second.err);
    assert.deepEqual(second.sent, [...reads(firstFamily), listSchedules("model"), listSchedules("embed"), listSchedules("nightly")], "only reads");
    assert.deepEqual(ALL.map((s) => tagOf(aws, s)), tags, "the first stop's record is kept");
    assert.match(second.out, /  embed +already stopped \(scaling 1\.\.4, desired 1\)\n/);
    assert.match(second.out, /stopped 0, 3 already stopped/);
  });

  it("a call made while the unit is stopped does not wake it", async () => {
    await run("stop", aws);
    const logged: string[] = [];
    const waker = new Waker({ targets: { nightly: { resourceId: resourceId("nightly"), targetInputs: 1, maxContainers: 10 } }, ecs: async () => aws.ecs, log: (m) => logged.push(m) });
    await waker.wake("nightly", 5);
    assert.deepEqual(aws.take(), [{ client: "ecs", command: "DescribeServices", input: { cluster: CLUSTER, services: ["nightly"], include: ["TAGS"] } }]);
    assert.equal(aws.services.get(resourceId("nightly"))!.desiredCount, 0);
    assert.deepEqual(logged, ["nightly is stopped (gantry stop): its inputs wait on its queue until gantry start"]);
  });

  it("start: scaling, desired counts and schedules back as they were, the tag removed last; a second start changes nothing", async () => {
    const before = { services: structuredClone([...aws.services]), targets: structuredClone([...aws.targets]), schedule: structuredClone(aws.schedules.get("nightly-cron-2a3b4c5")) };
    firstFamily = (await run("stop", aws)).sent[0].input.taskDefinition;
    const started = await run("start", aws);
    assert.equal(started.code, 0, started.err);
    const untag = (slug: string) => ({ client: "ecs", command: "UntagResource", input: { resourceArn: serviceArn(slug), tagKeys: ["gantry:stopped"] } });
    const bounds = (slug: string, min: number, max: number) => ({ client: "autoscaling", command: "RegisterScalableTarget", input: { ...DIMENSION, ResourceId: resourceId(slug), MinCapacity: min, MaxCapacity: max } });
    const schedule = before.schedule!;
    assert.deepEqual(started.sent, [
      ...reads(firstFamily),
      bounds("model", 0, 2),
      untag("model"),
      bounds("embed", 1, 4),
      { client: "ecs", command: "UpdateService", input: { cluster: CLUSTER, service: "embed", desiredCount: 1 } },
      untag("embed"),
      bounds("nightly", 0, 10),
      { client: "scheduler", command: "GetSchedule", input: { Name: "nightly-cron-2a3b4c5" } },
      {
        client: "scheduler", command: "UpdateSchedule", input: {
          Name: "nightly-cron-2a3b4c5", GroupName: "default", ScheduleExpression: schedule.ScheduleExpression, Description: schedule.Description,
          ScheduleExpressionTimezone: "UTC", Target: schedule.Target, FlexibleTimeWindow: { Mode: "OFF" }, State: "ENABLED",
        },
      },
      untag("nightly"),
    ]);
    assert.deepEqual([...aws.services], before.services, "services as they were, tags included");
    assert.deepEqual([...aws.targets], before.targets);
    const { LastModificationDate: _a, ...now } = aws.schedules.get("nightly-cron-2a3b4c5")!;
    const { LastModificationDate: _b, ...was } = schedule;
    assert.deepEqual(now, was);
    assert.match(started.out, /  nightly +started \(scaling 0\.\.10, desired 0, schedules nightly-cron-2a3b4c5\): scaling 0\.\.0 -> 0\.\.10; schedule nightly-cron-2a3b4c5 resumed\n/);
    assert.match(started.out, /started 3\n$/);

    const again = await run("start", aws);
    assert.equal(again.code, 0, again.err);
    assert.deepEqual(again.sent, reads(firstFamily), "only reads");
    assert.match(again.out, /  embed +not stopped\n/);
    assert.match(again.out, /started 0, 3 not stopped\n$/);
  });

  it("a start interrupted after some steps finishes on the next run: the record stays until the end", async () => {
    await run("stop", aws);
    aws.take();
    aws.refuse.set("UpdateSchedule", awsError("ThrottlingException", "Rate exceeded"));
    await assert.rejects(run("start", aws), /Rate exceeded/);
    assert.ok(tagOf(aws, "nightly"), "nightly keeps its record");
    assert.equal(tagOf(aws, "embed"), undefined, "embed was done");
    aws.refuse.clear();
    const again = await run("start", aws);
    assert.equal(again.code, 0, again.err);
    assert.equal(aws.schedules.get("nightly-cron-2a3b4c5")!.State, "ENABLED");
    assert.equal(tagOf(aws, "nightly"), undefined);
    assert.match(again.out, /  embed +not stopped\n/);
  });

  it("a caller that may not pass the schedule's role: exit 1, the error names iam:PassRole and the role, and start still restores", async () => {
    aws.refuse.set("UpdateSchedule", awsError("AccessDeniedException",
      `User: arn:aws:iam::${ACCOUNT}:user/ci is not authorized to perform: iam:PassRole on resource: ${SCHEDULER_ROLE} because no identity-based policy allows the iam:PassRole action`));
    const stopped = await run("stop", aws);
    assert.equal(stopped.code, 1);
    assert.match(stopped.err, new RegExp(`^gantry stop: permission missing: updating schedule nightly-cron-2a3b4c5 passes its role ${SCHEDULER_ROLE} to EventBridge Scheduler; grant iam:PassRole on ${SCHEDULER_ROLE}`));
    assert.doesNotMatch(stopped.err, /\n\s+at /, "no stack trace");
    assert.equal(decodeStopped(tagOf(aws, "nightly")!).schedules[0], "nightly-cron-2a3b4c5", "the record was written before");
    aws.refuse.clear();
    await run("stop", aws);
    assert.equal(aws.schedules.get("nightly-cron-2a3b4c5")!.State, "DISABLED", "the second run finishes the stop");
  });

  it("an app not deployed in this account and region: exit 1 naming the families looked for", async () => {
    aws.taskDefinitions.clear();
    const r = await run("stop", aws);
    assert.equal(r.code, 1);
    assert.match(r.err, /^gantry stop: app stop-tests is not deployed in stack test in this account and region: ECS has none of its task definitions \(stop-tests-test-[a-z]+, stop-tests-test-[a-z]+, stop-tests-test-[a-z]+\)/);
  });
});

describe("the stop record", () => {
  it("round-trips, fits an ECS tag value's characters, and refuses a value it cannot read", () => {
    const r = { min: 1, max: 4, desired: 2, schedules: ["nightly-cron-2a3b4c5", "nightly-day-of-week-1a2b3c4"], at: "2026-12-04T21:00:00Z" };
    const value = encodeStopped(r);
    assert.equal(value, "min=1 max=4 desired=2 schedules=nightly-cron-2a3b4c5:nightly-day-of-week-1a2b3c4 at=2026-12-04T21:00:00Z");
    assert.match(value, /^[\p{L}\p{N} +\-=._:/@]+$/u);
    assert.deepEqual(decodeStopped(value), r);
    assert.deepEqual(decodeStopped("desired=0 schedules= at=x"), { min: undefined, max: undefined, desired: 0, schedules: [], at: "x" });
    assert.throws(() => decodeStopped("yes"), /has no whole number desired=/);
    assert.throws(() => encodeStopped({ ...r, schedules: Array(10).fill("s".repeat(40)) }), /more than an ECS tag holds \(256\)/);
  });
});
