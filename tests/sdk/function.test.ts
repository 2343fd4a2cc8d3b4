/**
 * Function.fromName(app, fn, { stack }) from a plain Node process: the deployed app runs as real
 * containers over the local AWS servers (dynalite, s3rver, the SQS stand-in); ECS is an HTTP
 * stand-in answering DescribeTaskDefinition with the environment the stack gives the unit's
 * tasks. The caller process has no gantry runtime attached, only AWS settings.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { startLocalAws, type LocalAws } from "../runtime/aws/fixtures/local-aws.ts";
import { Fleet } from "../runtime/aws/fixtures/fleet.ts";
import { startEcsStandIn, type EcsStandIn } from "../runtime/aws/fixtures/ecs-server.ts";

const APP = fileURLToPath(new URL("./fixtures/deployed-app.ts", import.meta.url));
const CALLER = fileURLToPath(new URL("./fixtures/from-name-caller.ts", import.meta.url));

let aws: LocalAws;
let fleet: Fleet;
let ecs: EcsStandIn;

before(async () => {
  aws = await startLocalAws();
  fleet = await Fleet.start(aws, APP, { visibilityTimeout: 5 });
  const env = fleet.unit("square").env;
  ecs = await startEcsStandIn(new Map([["from-name-tests-test-square", {
    taskDefinitionArn: "arn:aws:ecs:us-east-1:123456789012:task-definition/from-name-tests-test-square:2",
    family: "from-name-tests-test-square", revision: 2, status: "ACTIVE",
    containerDefinitions: [{ name: "main", environment: Object.entries(env).filter(([k]) => k.startsWith("GANTRY_")).map(([name, value]) => ({ name, value })) }],
  }]]));
});

after(async () => {
  await fleet?.stop();
  await ecs?.close();
  await aws?.stop();
});

function runCaller(): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", CALLER], {
    env: { ...process.env, ...aws.env, AWS_ENDPOINT_URL_ECS: ecs.url, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr.on("data", (c: Buffer) => (err += c.toString()));
  return new Promise((resolve) => child.on("exit", (code) => resolve({ code, out, err })));
}

test("a Node process with only AWS credentials calls a deployed function by app, name and stack: remote, map, spawn + get", { timeout: 120_000 }, async () => {
  fleet.scale("square", 1);
  const r = await runCaller();
  assert.equal(r.code, 0, r.err);
  const got = JSON.parse(r.out.trim().split("\n").pop()!);
  assert.equal(got.one, 49);
  assert.deepEqual(got.many, [1, 4, 9]);
  assert.equal(got.spawned, 16);
  assert.equal(got.missing, 'Error: cube: "cube" is not deployed in this stack (deployed: square)', "the app's contract names its units");
  assert.match(got.otherApp, /^AwsAccessError: invoice of app billing is not deployed in stack test in this account and region: ECS has no task definition billing-test-invoice /);
  assert.match(got.local, /^Error: square\.local\(\): Function\.fromName handles cannot run locally/);
  assert.match(got.unattached, /no runtime is attached to this process/);
  // one lookup per app and stack, whatever the number of calls and functions
  assert.deepEqual(ecs.requests, [
    { operation: "DescribeTaskDefinition", input: { taskDefinition: "from-name-tests-test-square" } },
    { operation: "DescribeTaskDefinition", input: { taskDefinition: "billing-test-invoice" } },
  ]);
  await fleet.stopUnit("square");
});
