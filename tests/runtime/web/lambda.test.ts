// The Lambda adapter: API Gateway HTTP API (payload 2.0) events in, structured results out.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { frontDoor, TOKEN } from "./fixtures/harness.ts";
import { lambdaHandler } from "../../../runtime/web/lambda.ts";

const { web, backend, mod } = await frontDoor();
const handler = lambdaHandler(web);

function event(method: string, rawPath: string, init: { query?: string; headers?: Record<string, string>; body?: string; base64?: boolean; cookies?: string[] } = {}): APIGatewayProxyEventV2 {
  return {
    version: "2.0", routeKey: "$default", rawPath, rawQueryString: init.query ?? "",
    headers: { host: "abc.execute-api.eu-west-1.amazonaws.com", ...init.headers },
    cookies: init.cookies,
    requestContext: { http: { method, path: rawPath, protocol: "HTTP/1.1", sourceIp: "1.2.3.4", userAgent: "t" } } as APIGatewayProxyEventV2["requestContext"],
    body: init.body, isBase64Encoded: init.base64 ?? false,
  };
}

test("an endpoint call through a Lambda event", async () => {
  const res = await handler(event("POST", "/EmbeddingService/embed", {
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    body: Buffer.from('{"texts":["lambda"]}').toString("base64"), base64: true,
  }));
  assert.equal(res.statusCode, 200);
  assert.equal(res.isBase64Encoded, false);
  assert.deepEqual(JSON.parse(res.body!), { embeddings: [[6]], normalized: true });
});

test("query strings, 401 and health", async () => {
  const search = await handler(event("GET", "/search", { query: "q=x&limit=3", headers: { authorization: `Bearer ${TOKEN}` } }));
  assert.deepEqual(JSON.parse(search.body!), { query: { q: "x", limit: 3 } });
  const denied = await handler(event("GET", "/search", { query: "q=x" }));
  assert.equal(denied.statusCode, 401);
  assert.equal(denied.headers!["www-authenticate"], 'Bearer realm="gantry"');
  assert.equal((await handler(event("GET", "/livez"))).statusCode, 200);
});

test("binary bodies go back base64; cookies are split out", async () => {
  const css = await handler(event("GET", "/_gantry/assets/favicon-32x32.png"));
  assert.equal(css.statusCode, 200);
  assert.equal(css.isBase64Encoded, true);
  assert.deepEqual([...Buffer.from(css.body!, "base64").subarray(1, 4)].map((c) => String.fromCharCode(c)).join(""), "PNG");
  const cookies = await handler(event("GET", "/api/cookies", { headers: { authorization: `Bearer ${TOKEN}` }, cookies: ["c=1"] }));
  assert.deepEqual(cookies.cookies, ["a=1; Path=/", "b=2; Path=/"]);
});

test.after(() => {
  web.close();
  backend.close();
  mod.uiState.server?.close();
});
