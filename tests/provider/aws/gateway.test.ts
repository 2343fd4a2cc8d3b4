/**
 * The Lambda gateway: the runtime's front door with the endpoint routes rebuilt from routes.json
 * (JSON Schema -> zod), driven by API Gateway events, with the AWS invoker replaced by a fake.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { createGateway } from "../../../runtime/aws/gateway/handler.ts";
import { gatewayConfig } from "../../../provider/aws/gateway/routes.ts";
import { unitsOf } from "../../../provider/aws/units.ts";
import { CallTimeoutError, lambdaHandler, type WebBackend } from "../../../runtime/web/index.ts";
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
});
