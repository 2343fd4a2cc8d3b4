/**
 * The control verbs as a new user meets them, through the real `gantry` executable: `--help` of
 * redrive / stop / start (exit 0, the IAM each needs), usage errors (exit 2), and no AWS
 * credentials or region (exit 1 with the permission that was needed, never a stack trace). The
 * environment is emptied of every credential source (no keys, no profile files, no instance
 * metadata), so nothing reaches the network.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, it } from "node:test";

const BIN = resolve("cli/bin.mjs");
const STOP_APP = "tests/runtime/aws/fixtures/stop-app.ts";
const REDRIVE_APP = "tests/runtime/aws/fixtures/redrive-app.ts";
const home = mkdtempSync(join(tmpdir(), "gantry-nocreds-"));

/** this process's environment without anything the AWS SDK takes credentials or a region from */
function bareEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("AWS_")) env[k] = v;
  return {
    ...env,
    HOME: home,
    AWS_SHARED_CREDENTIALS_FILE: join(home, "missing-credentials"),
    AWS_CONFIG_FILE: join(home, "missing-config"),
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    ...extra,
  };
}

function gantry(args: string[], env = bareEnv()) {
  const r = spawnSync(process.execPath, [BIN, ...args], { env, encoding: "utf8", timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const noStackTrace = (text: string) => assert.doesNotMatch(text, /\n\s+at .+:\d+:\d+\)?\n/, "no stack trace");

describe("gantry redrive / stop / start --help", () => {
  for (const [verb, needs] of [
    ["redrive", [/Usage: gantry redrive \[options\] <app>/, /--function <name>/, /--dry-run/, /sqs:SendMessage on the unit's queue/, /dynamodb:GetItem, dynamodb:DeleteItem/, /--redis-url <url>/, /as the unit's Redis user gantry-<unit>/]],
    ["stop", [/Usage: gantry stop \[options\] <app>/, /ecs:TagResource/, /application-autoscaling:RegisterScalableTarget/, /iam:PassRole on the schedules' roles/, /Undo with gantry start/]],
    ["start", [/Usage: gantry start \[options\] <app>/, /ecs:UntagResource/, /scheduler:UpdateSchedule/, /running it again changes nothing/]],
  ] as const) {
    it(`${verb} --help: exit 0, what it does and the IAM it needs`, () => {
      const r = gantry([verb, "--help"]);
      assert.equal(r.code, 0, r.err);
      for (const re of needs) assert.match(r.out, re);
      assert.match(r.out, /--stack <name>/);
      assert.match(r.out, /--region <region>/);
    });
  }
});

describe("usage errors: exit 2", () => {
  it("a missing --stack, a missing file, a function the app does not have", () => {
    const noStack = gantry(["stop", STOP_APP]);
    assert.equal(noStack.code, 2);
    assert.match(noStack.err, /required option '--stack <name>' not specified/);
    const noFile = gantry(["start", "nowhere/app.ts", "--stack", "test"]);
    assert.equal(noFile.code, 2);
    assert.match(noFile.err, /^gantry: no such file: nowhere\/app\.ts/);
    const noFunction = gantry(["redrive", REDRIVE_APP, "--stack", "test", "--function", "pars"]);
    assert.equal(noFunction.code, 2);
    assert.match(noFunction.err, /app redrive-tests .* has no function or class "pars" \(did you mean "parse"\?\); its units: parse/);
    const badLimit = gantry(["redrive", REDRIVE_APP, "--stack", "test", "--function", "parse", "--limit", "0"]);
    assert.equal(badLimit.code, 2);
    assert.match(badLimit.err, /--limit must be a whole number >= 1, not "0"/);
  });
});

describe("without AWS credentials or region: exit 1, naming what was needed", () => {
  for (const [verb, args, family] of [
    ["redrive", [REDRIVE_APP, "--stack", "test", "--function", "parse"], "redrive-tests-test-parse"],
    ["stop", [STOP_APP, "--stack", "test"], "stop-tests-test-"],
    ["start", [STOP_APP, "--stack", "test"], "stop-tests-test-"],
  ] as const) {
    it(`${verb}: no credentials`, () => {
      const r = gantry([verb, ...args, "--region", "eu-west-1"]);
      assert.equal(r.code, 1, r.err);
      assert.match(r.err, new RegExp(`^gantry ${verb}: no AWS credentials found \\(needed for ecs:DescribeTaskDefinition on task definition family ${family}`));
      assert.match(r.err, /AWS_ACCESS_KEY_ID\/AWS_SECRET_ACCESS_KEY, AWS_PROFILE/);
      noStackTrace(r.err);
    });
  }

  it("stop: credentials but no region", () => {
    const r = gantry(["stop", STOP_APP, "--stack", "test"], bareEnv({ AWS_ACCESS_KEY_ID: "AKIAEXAMPLE", AWS_SECRET_ACCESS_KEY: "secret" }));
    assert.equal(r.code, 1, r.err);
    assert.match(r.err, /^gantry stop: no AWS region: set AWS_REGION \(or a region in your AWS profile\), or pass --region/);
    noStackTrace(r.err);
  });
});
