/**
 * `gantry status <app.ts> --stack prod` against AWS as scripted clients answer it (the SDK's
 * response shapes): the exact inputs of DescribeTaskDefinition, DescribeServices,
 * GetQueueAttributes, ListSchedules / GetSchedule, the results-table read of the last scheduled
 * call and GetCostAndUsage; the table it prints from them, the deployed spec hash against the
 * code's, the images against the deployment record, the cost next to the recorded plan's range;
 * and a permission AWS refuses failing only its own column.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { copyFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { test } from "node:test";
import { statusCommand, type StatusFlags } from "../../cli/commands/status.ts";
import { recordDeployment } from "../../policy/promote/records.ts";
import { Plan, PLAN_VERSION } from "../../provider/plan.ts";
import { analyzeApp } from "../../synth/index.ts";
import { specHash } from "../../synth/hash.ts";
import { awsError, ScriptedAws, type Handler } from "./fixtures/scripted-aws.ts";
import { CLUSTER, IMAGE, queueUrl, REGION, ACCOUNT, SPEC_HASH_DEPLOYED, taskDefinition, UNITS } from "./fixtures/observe-stack.ts";

const FIXTURE = resolve("tests/cli/fixtures/observe-app");
const NOW = Date.parse("2026-12-04T21:30:00.000Z");

/** The fixture app in a temp project, with a deployment record and plan as gantry deploy writes them. */
function project(): { appFile: string; codeHash: string } {
  const dir = mkdtempSync(join(tmpdir(), "gantry-status-"));
  for (const f of ["package.json", "app.ts", "Pulumi.prod.yaml"]) copyFileSync(join(FIXTURE, f), join(dir, f));
  const appFile = join(dir, "app.ts");
  const spec = analyzeApp(appFile, { projectRoot: dir }).spec!;
  const plan = Plan.parse({
    gantry: { planVersion: PLAN_VERSION, version: "0.1.0" }, app: "shop", stack: "prod", target: "aws", specHash: specHash(spec), spec, resources: [], outputs: {},
    cost: {
      currency: "USD", region: REGION, priceSource: "test prices", total: { floor: 40, expected: 95, ceiling: 410 },
      declarations: [{ declaration: "embed", instanceType: "c7i.large", cost: { floor: 30, expected: 80, ceiling: 380 }, notes: [] }], fixed: [],
    },
  });
  recordDeployment(dir, "prod", plan, { app: IMAGE }, "2026-12-01T09:00:00Z");
  return { appFile, codeHash: specHash(spec) };
}

const queueArn = (name: string) => `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`;

