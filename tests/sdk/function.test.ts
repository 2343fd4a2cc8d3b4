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
import type { TaskDefinition } from "@aws-sdk/client-ecs";
import { startLocalAws, type LocalAws } from "../runtime/aws/fixtures/local-aws.ts";
import { eventually, Fleet } from "../runtime/aws/fixtures/fleet.ts";
import { startEcsStandIn, type EcsStandIn } from "../runtime/aws/fixtures/ecs-server.ts";

const APP = fileURLToPath(new URL("./fixtures/deployed-app.ts", import.meta.url));
const CALLER = fileURLToPath(new URL("./fixtures/from-name-caller.ts", import.meta.url));
const FROM_ID = fileURLToPath(new URL("./fixtures/from-id-caller.ts", import.meta.url));

let aws: LocalAws;
let fleet: Fleet;
let ecs: EcsStandIn;

before(async () => {
  aws = await startLocalAws();
  fleet = await Fleet.start(aws, APP, { visibilityTimeout: 5 });
  const taskDefinition = (family: string, unit = "square", overrides: Record<string, string> = {}): [string, TaskDefinition] => [family, {
    taskDefinitionArn: `arn:aws:ecs:us-east-1:123456789012:task-definition/${family}:2`, family, revision: 2, status: "ACTIVE",
    containerDefinitions: [{ name: "main", environment: Object.entries({ ...fleet.unit(unit).env, ...overrides }).filter(([k]) => k.startsWith("GANTRY_")).map(([name, value]) => ({ name, value })) }],
  }];
  ecs = await startEcsStandIn(new Map([
    taskDefinition("from-name-tests-test-square"),
    taskDefinition("from-name-tests-test-greeter", "Greeter"),
    // stack "test-a" of the same app: its family shares the prefix of stack "test" and sorts first
    taskDefinition("from-name-tests-test-a-square", "square", { GANTRY_STACK: "test-a" }),
  ]));
});

after(async () => {
  await fleet?.stop();
  await ecs?.close();
  await aws?.stop();
});

function runCaller(script = CALLER, args: string[] = []): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", script, ...args], {
    env: { ...process.env, ...aws.env, AWS_ENDPOINT_URL_ECS: ecs.url, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr.on("data", (c: Buffer) => (err += c.toString()));
  return new Promise((resolve) => child.on("exit", (code) => resolve({ code, out, err })));
}

test("a Node process with only AWS credentials calls a deployed function or class by app, name and stack: remote, map, spawn + get", { timeout: 120_000 }, async () => {
  fleet.scale("square", 1);
  fleet.scale("Greeter", 1);
  const r = await runCaller();
  assert.equal(r.code, 0, r.err);
  const got = JSON.parse(r.out.trim().split("\n").pop()!);
  assert.equal(got.one, 49);
  assert.deepEqual(got.many, [1, 4, 9]);
  assert.equal(got.spawned, 16);
  assert.equal(got.missing, 'Error: cube: "cube" is not deployed in this stack (deployed: Greeter, square)', "the app's contract names its units");
  assert.deepEqual(got.greeted, ["hello, Ada", "bonjour, Alan"], "Cls.fromName(app, name, { stack }) with class parameters");
  assert.match(got.otherApp, /^AwsAccessError: invoice of app billing is not deployed in stack test in this account and region: ECS has no task definition billing-test-invoice /);
  assert.match(got.local, /^Error: square\.local\(\): Function\.fromName handles cannot run locally/);
  assert.match(got.unattached, /no runtime is attached to this process/);
  // one lookup per app and stack, whatever the number of calls and functions
  assert.deepEqual(ecs.requests, [
    { operation: "DescribeTaskDefinition", input: { taskDefinition: "from-name-tests-test-square" } },
    { operation: "DescribeTaskDefinition", input: { taskDefinition: "billing-test-invoice" } },
  ]);
  await fleet.stopUnit("square");
  await fleet.stopUnit("Greeter");
});

/** One run of the from-id caller; its last stdout line, parsed. */
async function fromId(...args: string[]): Promise<any> {
  const r = await runCaller(FROM_ID, args);
  assert.equal(r.code, 0, r.err);
  return JSON.parse(r.out.trim().split("\n").pop()!);
}

test("FunctionCall.fromId(id, { app, stack }) in another Node process gets or cancels a call spawned earlier", { timeout: 120_000 }, async () => {
  // spawned while no container runs: the calls wait on the queue
  const { id: kept } = await fromId("spawn", "5");
  const { id: dropped } = await fromId("spawn", "6");
  assert.match(kept, /^square:@ext:fc-[0-9a-f-]{36}$/, "an id names the function it was made to and its caller");
  const lookups = ecs.requests.length;
  assert.deepEqual(await fromId("cancel", dropped), { value: "cancelled" });
  // no function named: the id names it, so one DescribeTaskDefinition of that unit and no listing
  assert.deepEqual(ecs.requests.slice(lookups), [
    { operation: "DescribeTaskDefinition", input: { taskDefinition: "from-name-tests-test-square" } },
  ]);
  fleet.scale("square", 1);
  assert.deepEqual(await fromId("get", kept), { value: 25 });
  assert.deepEqual(await fromId("get", dropped, "org/project/test", "square"), { error: `InputCancelledError: call ${dropped} was cancelled` });
  assert.deepEqual(ecs.requests.at(-1), { operation: "DescribeTaskDefinition", input: { taskDefinition: "from-name-tests-test-square" } }, "with the function named, no listing");
  const { url, dlqUrl } = fleet.unit("square");
  const queues = await eventually(async () => {
    const all = Object.values(await aws.dumpQueues());
    const main = all.find((q) => q.url === url);
    return main && main.messages.length === 0 ? all : null;
  }, "the worker took both messages off the queue");
  assert.equal(queues.find((q) => q.url === dlqUrl)?.messages.length, 0, "the cancelled call was skipped, not failed");
  const record = (await aws.scanResults()).find((r) => r.callId === dropped);
  assert.equal(record?.status, "cancelled");
  assert.equal(record?.value, undefined, "its input never ran");

  assert.deepEqual(await fromId("get", kept, "prod"), {
    error: "AwsAccessError: square of app from-name-tests is not deployed in stack prod in this account and region: ECS has no task definition from-name-tests-prod-square (deploy it with gantry deploy <app.ts> --stack prod, or check AWS_REGION / the profile)",
  });
  const misuse = await fromId("misuse", kept);
  assert.equal(misuse.badId.error, 'TypeError: FunctionCall.fromId("square/fc-1"): not a call id of a deployed AWS stack (they read <function>:<caller>:<id>, the objectId of what .spawn() returned there)');
  assert.match(misuse.wrongFunction.error, /^TypeError: FunctionCall\.fromId\("square:@ext:[^"]+"\): the call was made to square, not greeter$/);
  assert.match(misuse.noApp.error, /^TypeError: FunctionCall\.fromId\("square:@ext:fc-[^"]+"\): options need the deployed app's name and stack/);
  await fleet.stopUnit("square");
});
