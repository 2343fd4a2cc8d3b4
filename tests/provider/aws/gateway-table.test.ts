/**
 * The Lambda gateway's routing table travels in its code archive (runtime/aws/gateway/table.ts),
 * not in its environment, which Lambda caps at 4 KB in total: with 60 endpoints (one unit each)
 * the old `GANTRY_QUEUES` variable alone would have been ~5 KB. The WebGateway component is
 * declared under Pulumi's mocks; the table it ships then drives the real gateway handler.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { createGateway, gatewayBackend } from "../../../runtime/aws/gateway/handler.ts";
import { GATEWAY_TABLE_FILE, parseGatewayTable, type GatewayTable } from "../../../runtime/aws/gateway/table.ts";
import { lambdaHandler } from "../../../runtime/web/index.ts";
import { gatewayConfig } from "../../../provider/aws/gateway/routes.ts";
import { unitsOf } from "../../../provider/aws/units.ts";
import { app, fn } from "../fixtures/specs.ts";

const names = Array.from({ length: 60 }, (_, i) => `endpoint${String(i).padStart(2, "0")}`);
const spec = app({
  functions: names.map((name, i) => fn(name, 10 + i, {}, {
    web: {
      kind: "endpoint", method: "POST", public: true, docs: false,
      bodySchema: { type: "object", properties: { n: { type: "number" } }, required: ["n"] },
      source: { file: "app.ts", line: 10 + i, column: 1 },
    },
    params: [{ name: "body", type: "{ n: number }" }],
  })),
});
const slugOf = (id: string) => unitsOf(spec).find((u) => u.id === id)!.slug;
/** what SQS names a gantry queue: ~80 characters each */
const queueUrl = (unit: string) => `https://sqs.us-east-1.amazonaws.com/123456789012/gantry-llm-demo-production-${unit}-queue`;

let lambda: { environment: { variables: Record<string, string> }; code: { assets: Promise<Record<string, { text: Promise<string> }>> } };
let table: GatewayTable;
let rolePolicy: Promise<string>;

before(async () => {
  let declared!: (inputs: typeof lambda) => void;
  const lambdaInputs = new Promise<typeof lambda>((resolve) => (declared = resolve));
  let policyDeclared!: (policy: string) => void;
  rolePolicy = new Promise<string>((resolve) => (policyDeclared = resolve));
  await pulumi.runtime.setMocks({
    newResource: (args) => {
      if (args.type === "aws:lambda/function:Function") declared(args.inputs);
      if (args.type === "aws:iam/rolePolicy:RolePolicy") policyDeclared(args.inputs.policy);
      return { id: `${args.name}-id`, state: { ...args.inputs, arn: `arn:aws:mock:${args.name}`, invokeArn: `arn:aws:invoke:${args.name}`, executionArn: `arn:aws:execute-api:${args.name}`, name: args.name } };
    },
    call: () => ({}),
  }, "gantry-test", "production", false);
  const { Api, WebGateway } = await import("../../../provider/aws/web.ts");
  const info = { app: spec.app.name, stack: "production", source: spec.app.source };
  const units = unitsOf(spec).filter((u) => u.endpoints.length > 0);
  // stand-ins for the FunctionQueue and CallState components: the gateway reads their ARNs, URLs and names
  const queues = new Map(units.map((u) => [u.id, { queue: { arn: pulumi.output(`arn:aws:sqs:us-east-1:123456789012:${u.id}`), url: pulumi.output(queueUrl(u.id)) } }]));
  const state = {
    payloadBucket: { arn: pulumi.output("arn:aws:s3:::gantry-payloads"), bucket: pulumi.output("gantry-payloads") },
    resultsTable: { arn: pulumi.output("arn:aws:dynamodb:us-east-1:123456789012:table/gantry-results"), name: pulumi.output("gantry-results") },
  };
  new WebGateway("gantry-gateway", info, {
    config: gatewayConfig(spec, units), bundle: { dir: ".gantry/build/gateway", entry: "index.mjs", hash: "h" } as never,
    api: new Api("gantry-api", info), queues: queues as never, state: state as never, token: null, logRetentionDays: 7,
    wake: {
      targets: new Map(units.map((u) => [u.id, { resourceId: pulumi.output(`service/gantry-capacity/${u.slug}`), targetInputs: 1, maxContainers: 3 }])),
      serviceArn: "arn:aws:ecs:us-east-1:123456789012:service/gantry-capacity/*",
    },
  });
  lambda = await lambdaInputs;
  const assets = await lambda.code.assets;
  table = parseGatewayTable(await assets[GATEWAY_TABLE_FILE].text);
});