function handlers(overrides: Partial<Record<"ecs" | "sqs" | "scheduler" | "ddb" | "ce", Handler>> = {}, specHash = SPEC_HASH_DEPLOYED): Record<"ecs" | "sqs" | "scheduler" | "ddb" | "ce", Handler> {
  return {
    ecs: (command, input) => {
      if (command === "DescribeTaskDefinition") return taskDefinition(input.taskDefinition.replace("shop-prod-", ""), specHash);
      assert.equal(command, "DescribeServices");
      const service = (unit: keyof typeof UNITS, desired: number, running: number, pending: number, rollout: string) => ({
        serviceArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:service/${CLUSTER}/${UNITS[unit].service}`, serviceName: UNITS[unit].service,
        clusterArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${CLUSTER}`, status: "ACTIVE", desiredCount: desired, runningCount: running, pendingCount: pending,
        launchType: "EC2", taskDefinition: `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/shop-prod-${unit}:7`,
        deployments: [{ id: `ecs-svc/${unit}`, status: "PRIMARY", taskDefinition: `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/shop-prod-${unit}:7`, desiredCount: desired, pendingCount: pending, runningCount: running, rolloutState: rollout, createdAt: new Date(NOW - 3_600_000) }],
      });
      return { services: [service("embed", 2, 1, 1, "IN_PROGRESS"), service("report", 0, 0, 0, "COMPLETED")], failures: [] };
    },
    sqs: (command, input) => {
      assert.equal(command, "GetQueueAttributes");
      const counts: Record<string, Record<string, string>> = {
        [queueUrl(UNITS.embed.queue)]: { ApproximateNumberOfMessages: "12", ApproximateNumberOfMessagesDelayed: "1", ApproximateNumberOfMessagesNotVisible: "2" },
        [queueUrl(UNITS.embed.dlq)]: { ApproximateNumberOfMessages: "3" },
        [queueUrl(UNITS.report.queue)]: { ApproximateNumberOfMessages: "0", ApproximateNumberOfMessagesDelayed: "0", ApproximateNumberOfMessagesNotVisible: "0" },
        [queueUrl(UNITS.report.dlq)]: { ApproximateNumberOfMessages: "0" },
      };
      return { Attributes: counts[input.QueueUrl] };
    },
    scheduler: (command, input) => {
      if (command === "ListSchedules") {
        return {
          Schedules: [
            { Arn: `arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule/default/report-cron-1a2b3c4`, Name: "report-cron-1a2b3c4", GroupName: "default", State: "ENABLED", Target: { Arn: queueArn(UNITS.report.queue) }, CreationDate: new Date(NOW - 86_400_000), LastModificationDate: new Date(NOW - 86_400_000) },
            // another stack's unit with the same slug
            { Arn: `arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule/default/report-cron-7f7f7f7`, Name: "report-cron-7f7f7f7", GroupName: "default", State: "ENABLED", Target: { Arn: queueArn("shop-staging-report-1111111") } },
          ],
        };
      }
      assert.equal(command, "GetSchedule");
      return {
        Arn: `arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule/default/${input.Name}`, Name: input.Name, GroupName: input.GroupName,
        ScheduleExpression: "cron(0 6 * * ? *)", ScheduleExpressionTimezone: "Europe/Paris", State: "ENABLED", FlexibleTimeWindow: { Mode: "OFF" },
        Target: { Arn: queueArn(UNITS.report.queue), RoleArn: `arn:aws:iam::${ACCOUNT}:role/report-scheduler-1234567`, Input: "{}" },
      };
    },
    ddb: (command, input) => {
      assert.equal(command, "Get");
      return { Item: { callId: input.Key.callId, status: "ok" } };
    },
    ce: (command) => {
      assert.equal(command, "GetCostAndUsage");
      return {
        GroupDefinitions: [{ Type: "TAG", Key: "gantry:declaration" }],
        ResultsByTime: [{
          TimePeriod: { Start: "2026-12-01", End: "2026-12-05" }, Total: {}, Estimated: true,
          Groups: [
            { Keys: ["gantry:declaration$"], Metrics: { UnblendedCost: { Amount: "4.5", Unit: "USD" } } },
            { Keys: ["gantry:declaration$embed"], Metrics: { UnblendedCost: { Amount: "12.3456", Unit: "USD" } } },
          ],
        }],
        DimensionValueAttributes: [],
      };
    },
    ...overrides,
  };
}

async function run(appFile: string, flags: Omit<StatusFlags, "stack">, h: ReturnType<typeof handlers>) {
  const aws = new ScriptedAws();
  let out = "";
  let err = "";
  process.exitCode = undefined;
  await statusCommand(appFile, { stack: "prod", ...flags }, {
    clients: {
      ecs: aws.client("ecs", h.ecs), sqs: aws.client("sqs", h.sqs), scheduler: aws.client("scheduler", h.scheduler), ddb: aws.client("ddb", h.ddb), costExplorer: aws.client("ce", h.ce),
    },
    out: (t) => (out += t),
    err: (t) => (err += t),
    now: () => NOW,
    progress: false,
  });
  const code = process.exitCode ?? 0;
  process.exitCode = undefined;
  return { out, err, code, aws };
}

