/**
 * gantry redrive end to end: real container processes over the SQS stand-in, dynalite and s3rver
 * dead-letter a poison input; the fixed code is deployed; `gantry redrive` moves the input back
 * and the same call id gets its result; a second run moves nothing. ECS is a recording client
 * answering DescribeTaskDefinition the way ECS does (the SDK's DescribeTaskDefinitionResponse
 * shape), with the environment the stack gives the unit's tasks.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { redriveCommand } from "../../../cli/commands/redrive.ts";
import type { CommandSender } from "../../../runtime/aws/clients.ts";
import { startLocalAws, type LocalAws } from "./fixtures/local-aws.ts";
import { Fleet, eventually } from "./fixtures/fleet.ts";
import { awsError } from "../../cli/fixtures/scripted-aws.ts";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { WIRE_VERSION } from "../../../runtime/aws/wire.ts";

const BROKEN = fileURLToPath(new URL("./fixtures/redrive-app.ts", import.meta.url));
const FIXED = fileURLToPath(new URL("./fixtures/redrive-app-fixed.ts", import.meta.url));

let aws: LocalAws;
let fleet: Fleet;

before(async () => {
  aws = await startLocalAws();
  fleet = await Fleet.start(aws, BROKEN, { visibilityTimeout: 3 });
});

after(async () => {
  await fleet?.stop();
  await aws?.stop();
});

/** ECS as the CLI sees it: the unit's task definition, every command recorded. */
function recordingEcs(): { client: CommandSender; calls: Array<{ command: string; input: unknown }> } {
  const calls: Array<{ command: string; input: unknown }> = [];
  const client: CommandSender = {
    async send(command: { constructor: { name: string }; input: unknown }) {
      calls.push({ command: command.constructor.name, input: command.input });
      if (command.constructor.name !== "DescribeTaskDefinitionCommand") throw new Error(`unexpected ${command.constructor.name}`);
      const env = fleet.unit("parse").env;
      return {
        taskDefinition: {
          taskDefinitionArn: "arn:aws:ecs:us-east-1:123456789012:task-definition/redrive-tests-test-parse:3",
          family: "redrive-tests-test-parse",
          revision: 3,
          status: "ACTIVE",
          containerDefinitions: [{
            name: "main",
            image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/redrive-tests@sha256:" + "0".repeat(64),
            environment: Object.entries(env).filter(([k]) => k.startsWith("GANTRY_") || k === "AWS_REGION").map(([name, value]) => ({ name, value })),
          }],
        },
        tags: [],
      };
    },
  };
  return { client, calls };
}

async function run(flags: { dryRun?: boolean } = {}, sqs: CommandSender = aws.clients.sqs) {
  const ecs = recordingEcs();
  let out = "";
  let err = "";
  process.exitCode = undefined;
  await redriveCommand(FIXED, { stack: "test", function: "parse", ...flags }, {
    clients: { sqs, ddb: aws.clients.ddb, ecs: ecs.client },
    out: (t) => (out += t),
    err: (t) => (err += t),
  });
  const code = process.exitCode ?? 0;
  process.exitCode = undefined;
  return { out, err, code, ecs: ecs.calls };
}

