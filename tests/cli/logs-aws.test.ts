/**
 * `gantry logs <app.ts> --stack prod` against AWS as scripted clients answer it (the SDK's response
 * shapes): the exact FilterLogEvents inputs (log groups, start/end, filter pattern, pages), lines
 * merged in time order across groups and prefixed with unit#task, secret values masked (the
 * stack's Secrets Manager secret read with GetSecretValue, the dict secret from the analysis),
 * following by polling, and the messages when AWS refuses.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { test } from "node:test";
import { logsCommand, type LogsFlags } from "../../cli/commands/logs.ts";
import { awsError, ScriptedAws, unexpected, type Handler } from "./fixtures/scripted-aws.ts";
import { DB_SECRET, taskDefinition } from "./fixtures/observe-stack.ts";

const APP = resolve("tests/cli/fixtures/observe-app/app.ts");
const NOW = Date.parse("2026-12-04T21:30:00.000Z");
const T = (s: string) => Date.parse(`2026-12-04T${s}Z`);
const TASK_A = "3f9a1c2e5b7d4e0f8a1b2c3d4e5f6a7b";
const TASK_B = "77c0ffee5b7d4e0f8a1b2c3d4e5f6a7b";

const event = (stream: string, time: string, message: string, id: string) =>
  ({ logStreamName: stream, timestamp: T(time), message, ingestionTime: T(time) + 800, eventId: id });

function ecs(): Handler {
  return (command, input) => {
    assert.equal(command, "DescribeTaskDefinition");
    return taskDefinition(input.taskDefinition.replace("shop-prod-", ""));
  };
}

const secrets: Handler = (command, input) => {
  assert.equal(command, "GetSecretValue");
  return { ARN: input.SecretId, Name: "shop-prod-db", SecretString: JSON.stringify({ DB_PASSWORD: "s3cr3t-db-pass" }), VersionId: "v1", VersionStages: ["AWSCURRENT"], CreatedDate: new Date(NOW) };
};

async function run(flags: Omit<LogsFlags, "stack">, handlers: { logs: Handler; ecs?: Handler; secrets?: Handler }, extra: { signal?: AbortSignal; onOut?: (out: string) => void } = {}) {
  const aws = new ScriptedAws();
  let out = "";
  let err = "";
  process.exitCode = undefined;
  await logsCommand(APP, { stack: "prod", ...flags }, {
    clients: {
      ecs: aws.client("ecs", handlers.ecs ?? ecs()), logs: aws.client("logs", handlers.logs), secrets: aws.client("secrets", handlers.secrets ?? secrets),
      sqs: aws.client("sqs", unexpected("sqs")), ddb: aws.client("ddb", unexpected("ddb")),
    },
    out: (t) => {
      out += t;
      extra.onOut?.(out);
    },
    err: (t) => (err += t),
    now: () => NOW,
    pollMs: 1,
    ...(extra.signal ? { signal: extra.signal } : {}),
  });
  const code = process.exitCode ?? 0;
  process.exitCode = undefined;
  return { out, err, code, aws };
}

test("every unit's log group, every page, merged in time order, prefixed with unit#task, secrets masked", async () => {
  const logs: Handler = (command, input) => {
    assert.equal(command, "FilterLogEvents");
    if (input.logGroupName === "/gantry/shop/prod/embed" && input.nextToken === undefined) {
      return { events: [event(`embed/main/${TASK_A}`, "21:21:00.000", "connecting with s3cr3t-db-pass\n", "e1")], searchedLogStreams: [], nextToken: "page-2" };
    }
    if (input.logGroupName === "/gantry/shop/prod/embed") {
      assert.equal(input.nextToken, "page-2");
      return { events: [event(`embed/main/${TASK_B}`, "21:23:00.000", "key dict-api-key-31415 ok", "e3")], searchedLogStreams: [] };
    }
    assert.equal(input.logGroupName, "/gantry/shop/prod/report");
    return { events: [event(`report/main/${TASK_A}`, "21:22:00.000", '{"level":30,"msg":"container starting"}', "r1")], searchedLogStreams: [] };
  };
  const r = await run({}, { logs });
  assert.equal(r.code, 0, r.err);
  assert.equal(r.err, "");
  assert.equal(r.out, [
    "2026-12-04T21:21:00.000Z [embed#3f9a1c2e] connecting with [secret]",
    '2026-12-04T21:22:00.000Z [report#3f9a1c2e] {"level":30,"msg":"container starting"}',
    "2026-12-04T21:23:00.000Z [embed#77c0ffee] key [secret] ok",
    "",
  ].join("\n"));
  const window = { startTime: NOW - 10 * 60_000, endTime: NOW };
  assert.deepEqual(r.aws.of("logs"), [
    { logGroupName: "/gantry/shop/prod/embed", ...window },
    { logGroupName: "/gantry/shop/prod/report", ...window },
    { logGroupName: "/gantry/shop/prod/embed", ...window, nextToken: "page-2" },
  ]);
  assert.deepEqual(r.aws.of("ecs"), [{ taskDefinition: "shop-prod-embed" }, { taskDefinition: "shop-prod-report" }]);
  assert.deepEqual(r.aws.of("secrets"), [{ SecretId: DB_SECRET }]);
});

test("--function, --call, --since and --json narrow the read; nothing found says so", async () => {
  const logs: Handler = () => ({ events: [event(`embed/main/${TASK_A}`, "21:00:00.000", '{"level":50,"callId":"fc-42","msg":"input failed"}', "e9")], searchedLogStreams: [] });
  const r = await run({ function: "embed", call: "fc-42", since: "1h", json: true }, { logs });
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(r.aws.of("logs"), [{ logGroupName: "/gantry/shop/prod/embed", startTime: NOW - 3_600_000, endTime: NOW, filterPattern: '"fc-42"' }]);
  assert.deepEqual(JSON.parse(r.out), { time: "2026-12-04T21:00:00.000Z", container: "embed#3f9a1c2e", text: '{"level":50,"callId":"fc-42","msg":"input failed"}' });

  const none = await run({ function: "report", since: "2026-12-04T21:00:00Z" }, { logs: () => ({ events: [], searchedLogStreams: [] }) });
  assert.deepEqual(none.aws.of("logs"), [{ logGroupName: "/gantry/shop/prod/report", startTime: T("21:00:00.000"), endTime: NOW }]);
  assert.equal(none.out, "");
  assert.equal(none.err, "gantry logs: no lines since 2026-12-04T21:00:00.000Z\n");

  await assert.rejects(run({ function: "nope" }, { logs }), /app shop \(.*\) has no function or class "nope"; its units: embed, report/);
  await assert.rejects(run({ since: "yesterday" }, { logs }), /--since takes a duration before now/);
});

test("--follow polls from the newest line seen (a minute back for late lines), prints each line once, in order", async () => {
  const rounds = [
    [event(`embed/main/${TASK_A}`, "21:29:00.000", "first", "a1")],
    [event(`embed/main/${TASK_A}`, "21:29:00.000", "first", "a1"), event(`embed/main/${TASK_A}`, "21:29:30.000", "second", "a2")],
    [event(`embed/main/${TASK_A}`, "21:29:30.000", "second", "a2"), event(`embed/main/${TASK_B}`, "21:29:10.000", "late but new", "a3")],
  ];
  let round = 0;
  const controller = new AbortController();
  const logs: Handler = (_command, input) => {
    assert.equal(input.logGroupName, "/gantry/shop/prod/embed");
    return { events: rounds[Math.min(round++, rounds.length - 1)], searchedLogStreams: [] };
  };
  const r = await run({ function: "embed", follow: true }, { logs }, { signal: controller.signal, onOut: (out) => out.includes("late but new") && controller.abort() });
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, [
    "2026-12-04T21:29:00.000Z [embed#3f9a1c2e] first",
    "2026-12-04T21:29:30.000Z [embed#3f9a1c2e] second",
    "2026-12-04T21:29:10.000Z [embed#77c0ffee] late but new",
    "",
  ].join("\n"));
  const starts = r.aws.of("logs").map((i) => [i.startTime, i.endTime]);
  assert.deepEqual(starts.slice(0, 3), [
    [NOW - 10 * 60_000, undefined],
    [T("21:28:00.000"), undefined], // the newest seen (21:29:00) minus a minute
    [T("21:28:30.000"), undefined], // 21:29:30 minus a minute
  ]);
});

test("AWS refusing: a missing permission is named (exit 1); an unreadable secret is a warning, the logs still print", async () => {
  const denied = await run({}, { logs: (_c, input) => {
    throw awsError("AccessDeniedException", `User: arn:aws:iam::123456789012:user/dev is not authorized to perform: logs:FilterLogEvents on resource: arn:aws:logs:eu-west-1:123456789012:log-group:${input.logGroupName}`);
  } });
  assert.equal(denied.code, 1);
  assert.equal(denied.out, "");
  assert.match(denied.err, /^gantry logs: permission missing: the caller may not call logs:FilterLogEvents on log group \/gantry\/shop\/prod\/(embed|report); grant logs:FilterLogEvents to it \(AWS said: User: .* is not authorized/m);

  const noSecret = await run({ function: "embed" }, {
    logs: () => ({ events: [event(`embed/main/${TASK_A}`, "21:25:00.000", "hello", "h1")], searchedLogStreams: [] }),
    secrets: () => {
      throw awsError("AccessDeniedException", "not authorized to perform: secretsmanager:GetSecretValue");
    },
  });
  assert.equal(noSecret.code, 0);
  assert.equal(noSecret.out, "2026-12-04T21:25:00.000Z [embed#3f9a1c2e] hello\n");
  assert.match(noSecret.err, new RegExp(`^gantry logs: not masking the values of ${DB_SECRET} in your code's output: permission missing: the caller may not call secretsmanager:GetSecretValue on ${DB_SECRET}`));

  const gone = await run({ function: "report" }, { logs: () => {
    throw awsError("ResourceNotFoundException", "The specified log group does not exist.");
  } });
  assert.equal(gone.code, 1);
  assert.match(gone.err, /^gantry logs: report: no log group \/gantry\/shop\/prod\/report in this account and region/);
});

test("the real CLI without AWS credentials: exit 1, naming the first call it needed", { timeout: 60_000 }, async () => {
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("AWS_")));
  Object.assign(env, { NO_COLOR: "1", AWS_CONFIG_FILE: "/nonexistent/aws-config", AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/aws-credentials", AWS_EC2_METADATA_DISABLED: "true" });
  const child = spawn(process.execPath, [resolve("cli/bin.mjs"), "logs", APP, "--stack", "prod"], { env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  const code = await new Promise((r) => child.on("close", r));
  assert.equal(code, 1, stderr);
  assert.equal(stdout, "");
  assert.match(stderr, /^gantry logs: no AWS credentials found \(needed for ecs:DescribeTaskDefinition on task definition family shop-prod-embed\)\. AWS credentials come from the default chain/);
});
