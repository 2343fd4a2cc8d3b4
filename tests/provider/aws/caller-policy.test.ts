/**
 * The caller policy of `gantry synth --caller-policy F`, checked two ways:
 * - against the provider's plan: each pattern matches the resource the stack creates for F under
 *   Pulumi's auto-name (logical name + 7 hex characters), its tag conditions hold for that
 *   resource's tags, and it matches no other unit's resource nor another stack's;
 * - against the runtime: every command a `Function.fromName` caller sends (the lookup, a call with
 *   arguments and a result too large to travel inline, a wake, a cancel), recorded from the real
 *   deployed-invoker and AwsInvoker, is allowed by the policy, on the ARN it is sent to.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { llmApp } from "../fixtures/specs.ts";
import { planOf, type PlanView } from "../plan-view.ts";
import { callerPolicy, type CallerPolicy, type CallerStatement } from "../../../provider/aws/caller-policy.ts";
import { unitsOf } from "../../../provider/aws/units.ts";
import { deployedInvoker } from "../../../runtime/aws/deployed-invoker.ts";
import { queueArnOf } from "../../../runtime/aws/stack.ts";
import { encodeContainerEnv } from "../../../runtime/contract.ts";
import { encodeValue } from "../../../runtime/serialize.ts";
import { awsContract } from "../../runtime/aws/fixtures/contract.ts";

const SUFFIX = "-1a2b3c4";
const ACCOUNT = "000000000000";

let view: PlanView;
let policy: CallerPolicy;
before(async () => {
  view = await planOf(llmApp(), { secretValues: { "dict-1a2b3c": { OPENAI_KEY: "x" } } });
  const units = unitsOf(llmApp());
  policy = callerPolicy({ app: "llm-demo", stack: "dev", units, unit: units.find((u) => u.id === "square")!, region: "us-east-1" });
});

/** IAM's wildcard match: `*` any run of characters, `?` any one. */
const matches = (pattern: string, value: string) =>
  new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\/]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`).test(value);

/** Whether the policy allows `action` on `arn`, for a resource carrying `tags`. */
function allows(action: string, arn: string, tags: Record<string, string> = {}): boolean {
  return policy.Statement.some((s: CallerStatement) => {
    if (!s.Action.includes(action)) return false;
    const resources = Array.isArray(s.Resource) ? s.Resource : [s.Resource];
    if (!resources.some((r) => matches(r, arn))) return false;
    const wanted = s.Condition?.StringEquals ?? {};
    return Object.entries(wanted).every(([k, v]) => tags[k.replace(/^aws:ResourceTag\//, "")] === v);
  });
}

const tagsOf = (type: string, name: string) => view.inputs(type, { name }).tags as Record<string, string>;
const otherStack = (tags: Record<string, string>) => ({ ...tags, "gantry:stack": "prod" });

describe("the caller policy against the provider's resources", () => {
  it("sends to the function's queue of this stack, not to another function's, its dead-letter queue, or another stack's", () => {
    const tags = tagsOf("aws:sqs/queue:Queue", "square-queue");
    const arn = (logical: string) => `arn:aws:sqs:us-east-1:${ACCOUNT}:${logical}${SUFFIX}`;
    assert.ok(allows("sqs:SendMessage", arn("square-queue"), tags));
    assert.ok(!allows("sqs:SendMessage", arn("square-dlq"), tagsOf("aws:sqs/queue:Queue", "square-dlq")));
    assert.ok(!allows("sqs:SendMessage", arn("llama-inference-queue"), tagsOf("aws:sqs/queue:Queue", "llama-inference-queue")));
    assert.ok(!allows("sqs:SendMessage", arn("square-queue"), otherStack(tags)));
    assert.ok(!allows("sqs:ReceiveMessage", arn("square-queue"), tags), "a caller does not consume");
  });

  it("reads and cancels in the stack's results table; large payloads under the function's own prefixes of the payload bucket", () => {
    const table = `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/gantry-state-results${SUFFIX}`;
    const tags = tagsOf("aws:dynamodb/table:Table", "gantry-state-results");
    for (const action of ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:UpdateItem"]) assert.ok(allows(action, table, tags), action);
    assert.ok(!allows("dynamodb:PutItem", table, tags), "only workers write results");
    assert.ok(!allows("dynamodb:GetItem", table, otherStack(tags)));
    view.resource("aws:s3/bucket:Bucket", { name: "gantry-state-payloads" });
    const bucket = `arn:aws:s3:::gantry-state-payloads${SUFFIX}`;
    assert.ok(allows("s3:PutObject", `${bucket}/inputs/square/fc-1`));
    assert.ok(allows("s3:GetObject", `${bucket}/results/square/fc-1/1`));
    assert.ok(!allows("s3:GetObject", `${bucket}/inputs/square/fc-1`));
    assert.ok(!allows("s3:PutObject", `${bucket}/inputs/llama-inference/fc-1`));
    assert.ok(!allows("s3:GetObject", `${bucket}/results/llama-inference/fc-1/1`));
  });

  it("wakes the function's own service in the stack's cluster, which the provider names so", () => {
    view.resource("aws:ecs/cluster:Cluster", { name: "gantry-capacity" });
    const service = view.inputs("aws:ecs/service:Service", { name: "square-service" });
    assert.equal(service.name, "square");
    const arn = `arn:aws:ecs:us-east-1:${ACCOUNT}:service/gantry-capacity${SUFFIX}/square`;
    assert.ok(allows("ecs:UpdateService", arn, service.tags));
    assert.ok(!allows("ecs:UpdateService", `arn:aws:ecs:us-east-1:${ACCOUNT}:service/gantry-capacity${SUFFIX}/nightly`, service.tags));
    assert.ok(!allows("ecs:UpdateService", arn, otherStack(service.tags)));
  });

  it("a unit that is never at zero gets no wake grant; only the lookup is unscoped", () => {
    const units = unitsOf(llmApp());
    const web = units.find((u) => u.server !== null || u.options.minContainers > 0)!;
    const p = callerPolicy({ app: "llm-demo", stack: "dev", units, unit: web });
    assert.deepEqual(p.Statement.map((s) => s.Sid), ["FindFunction", "CallFunction", "Results", "SendLargeInputs", "ReadLargeResults"]);
    assert.deepEqual(policy.Statement.filter((s) => s.Resource === "*" || s.Resource.includes("*:*:*")).map((s) => s.Action), [["ecs:DescribeTaskDefinition"]]);
  });
});

/** The IAM action and ARN of a recorded SDK command. */
function authorized(command: string, input: Record<string, any>): Array<{ action: string; arn: string }> {
  const table = (name: string) => `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/${name}`;
  const service = `arn:aws:ecs:us-east-1:${ACCOUNT}:service/${input.cluster}/${input.service ?? input.services?.[0]}`;
  switch (command) {
    case "DescribeTaskDefinitionCommand": return [{ action: "ecs:DescribeTaskDefinition", arn: `arn:aws:ecs:us-east-1:${ACCOUNT}:task-definition/${input.taskDefinition}:7` }];
    case "SendMessageCommand":
    case "SendMessageBatchCommand": return [{ action: "sqs:SendMessage", arn: queueArnOf(input.QueueUrl) }];
    case "GetCommand": return [{ action: "dynamodb:GetItem", arn: table(input.TableName) }];
    case "BatchGetCommand": return Object.keys(input.RequestItems).map((t) => ({ action: "dynamodb:BatchGetItem", arn: table(t) }));
    case "UpdateCommand": return [{ action: "dynamodb:UpdateItem", arn: table(input.TableName) }];
    case "PutObjectCommand": return [{ action: "s3:PutObject", arn: `arn:aws:s3:::${input.Bucket}/${input.Key}` }];
    case "GetObjectCommand": return [{ action: "s3:GetObject", arn: `arn:aws:s3:::${input.Bucket}/${input.Key}` }];
    case "DescribeServicesCommand": return [{ action: "ecs:DescribeServices", arn: service }];
    case "UpdateServiceCommand": return [{ action: "ecs:UpdateService", arn: service }];
    default: throw new Error(`no IAM mapping for ${command}`);
  }
}

describe("the caller policy against what a Function.fromName caller sends", () => {
  it("every command of a lookup, a large call with a large result, a wake and a cancel is allowed, on its ARN", async () => {
    const sent: Array<{ command: string; input: Record<string, any> }> = [];
    const TABLE = `gantry-state-results${SUFFIX}`;
    const BUCKET = `gantry-state-payloads${SUFFIX}`;
    const QUEUE = `https://sqs.us-east-1.amazonaws.com/${ACCOUNT}/square-queue${SUFFIX}`;
    const env = encodeContainerEnv(awsContract({ app: "llm-demo", stack: "dev", unit: "square", declaration: "square", kind: "function" }, {
      queueUrl: QUEUE, resultsTable: TABLE, bucket: BUCKET, maxMessageBytes: 262_144, queues: { square: QUEUE },
      scalingTargets: { square: `service/gantry-capacity${SUFFIX}/square` }, wake: { square: { targetInputs: 1, maxContainers: 3 } },
    }));
    const record = (callId: string) => ({ callId, status: "ok", encoding: "msgpack", resultKey: `results/square/${callId}/1` });
    const client = {
      async send(command: { constructor: { name: string }; input: Record<string, any> }) {
        const name = command.constructor.name;
        sent.push({ command: name, input: command.input });
        switch (name) {
          case "DescribeTaskDefinitionCommand":
            return { taskDefinition: { family: "llm-demo-dev-square", taskDefinitionArn: `arn:aws:ecs:us-east-1:${ACCOUNT}:task-definition/llm-demo-dev-square:7`, containerDefinitions: [{ name: "main", environment: Object.entries(env).map(([k, v]) => ({ name: k, value: v })) }] } };
          case "SendMessageBatchCommand": return { Successful: command.input.Entries.map((e: { Id: string }) => ({ Id: e.Id, MessageId: `m-${e.Id}` })), Failed: [] };
          case "GetCommand": return { Item: record(command.input.Key.callId) };
          case "BatchGetCommand": return { Responses: { [TABLE]: command.input.RequestItems[TABLE].Keys.map((k: { callId: string }) => record(k.callId)) } };
          case "GetObjectCommand": return { Body: { transformToByteArray: async () => encodeValue(49, "result") } };
          case "DescribeServicesCommand": return { services: [{ serviceName: "square", desiredCount: 0, tags: [] }] };
          default: return {};
        }
      },
    };
    const invoker = await deployedInvoker({ app: "llm-demo", stack: "dev", unit: "square", region: "us-east-1", clients: { ecs: client, sqs: client, ddb: client, s3: client } });
    const big = "x".repeat(300_000);
    assert.equal(await invoker.remote({ app: "llm-demo", name: "square" }, [big]), 49);
    const id = await invoker.spawn({ app: "llm-demo", name: "square" }, [3]);
    await invoker.cancel(id);
    const kinds = new Set(sent.map((s) => s.command));
    for (const k of ["DescribeTaskDefinitionCommand", "SendMessageBatchCommand", "PutObjectCommand", "GetObjectCommand", "UpdateCommand", "DescribeServicesCommand", "UpdateServiceCommand"]) {
      assert.ok(kinds.has(k), `the calls exercised ${k} (sent: ${[...kinds].join(", ")})`);
    }
    assert.ok(kinds.has("GetCommand") || kinds.has("BatchGetCommand"));
    const tags = tagsOf("aws:sqs/queue:Queue", "square-queue");
    for (const s of sent) {
      for (const { action, arn } of authorized(s.command, s.input)) assert.ok(allows(action, arn, tags), `${s.command}: ${action} on ${arn}`);
    }
  });
});