test("a poison input dead-lettered, the fix deployed, gantry redrive: the same call gets its result; a second run moves nothing", { timeout: 120_000 }, async () => {
  const invoker = fleet.invoker();
  fleet.scale("parse", 1);
  const callId = await invoker.spawn({ app: "redrive-tests", name: "parse" }, [" 42 "]);
  await assert.rejects(invoker.result(callId, {}), (e: Error) => e.name === "ParseError" && e.message === 'not a number: " 42 "');
  await eventually(async () => (await aws.dumpQueues())["parse-dlq"]?.messages.length === 1, "the dead-letter message");

  // the fix, deployed: new containers run the fixed code over the same queues and table
  await fleet.stopUnit("parse");
  await fleet.redeploy(FIXED);

  const dry = await run({ dryRun: true });
  assert.equal(dry.code, 0, dry.err);
  assert.match(dry.out, new RegExp(`would move +${callId}  ParseError: not a number: " 42 " \\(2 attempts, dead-lettered `));
  assert.match(dry.out, /would move 1 input to parse's queue .*nothing changed/);
  assert.equal((await aws.dumpQueues())["parse-dlq"].messages.length, 1, "a dry run leaves the message");
  assert.equal((await aws.scanResults()).find((i) => i.callId === callId)?.status, "error", "and the stored failure");

  const first = await run();
  assert.equal(first.code, 0, first.err);
  assert.deepEqual(first.ecs, [{ command: "DescribeTaskDefinitionCommand", input: { taskDefinition: "redrive-tests-test-parse" } }]);
  assert.match(first.out, new RegExp(`moved +${callId}  ParseError`));
  assert.match(first.out, /moved 1 input to parse's queue\n/);
  const queues = await aws.dumpQueues();
  assert.equal(queues["parse-dlq"].messages.length, 0, "gone from the dead-letter queue");
  assert.equal(queues.parse.messages.length, 1, "back on the queue");

  fleet.scale("parse", 1);
  assert.equal(await invoker.result(callId, {}), 42, "the same call id, the fixed code's result");
  const record = (await aws.scanResults()).find((i) => i.callId === callId)!;
  assert.equal(record.status, "ok");
  assert.equal(record.attempt, 1, "the retries started over");

  const second = await run();
  assert.equal(second.code, 0, second.err);
  assert.match(second.out, /no dead-lettered inputs: nothing to move/);
  assert.equal((await aws.dumpQueues()).parse.messages.length, 0, "nothing sent again");
  await fleet.stopUnit("parse");
});


test("a permission AWS refuses is named with the queue it was refused on: exit 1, no stack trace", async () => {
  const refusing: CommandSender = {
    async send(command: { constructor: { name: string } }) {
      if (command.constructor.name === "ReceiveMessageCommand") {
        throw awsError("AccessDenied", "User: arn:aws:iam::123456789012:user/dev is not authorized to perform: sqs:receivemessage on resource: arn:aws:sqs:us-east-1:123456789012:parse-dlq");
      }
      return aws.clients.sqs.send(command as never);
    },
  };
  const r = await run({}, refusing);
  assert.equal(r.code, 1);
  const dlq = fleet.unit("parse").dlqUrl;
  assert.equal(r.err, `gantry redrive: permission missing: the caller may not call sqs:ReceiveMessage on ${dlq}; grant sqs:ReceiveMessage to it ` +
    "(AWS said: User: arn:aws:iam::123456789012:user/dev is not authorized to perform: sqs:receivemessage on resource: arn:aws:sqs:us-east-1:123456789012:parse-dlq)\n");
});

test("a dead letter whose call already succeeded: a dry run leaves it, a run drops it", async () => {
  // the first test's call ended "ok"; a stray dead-letter copy of it (a duplicate delivery that failed late)
  const ok = (await aws.scanResults()).find((i) => i.status === "ok")!;
  const body = JSON.stringify({ v: WIRE_VERSION, kind: "call", callId: ok.callId, function: "parse", method: null, encoding: "msgpack", args: "", enqueuedAt: Date.now() });
  await aws.clients.sqs.send(new SendMessageCommand({ QueueUrl: fleet.unit("parse").dlqUrl, MessageBody: body }));
  const dry = await run({ dryRun: true });
  assert.equal(dry.code, 0, dry.err);
  assert.match(dry.out, new RegExp(`dropped +${ok.callId}  the call already succeeded`));
  assert.match(dry.out, /would move 0 inputs to parse's queue; 1 dropped \(already succeeded\) \(dry run: nothing changed\)/);
  assert.equal((await aws.dumpQueues())["parse-dlq"].messages.length, 1, "a dry run deletes nothing");
  const real = await run();
  assert.match(real.out, /moved 0 inputs to parse's queue; 1 dropped \(already succeeded\)/);
  assert.equal((await aws.dumpQueues())["parse-dlq"].messages.length, 0);
});
