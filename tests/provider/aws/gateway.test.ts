/** The Lambda gateway's behaviour, with its AWS calls replaced by in-memory fakes. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { createHandler, type CallResult, type GatewayDeps } from "../../../provider/aws/gateway/handler.ts";
import type { GatewayConfig } from "../../../provider/aws/gateway/routes.ts";
import { gatewayConfig } from "../../../provider/aws/web.ts";
import { unitsOf } from "../../../provider/aws/units.ts";
import { llmApp } from "../fixtures/specs.ts";

const config: GatewayConfig = gatewayConfig(unitsOf(llmApp()).find((u) => u.id === "EmbeddingService")!);

function fakes(overrides: Partial<GatewayDeps> = {}) {
  const sent: any[] = [];
  const inputs = new Map<string, string>();
  const results = new Map<string, CallResult>();
  let clock = 0;
  let ids = 0;
  const deps: GatewayDeps = {
    config,
    maxMessageBytes: 4096,
    syncWindowMs: 1000,
    token: async () => "s3cret",
    send: async (body) => { sent.push(JSON.parse(body)); },
    putInput: async (key, body) => { inputs.set(key, body); },
    result: async (callId) => results.get(callId) ?? null,
    sleep: async (ms) => { clock += ms; },
    now: () => clock,
    newId: () => `call-${++ids}`,
    ...overrides,
  };
  return { deps, sent, inputs, results };
}

function event(routeKey: string, body?: unknown, token?: string): APIGatewayProxyEventV2 {
  const [, rawPath] = routeKey.split(" ");
  return {
    version: "2.0", routeKey, rawPath, rawQueryString: "", isBase64Encoded: false,
    headers: token ? { authorization: `Bearer ${token}` } : {},
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    requestContext: {} as APIGatewayProxyEventV2["requestContext"],
  } as APIGatewayProxyEventV2;
}

describe("web gateway", () => {
  it("routes come from the spec: path, auth, body schema, result and docs paths", () => {
    assert.deepEqual(config.routes.map((r) => [r.routeKey, r.method, r.public]), [["POST /embedding-service/embed", "embed", false]]);
    assert.equal(config.resultPath, "/_gantry/results/embedding-service");
    assert.equal(config.openapiPath, "/embedding-service/openapi.json");
  });

  it("refuses a missing or wrong bearer token with 401", async () => {
    const { deps, sent } = fakes();
    const handler = createHandler(deps);
    assert.equal((await handler(event("POST /embedding-service/embed", { texts: ["a"] })))!.statusCode, 401);
    assert.equal((await handler(event("POST /embedding-service/embed", { texts: ["a"] }, "nope")))!.statusCode, 401);
    assert.equal(sent.length, 0);
  });

  it("a body that does not match the zod schema gets 422 with the issues, and nothing is enqueued", async () => {
    const { deps, sent } = fakes();
    const handler = createHandler(deps);
    const bad = await handler(event("POST /embedding-service/embed", { texts: [] }, "s3cret"));
    assert.equal(bad.statusCode, 422);
    assert.equal(JSON.parse(bad.body!).detail[0].path[0], "texts");
    const notJson = await handler(event("POST /embedding-service/embed", "{nope", "s3cret"));
    assert.equal(notJson.statusCode, 422);
    assert.equal(sent.length, 0);
  });

  it("enqueues the validated body (defaults applied) and answers with the result", async () => {
    const { deps, sent, results } = fakes({ send: async (body) => { const m = JSON.parse(body); sent.push(m); results.set(m.callId, { status: "ok", value: { embeddings: [[1]] }, error: null }); } });
    const res = await createHandler(deps)(event("POST /embedding-service/embed", { texts: ["hi"] }, "s3cret"));
    assert.equal(res.statusCode, 200);
    assert.deepEqual(JSON.parse(res.body!), { embeddings: [[1]] });
    assert.deepEqual(sent[0], { v: 1, kind: "call", callId: "call-1", function: "EmbeddingService", method: "embed", encoding: "json", args: [{ texts: ["hi"], normalize: true }], enqueuedAt: 0, source: "web" });
  });

  it("beyond the synchronous window: 303 to a result URL that waits without re-running", async () => {
    const { deps, sent, results } = fakes();
    const handler = createHandler(deps);
    const first = await handler(event("POST /embedding-service/embed", { texts: ["hi"] }, "s3cret"));
    assert.equal(first.statusCode, 303);
    assert.equal(first.headers!.location, "/_gantry/results/embedding-service/call-1");
    results.set("call-1", { status: "ok", value: 42, error: null });
    const again = await handler(event("GET /_gantry/results/embedding-service/call-1", undefined, "s3cret"));
    assert.deepEqual([again.statusCode, again.body], [200, "42"]);
    assert.equal(sent.length, 1);
  });

  it("arguments beyond the queue's limit go to the payload bucket", async () => {
    const { deps, sent, inputs } = fakes();
    await createHandler(deps)(event("POST /embedding-service/embed", { texts: ["x".repeat(5000)] }, "s3cret"));
    assert.equal(sent[0].argsKey, "inputs/EmbeddingService/call-1.json");
    assert.equal(sent[0].args, undefined);
    assert.equal(JSON.parse(inputs.get("inputs/EmbeddingService/call-1.json")!)[0].texts[0].length, 5000);
  });

  it("serves the OpenAPI document built from the schemas", async () => {
    const res = await createHandler(fakes().deps)(event("GET /embedding-service/openapi.json", undefined, "s3cret"));
    const doc = JSON.parse(res.body!);
    assert.equal(doc.openapi, "3.1.0");
    assert.deepEqual(doc.paths["/embedding-service/embed"].post.requestBody.content["application/json"].schema.required, ["texts"]);
  });
});