test("per unit: desired/running, backlog, in flight, dead letters; schedules; spec and images vs code; cost vs plan", async () => {
  const { appFile, codeHash } = project();
  const r = await run(appFile, {}, handlers());
  assert.equal(r.code, 0, r.err);
  assert.equal(r.err, "");

  assert.deepEqual(r.aws.of("ecs", "DescribeTaskDefinition"), [{ taskDefinition: "shop-prod-embed" }, { taskDefinition: "shop-prod-report" }]);
  assert.deepEqual(r.aws.of("ecs", "DescribeServices"), [{ cluster: CLUSTER, services: [UNITS.embed.service, UNITS.report.service] }]);
  const full = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesDelayed", "ApproximateNumberOfMessagesNotVisible"];
  assert.deepEqual(r.aws.of("sqs").sort((a, b) => String(a.QueueUrl).localeCompare(String(b.QueueUrl))), [
    { QueueUrl: queueUrl(UNITS.embed.queue), AttributeNames: full },
    { QueueUrl: queueUrl(UNITS.embed.dlq), AttributeNames: ["ApproximateNumberOfMessages"] },
    { QueueUrl: queueUrl(UNITS.report.queue), AttributeNames: full },
    { QueueUrl: queueUrl(UNITS.report.dlq), AttributeNames: ["ApproximateNumberOfMessages"] },
  ].sort((a, b) => a.QueueUrl.localeCompare(b.QueueUrl)));
  assert.deepEqual(r.aws.of("scheduler"), [{ NamePrefix: "report-" }, { Name: "report-cron-1a2b3c4", GroupName: "default" }]);
  // the previous 06:00 in Paris (CET, UTC+1) is 05:00Z today: the call id the schedule gave it
  assert.deepEqual(r.aws.of("ddb"), [{ TableName: "shop-prod-results-3c4d5e6", Key: { callId: "report:@sched:2026-12-04T05:00:00Z" }, ProjectionExpression: "callId, #s", ExpressionAttributeNames: { "#s": "status" } }]);
  assert.deepEqual(r.aws.of("ce"), [{
    TimePeriod: { Start: "2026-12-01", End: "2026-12-05" }, Granularity: "MONTHLY", Metrics: ["UnblendedCost"],
    Filter: { And: [{ Tags: { Key: "gantry:app", Values: ["shop"], MatchOptions: ["EQUALS"] } }, { Tags: { Key: "gantry:stack", Values: ["prod"], MatchOptions: ["EQUALS"] } }] },
    GroupBy: [{ Type: "TAG", Key: "gantry:declaration" }],
  }]);

  const short = (h: string) => h.replace("sha256:", "").slice(0, 12);
  assert.match(r.out, /^shop, stack prod \(eu-west-1\)\n/);
  assert.ok(r.out.includes(`  spec: deployed ${short(SPEC_HASH_DEPLOYED)}, code ${short(codeHash)}: the code changed since the deploy (gantry deploy --stack prod to roll it out)\n`), r.out);
  assert.match(r.out, /UNIT +DESIRED +RUNNING +PENDING +BACKLOG +IN FLIGHT +DEAD-LETTERED +DEPLOYMENT\n +embed +2 +1 +1 +13 +2 +3 +IN_PROGRESS, rev 7\n +report +0 +0 +0 +0 +0 +0 +COMPLETED, rev 7\n/);
  assert.match(r.out, /dead-lettered inputs: gantry redrive <app\.ts> --stack prod --function embed --dry-run\n/);
  assert.match(r.out, /SCHEDULE +AWS SCHEDULE +STATE +LAST RUN +NEXT RUN\n +report +report-cron-1a2b3c4: cron\(0 6 \* \* \? \*\) \(Europe\/Paris\) +ENABLED +2026-12-04T05:00:00Z ok +2026-12-05T05:00:00.000Z\n/);
  assert.ok(r.out.includes(`    ${IMAGE}  (embed, report; = .gantry/stacks/prod/deployment.json)\n`), r.out);
  assert.match(r.out, /cost so far this month \(2026-12-01 to 2026-12-05, estimated, Cost Explorer by tags gantry:app and gantry:stack\): \$16\.85; plan: floor \$40\.00, expected \$95\.00, ceiling \$410\.00 a month\n    shared \$4\.50, embed \$12\.35 \(plan \$30\.00-\$380\.00\)\n/);
  assert.doesNotMatch(r.out, /not read/);

  const same = await run(appFile, { cost: false, json: true }, handlers({}, codeHash));
  const json = JSON.parse(same.out);
  assert.equal(json.cost, null, "--no-cost asks nothing");
  assert.deepEqual(same.aws.of("ce"), []);
  assert.deepEqual(json.deployedSpecHashes, [codeHash]);
  assert.deepEqual(json.units[0], {
    unit: "embed", deployed: true, specHash: codeHash, image: IMAGE, revision: 7,
    service: { service: UNITS.embed.service, cluster: CLUSTER, status: "ACTIVE", desired: 2, running: 1, pending: 1, rollout: "IN_PROGRESS" },
    queues: { backlog: 13, inFlight: 2, deadLettered: 3 }, schedule: null, problems: [],
  });
  assert.match((await run(appFile, { cost: false }, handlers({}, codeHash))).out, /  spec: [0-9a-f]{12}, deployed = code\n/);
});