describe("a gateway with 60 endpoints", () => {
  it("its environment holds no queue URLs and stays far under Lambda's 4 KB", () => {
    const variables = lambda.environment.variables;
    assert.equal(variables.GANTRY_QUEUES, undefined);
    const bytes = Object.entries(variables).reduce((n, [k, v]) => n + k.length + String(v).length, 0);
    assert.ok(bytes < 512, `the environment is ${bytes} bytes`);
  });

  it("its archive's table says how to wake each unit, and its role may do only that to the stack's services", async () => {
    assert.deepEqual(table.wake!.endpoint42, { resourceId: `service/gantry-capacity/${slugOf("endpoint42")}`, targetInputs: 1, maxContainers: 3 });
    const policy = JSON.parse(await rolePolicy);
    assert.deepEqual(policy.Statement.find((s: { Sid: string }) => s.Sid === "WakeUnits"), {
      Sid: "WakeUnits", Effect: "Allow", Action: ["ecs:DescribeServices", "ecs:UpdateService"], Resource: "arn:aws:ecs:us-east-1:123456789012:service/gantry-capacity/*",
    });
  });

  it("its archive's routing table has every route and every unit's queue URL", () => {
    assert.equal(table.routes.length, 60);
    assert.deepEqual(Object.keys(table.queues), names);
    assert.equal(table.queues.endpoint42, queueUrl("endpoint42"));
    assert.ok(JSON.stringify(table.queues).length > 4096, "the queue URLs alone would not fit Lambda's environment");
  });

  it("each endpoint's call goes to its own unit's queue; a bad body is 422 before any", async () => {
    const sent: Array<[queue: string, unit: string]> = [];
    const clients = {
      sqs: {
        send: async (command: { input: { QueueUrl: string; Entries: Array<{ Id: string; MessageBody: string }> } }) => {
          for (const e of command.input.Entries) sent.push([command.input.QueueUrl, JSON.parse(e.MessageBody).function]);
          return { Successful: command.input.Entries.map((e) => ({ Id: e.Id, MessageId: e.Id })), Failed: [] };
        },
      },
      ddb: { send: async () => ({ Responses: {} }) },
      s3: { send: async () => { throw new Error("no large payloads in this test"); } },
      // every unit is at zero: the first call to each wakes it to exactly one task
      ecs: {
        send: async (command: { constructor: { name: string }; input: { service?: string; services?: string[]; desiredCount?: number } }) => {
          if (command.constructor.name === "UpdateServiceCommand") woken.push([command.input.service!, command.input.desiredCount!]);
          return { services: [{ desiredCount: 0 }] };
        },
      },
    };
    const woken: Array<[service: string, desired: number]> = [];
    // what callerConfigFromEnv reads from this environment: no queues there, they come from the table
    const caller = { queues: {}, resultsTable: "gantry-results", bucket: "gantry-payloads", maxMessageBytes: 1_048_576, resultTtlDays: 1 };
    const web = createGateway(table, { backend: gatewayBackend(table, caller, clients), token: null, signingKey: "k", syncWindowMs: 20 });
    const handler = lambdaHandler(web);
    const post = (path: string, body: unknown) => handler({
      version: "2.0", routeKey: `ANY ${path}`, rawPath: path, rawQueryString: "", isBase64Encoded: false,
      headers: { host: "abc.execute-api.us-east-1.amazonaws.com", "content-type": "application/json" }, body: JSON.stringify(body),
      requestContext: { http: { method: "POST", path, protocol: "HTTP/1.1", sourceIp: "1.2.3.4", userAgent: "test" } },
    } as never);
    assert.equal((await post("/endpoint07", { n: "one" })).statusCode, 422);
    for (const name of ["endpoint00", "endpoint42", "endpoint59"]) {
      assert.equal((await post(`/${name}`, { n: 1 })).statusCode, 303, `${name}: accepted, still running past the window`);
    }
    assert.deepEqual(sent, ["endpoint00", "endpoint42", "endpoint59"].map((n) => [queueUrl(n), n]));
    assert.deepEqual(woken, ["endpoint00", "endpoint42", "endpoint59"].map((n) => [slugOf(n), 1]));
    web.close();
  });
});
