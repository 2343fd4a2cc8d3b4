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
import { callerPolicy, type CallerPolicy } from "../../../provider/aws/caller-policy.ts";
import { resultObjectKey } from "../../../runtime/aws/call-keys.ts";
import { allows as allowsRequest, requestsOf } from "./iam-eval.ts";
import { unitsOf } from "../../../provider/aws/units.ts";
import { deployedInvoker } from "../../../runtime/aws/deployed-invoker.ts";
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

/** Whether the policy allows `action` on `arn`, for a resource carrying `tags` (and an item keyed `key`). */
function allows(action: string, arn: string, tags: Record<string, string> = {}, key?: string): boolean {
  const context: Record<string, string | string[]> = Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:ResourceTag/${k}`, v]));
  if (key !== undefined) context["dynamodb:LeadingKeys"] = [key];
  return allowsRequest(policy, { action, resource: arn, context });
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

  it("reads and cancels the external calls of this function in the stack's results table; large payloads under their own prefixes of the payload bucket", () => {
    const table = `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/gantry-state-results${SUFFIX}`;
    const tags = tagsOf("aws:dynamodb/table:Table", "gantry-state-results");
    for (const action of ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:UpdateItem"]) assert.ok(allows(action, table, tags, "square:@ext:fc-1"), action);
    assert.ok(!allows("dynamodb:PutItem", table, tags, "square:@ext:fc-1"), "only workers write results");
    assert.ok(!allows("dynamodb:GetItem", table, otherStack(tags), "square:@ext:fc-1"));
    for (const key of ["square:api:fc-1", "square:@web:fc-1", "llama-inference:@ext:fc-1", "fc-1"]) {
      assert.ok(!allows("dynamodb:GetItem", table, tags, key), `not the calls of another caller or to another function: ${key}`);
    }
    view.resource("aws:s3/bucket:Bucket", { name: "gantry-state-payloads" });
    const bucket = `arn:aws:s3:::gantry-state-payloads${SUFFIX}`;
    assert.ok(allows("s3:PutObject", `${bucket}/inputs/@ext/square/square:@ext:fc-1`));
    assert.ok(allows("s3:GetObject", `${bucket}/results/square/@ext/square:@ext:fc-1/1`));
    assert.ok(!allows("s3:GetObject", `${bucket}/inputs/@ext/square/square:@ext:fc-1`));
    assert.ok(!allows("s3:PutObject", `${bucket}/inputs/@ext/llama-inference/llama-inference:@ext:fc-1`));
    assert.ok(!allows("s3:GetObject", `${bucket}/results/llama-inference/@ext/llama-inference:@ext:fc-1/1`));
    assert.ok(!allows("s3:GetObject", `${bucket}/results/square/api/square:api:fc-1/1`), "not another caller's results");
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
    const record = (callId: string) => ({ callId, status: "ok", encoding: "msgpack", resultKey: resultObjectKey("square", callId, "1", "msgpack") });
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
      for (const r of requestsOf(s.command, s.input, { region: "us-east-1", account: ACCOUNT, tags })) {
        assert.ok(allowsRequest(policy, r), `${s.command}: ${r.action} on ${r.resource} ${JSON.stringify(r.context?.["dynamodb:LeadingKeys"] ?? "")}`);
      }
    }
  });
});