test("a permission AWS refuses fails its own column, named; a unit not deployed says so; no credentials is exit 1", async () => {
  const { appFile } = project();
  const denied = (action: string) => () => {
    throw awsError("AccessDeniedException", `User: arn:aws:iam::${ACCOUNT}:user/dev is not authorized to perform: ${action}`);
  };
  const base = handlers();
  const r = await run(appFile, {}, handlers({
    ecs: (command, input) => {
      if (command === "DescribeServices") return denied("ecs:DescribeServices")();
      if (input.taskDefinition === "shop-prod-report") throw awsError("ClientException", "Unable to describe task definition.");
      return base.ecs(command, input);
    },
    ce: denied("ce:GetCostAndUsage"),
  }));
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, / +embed +- +- +- +13 +2 +3 +rev 7\n +report +- +- +- +- +- +- +not deployed\n/);
  assert.match(r.out, /cost so far: not available \(permission missing: the caller may not call ce:GetCostAndUsage on Cost Explorer; grant ce:GetCostAndUsage to it .*\); plan: floor \$40\.00/);
  assert.match(r.out, /not read:\n    embed: permission missing: the caller may not call ecs:DescribeServices on services shop-prod-embed-9a8b7c6 in cluster shop-prod-cluster-7f3a2b1; grant ecs:DescribeServices/);
  assert.match(r.out, /    report: report of app shop is not deployed in stack prod in this account and region: ECS has no task definition shop-prod-report/);
  assert.deepEqual(r.aws.of("scheduler"), [], "no schedule read for a unit that is not deployed");

  const noCreds = await run(appFile, {}, handlers({ ecs: () => {
    throw awsError("CredentialsProviderError", "Could not load credentials from any providers");
  } }));
  assert.equal(noCreds.code, 1);
  assert.equal(noCreds.out, "");
  assert.match(noCreds.err, /^gantry status: no AWS credentials found \(needed for ecs:DescribeTaskDefinition on task definition family shop-prod-(embed|report)\)/);
});

test("--help of logs, status and app list; the real CLI without credentials exits 1 naming the permission", { timeout: 60_000 }, async () => {
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("AWS_")));
  Object.assign(env, { NO_COLOR: "1", AWS_CONFIG_FILE: "/nonexistent/aws-config", AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/aws-credentials", AWS_EC2_METADATA_DISABLED: "true" });
  const cli = (args: string[]) => new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
    const child = spawn(process.execPath, [resolve("cli/bin.mjs"), ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => done({ code, stdout, stderr }));
  });
  const [status, logsHelp, statusHelp, listHelp, noStack] = await Promise.all([
    cli(["status", join(FIXTURE, "app.ts"), "--stack", "prod", "--no-cost"]),
    cli(["logs", "--help"]),
    cli(["status", "--help"]),
    cli(["app", "list", "--help"]),
    cli(["status", "missing.ts", "--stack", "prod"]),
  ]);
  assert.equal(status.code, 1, status.stderr);
  assert.match(status.stderr, /^gantry status: no AWS credentials found \(needed for ecs:DescribeTaskDefinition on task definition family shop-prod-(embed|report)\)/);
  assert.equal(logsHelp.code, 0);
  assert.match(logsHelp.stdout, /^Usage: gantry logs \[options\] <app>/);
  assert.match(logsHelp.stdout, /logs:FilterLogEvents on the units' log groups/);
  assert.equal(statusHelp.code, 0);
  assert.match(statusHelp.stdout, /sqs:GetQueueAttributes on the units' queues and dead-letter queues/);
  assert.match(statusHelp.stdout, /--redis-url <url> +a kubernetes stack's Redis/);
  assert.match(statusHelp.stdout, /On a kubernetes stack \(gantry:target: kubernetes\): per unit, the inputs waiting, running, retrying\nand dead-lettered/);
  assert.equal(listHelp.code, 0);
  assert.match(listHelp.stdout, /^Usage: gantry app list \[options\]/);
  assert.equal(noStack.code, 2);
  assert.equal(noStack.stderr, "gantry: no such file: missing.ts\n");
});
