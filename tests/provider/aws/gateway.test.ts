/**
 * The Lambda gateway: the runtime's front door (runtime/aws/gateway/handler.ts) serving the routing
 * table the provider writes (routes from the spec, validated from their JSON Schemas, queue URLs
 * per unit), driven by API Gateway events, with the AWS invoker replaced by a fake.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { createGateway } from "../../../runtime/aws/gateway/handler.ts";
import { parseGatewayTable, type GatewayRoutes } from "../../../runtime/aws/gateway/table.ts";
import { gatewayConfig } from "../../../provider/aws/gateway/routes.ts";
import { unitsOf } from "../../../provider/aws/units.ts";
import { analyzeApp } from "../../../synth/index.ts";
import { CallTimeoutError, createWebHandlerForSpec, InProcessBackend, lambdaHandler, type WebBackend, type WebHandler } from "../../../runtime/web/index.ts";
import { importApp } from "../../../runtime/worker/target.ts";
import { llmApp } from "../fixtures/specs.ts";

const spec = llmApp();
const config = gatewayConfig(spec, unitsOf(spec));

function fakeBackend() {
  const spawned: Array<{ id: string; target: unknown; args: unknown[] }> = [];
  const results = new Map<string, unknown>();
  const backend: WebBackend = {
    spawn: async (target, args) => {
      const id = `fc-${spawned.length + 1}`;
      spawned.push({ id, target, args });
      return id;
    },
    result: async (callId, { timeoutMs }) => {
      if (results.has(callId)) return results.get(callId);
      throw new CallTimeoutError(callId, timeoutMs);
    },
    forward: async () => { throw new Error("not here"); },
  };
  return { backend, spawned, results };
}

function event(method: string, path: string, body?: unknown, token?: string): APIGatewayProxyEventV2 {
  return {
    version: "2.0", routeKey: `ANY ${path}`, rawPath: path.split("?")[0], rawQueryString: path.split("?")[1] ?? "", isBase64Encoded: false,
    headers: { host: "abc.execute-api.us-east-1.amazonaws.com", ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { "content-type": "application/json" } : {}) },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    requestContext: { http: { method, path, protocol: "HTTP/1.1", sourceIp: "1.2.3.4", userAgent: "test" } } as APIGatewayProxyEventV2["requestContext"],
  } as APIGatewayProxyEventV2;
}

function gateway(syncWindowMs = 50) {
  const fake = fakeBackend();
  const handler = lambdaHandler(createGateway(config, { backend: fake.backend, token: "s3cret", signingKey: "k", syncWindowMs }));
  return { ...fake, handler };
}

describe("web gateway", () => {
  it("routes come from the spec, on the runtime's URL scheme", () => {
    assert.deepEqual(config.routes.map((r) => [r.method, r.path, r.declaration, r.unit, r.public]), [
      ["POST", "/EmbeddingService/embed", "EmbeddingService.embed", "EmbeddingService", false],
      ["GET", "/health", "health", "health", true],
    ]);
    assert.deepEqual(config.routes[0].target, { app: "llm-demo", name: "EmbeddingService", method: "embed" });
  });

  it("refuses a missing or wrong bearer token with 401 and enqueues nothing", async () => {
    const g = gateway();
    assert.equal((await g.handler(event("POST", "/EmbeddingService/embed", { texts: ["a"] }))).statusCode, 401);
    assert.equal((await g.handler(event("POST", "/EmbeddingService/embed", { texts: ["a"] }, "nope"))).statusCode, 401);
    assert.equal(g.spawned.length, 0);
  });

  it("a body that fails the schema gets 422 with the zod issues; malformed JSON 400; never a call", async () => {
    const g = gateway();
    const bad = await g.handler(event("POST", "/EmbeddingService/embed", { texts: [] }, "s3cret"));
    assert.equal(bad.statusCode, 422);
    assert.deepEqual(JSON.parse(bad.body!).error.issues[0].path, ["texts"]);
    assert.equal((await g.handler(event("POST", "/EmbeddingService/embed", "{nope", "s3cret"))).statusCode, 400);
    assert.equal(g.spawned.length, 0);
  });

  it("calls the declaration with the parsed body (defaults applied) and answers its result", async () => {
    const g = gateway();
    g.results.set("fc-1", { embeddings: [[1, 0]] });
    const res = await g.handler(event("POST", "/EmbeddingService/embed", { texts: ["hi"] }, "s3cret"));
    assert.equal(res.statusCode, 200);
    assert.deepEqual(JSON.parse(res.body!), { embeddings: [[1, 0]] });
    assert.deepEqual(g.spawned, [{ id: "fc-1", target: { app: "llm-demo", name: "EmbeddingService", method: "embed" }, args: [{ texts: ["hi"], normalize: true }] }]);
  });

  it("past the synchronous window: 303 to a result URL that waits without running again", async () => {
    const g = gateway();
    const first = await g.handler(event("POST", "/EmbeddingService/embed", { texts: ["hi"] }, "s3cret"));
    assert.equal(first.statusCode, 303);
    const location = first.headers!.location as string;
    assert.match(location, /\/_gantry\/calls\/fc-1\?ticket=/);
    g.results.set("fc-1", { embeddings: [] });
    const again = await g.handler(event("GET", location.replace(/^https?:\/\/[^/]+/, ""), undefined, "s3cret"));
    assert.equal(again.statusCode, 200);
    assert.equal(g.spawned.length, 1);
  });

  it("public endpoints need no token; a wrong method gets 405", async () => {
    const g = gateway();
    g.results.set("fc-1", { status: "ok" });
    assert.equal((await g.handler(event("GET", "/health"))).statusCode, 200);
    assert.equal((await g.handler(event("DELETE", "/health"))).statusCode, 405);
  });

  it("serves the OpenAPI document of docs: true endpoints", async () => {
    const res = await gateway().handler(event("GET", "/EmbeddingService/embed/openapi.json"));
    assert.equal(res.statusCode, 200);
    assert.ok(JSON.parse(res.body!).paths["/EmbeddingService/embed"].post);
  });

  it("a table whose route has no queue is refused, naming the unit", () => {
    assert.throws(() => parseGatewayTable(JSON.stringify({ ...config, queues: { health: "https://sqs/health" } })), /no queue for EmbeddingService/);
    assert.throws(() => parseGatewayTable("{nope"), /routes\.json is not JSON/);
  });
});

/** `gantry serve`'s front door (the spec's routes over the in-process backend) and the gateway, on one app. */
describe("gantry serve and the gateway answer a body alike", () => {
  let serve: WebHandler;
  let table: GatewayRoutes;
  before(async () => {
    const file = fileURLToPath(new URL("../../runtime/web/fixtures/spec-app.ts", import.meta.url));
    const spec = analyzeApp(file).spec!;
    serve = createWebHandlerForSpec(spec, { backend: new InProcessBackend(await importApp(file, spec.app.name)), tokens: ["s3cret"], syncWindowMs: 2_000 });
    table = gatewayConfig(spec, unitsOf(spec));
  });
  after(() => serve.close());

  async function both(method: string, path: string, body?: unknown) {
    const fake = fakeBackend();
    const web = createGateway(table, { backend: fake.backend, token: "s3cret", signingKey: "k", syncWindowMs: 50 });
    const deployed = await lambdaHandler(web)(event(method, path, body, "s3cret"));
    web.close(); // stops following a call past its window (this fake never finishes one)
    const init: RequestInit = { method, headers: { authorization: "Bearer s3cret" }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) };
    const local = await serve.fetch(new Request(`http://serve.test${path}`, init));
    return { deployed: { status: deployed.statusCode, body: JSON.parse(deployed.body!) }, local: { status: local.status, body: await local.json() }, spawned: fake.spawned };
  }

  for (const [what, body] of [
    ["a missing field", { email: "ada@example.com" }],
    ["a number out of range", { email: "ada@example.com", age: 3 }],
    ["a value outside the enum", { email: "ada@example.com", age: 30, plan: "gold" }],
    ["a string too short and a wrong type", { email: "a", age: "thirty" }],
  ] as const) {
    it(`${what}: the same 422 and the same issues`, async () => {
      const { deployed, local, spawned } = await both("POST", "/Accounts/signup", body);
      assert.equal(local.status, 422);
      assert.deepEqual(deployed, local);
      assert.equal(spawned.length, 0);
    });
  }

  it("a good body: the same parsed argument (defaults applied) reaches the function", async () => {
    const { local, spawned } = await both("POST", "/Accounts/signup", { email: "ada@example.com", age: 30 });
    assert.deepEqual(local, { status: 200, body: { welcome: "ada@example.com", plan: "free" } });
    assert.deepEqual(spawned[0].args, [{ email: "ada@example.com", age: 30, plan: "free" }]);
  });

  it("a GET query is coerced and validated alike", async () => {
    const bad = await both("GET", "/lookup?q=&limit=99");
    assert.equal(bad.local.status, 422);
    assert.deepEqual(bad.deployed, bad.local);
    const good = await both("GET", "/lookup?q=cats&limit=5");
    assert.equal(good.local.status, 200);
    assert.deepEqual(good.spawned[0].args, [{ q: "cats", limit: 5 }]);
  });

  it("a `.refine` (code JSON Schema cannot carry) is refused by synth at its file:line:col, never served differently", () => {
    const refined = analyzeApp(fileURLToPath(new URL("../../runtime/web/fixtures/refined-app.ts", import.meta.url)));
    assert.equal(refined.spec, null);
    const at = refined.diagnostics.map((d) => `${d.severity} ${d.code} ${d.line}:${d.column} ${d.message.split(" in a body schema")[0]}`);
    assert.deepEqual(at, [
      "error GANTRY2001 7:69 `.refine(…)`",
      "error GANTRY2001 10:55 `.transform(…)`",
      "error GANTRY2001 13:30 `z.preprocess(…)`",
      "error GANTRY2001 16:57 `.superRefine(…)`",
    ]);
    assert.match(refined.diagnostics[0].message, /validated from the JSON Schema alone, the same under `gantry serve` and on AWS/);
    assert.match(refined.diagnostics[1].message, /the function would get the body before it/);
  });
});
