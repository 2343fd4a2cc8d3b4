// Issue 14 item 5: private endpoints and the app's own auth and CORS. Served from the app's spec
// (as gantry serve, the container front door and the Lambda gateway serve it) with the code in process.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { createWebHandlerForSpec } from "../../../runtime/web/handler.ts";
import { InProcessBackend } from "../../../runtime/web/in-process.ts";
import { lambdaHandler } from "../../../runtime/web/lambda.ts";
import { routesOfSpec, webRoutes } from "../../../runtime/web/routes.ts";
import { analyzeApp } from "../../../synth/index.ts";
import { APP_TOKEN, UI_ORIGIN } from "./fixtures/porting-app.ts";

const TOKEN = "gantry-token-0123456789";
const file = fileURLToPath(new URL("./fixtures/porting-app.ts", import.meta.url));
const analysis = analyzeApp(file);
assert.deepEqual(analysis.diagnostics.filter((d) => d.severity === "error"), []);
const spec = analysis.spec!;
const mod = await import("./fixtures/porting-app.ts");
mod.app.bindExports(mod);
const backend = new InProcessBackend(mod.app);
const web = createWebHandlerForSpec(spec, { backend, tokens: [TOKEN], syncWindowMs: 5_000 });

function call(path: string, init: RequestInit = {}): Promise<Response> {
  return web.fetch(new Request(`http://gantry.test${path}`, init));
}
const preflight = (method = "GET") => ({ origin: UI_ORIGIN, "access-control-request-method": method, "access-control-request-headers": "authorization" });

test("auth: \"app\" is in the spec: gantry checks no token, the app's Authorization header reaches it", () => {
  const api = spec.functions.find((f) => f.name === "api")!.web;
  assert.deepEqual(api && { kind: api.kind, public: api.public, auth: api.kind === "app" ? api.auth : null }, { kind: "app", public: true, auth: "app" });
  const guarded = spec.functions.find((f) => f.name === "guarded")!.web!;
  assert.equal(guarded.kind === "app" && guarded.auth, undefined);
  assert.deepEqual(routesOfSpec(spec).filter((r) => r.kind === "app").map((r) => [r.path, r.public, r.kind === "app" ? r.auth ?? null : null]),
    [["/api", true, "app"], ["/guarded", false, null]]);
  // the container front door of a webApp (ECS behind the load balancer) builds its routes from the code: the same access
  assert.deepEqual(webRoutes(mod.app).filter((r) => r.kind === "app"), routesOfSpec(spec).filter((r) => r.kind === "app"));
});

test("a Hono app with its own bearer check works with delegated auth: its token passes, gantry's does not", async () => {
  const ok = await call("/api/private/whoami", { headers: { authorization: `Bearer ${APP_TOKEN}` } });
  assert.equal(ok.status, 200);
  assert.deepEqual(await ok.json(), { user: "ada", authorization: `Bearer ${APP_TOKEN}` });
  const none = await call("/api/private/whoami");
  assert.equal(none.status, 401, "the app's own 401");
  assert.doesNotMatch(none.headers.get("www-authenticate") ?? "", /realm="gantry"/);
  assert.equal((await call("/api/private/whoami", { headers: { authorization: `Bearer ${TOKEN}` } })).status, 401, "gantry's token means nothing to the app");
});

test("a CORS preflight reaches the app, private or not, and its CORS headers come back", async () => {
  for (const path of ["/api/private/whoami", "/guarded/private/whoami"]) {
    const res = await call(path, { method: "OPTIONS", headers: preflight() });
    assert.equal(res.status, 204, path);
    assert.equal(res.headers.get("access-control-allow-origin"), UI_ORIGIN, path);
    assert.match(res.headers.get("access-control-allow-headers") ?? "", /authorization/, path);
  }
});

test("gantry's token is still enforced on a guarded app: only a true preflight passes without it", async () => {
  const denied: { method: string; headers: Record<string, string>; body?: string }[] = [
    { method: "OPTIONS", headers: { origin: UI_ORIGIN } },                                   // no Access-Control-Request-Method
    { method: "OPTIONS", headers: { "access-control-request-method": "GET" } },            // no Origin
    { method: "GET", headers: preflight() },                                                 // preflight headers on a real request
    { method: "POST", headers: preflight("POST"), body: "{}" },
  ];
  for (const init of denied) {
    const res = await call("/guarded/private/whoami", init);
    assert.equal(res.status, 401, `${init.method} ${JSON.stringify(init.headers)}`);
    assert.equal(res.headers.get("www-authenticate"), 'Bearer realm="gantry"');
  }
  const ok = await call("/guarded/", { headers: { authorization: `Bearer ${TOKEN}`, origin: UI_ORIGIN } });
  assert.equal(ok.status, 200);
  assert.equal(ok.headers.get("access-control-allow-origin"), UI_ORIGIN, "the app's CORS answer, untouched");
});

test("the Lambda gateway lets a preflight through too: an endpoint's is answered, a mount's forwarded", async () => {
  const handler = lambdaHandler(web);
  const event = (method: string, path: string, headers: Record<string, string>): APIGatewayProxyEventV2 => ({
    version: "2.0", routeKey: "$default", rawPath: path, rawQueryString: "",
    headers: { host: "abc.execute-api.eu-west-1.amazonaws.com", ...headers },
    requestContext: { http: { method, path, protocol: "HTTP/1.1", sourceIp: "1.2.3.4", userAgent: "t" } } as APIGatewayProxyEventV2["requestContext"],
    isBase64Encoded: false,
  });
  const endpoint = await handler(event("OPTIONS", "/greet", preflight()));
  assert.equal(endpoint.statusCode, 204);
  assert.equal(endpoint.headers!["access-control-allow-origin"], "*");
  assert.equal((await handler(event("GET", "/greet", preflight()))).statusCode, 401);
  const mount = await handler(event("OPTIONS", "/guarded/private/whoami", preflight()));
  assert.equal(mount.statusCode, 204);
  assert.equal(mount.headers!["access-control-allow-origin"], UI_ORIGIN);
  assert.equal((await handler(event("GET", "/guarded/private/whoami", preflight()))).statusCode, 401);
});

test.after(() => {
  web.close();
  backend.close();
});

// ---- issue 14 item 8: GET query parameters and response schemas

test("a GET endpoint with several parameters gets each query key in its parameter, converted by its type", async () => {
  const get = async (q: string) => {
    const res = await call(`/greet?${q}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    return { status: res.status, body: (await res.json()) as any };
  };
  assert.deepEqual(await get("name=ada&times=2"), { status: 200, body: { message: "Hello, ada! Hello, ada!", times: 2 } });
  assert.deepEqual(await get("greeting=Hi&name=ada&loud=true"), { status: 200, body: { message: "HI, ADA!", times: 1 } });
  const missing = await get("greeting=Hi");
  assert.equal(missing.status, 422);
  assert.deepEqual(missing.body.error.issues.map((i: any) => i.path), [["name"]]);
  assert.equal((await get("name=ada&times=many")).status, 422);
  const greet = spec.functions.find((f) => f.name === "greet")!.web!;
  assert.ok(greet.kind === "endpoint");
  assert.deepEqual(greet.queryParams, ["name", "greeting", "times", "loud"]);
  assert.deepEqual(greet.bodySchema, {
    type: "object",
    properties: { name: { type: "string" }, greeting: { type: "string", default: "Hello" }, times: { type: "number", default: 1 }, loud: { type: "boolean" } },
    required: ["name"],
  });
});

test("with a query schema, the schema converts and checks and each key goes to its parameter; class methods too", async () => {
  assert.deepEqual(await (await call("/search?q=x&page=3")).json(), { q: "x", page: 3 });
  assert.deepEqual(await (await call("/search?page=2&q=y")).json(), { q: "y", page: 2 });
  assert.deepEqual(await (await call("/search?q=z")).json(), { q: "z", page: 1 });
  assert.equal((await call("/search?q=z&page=0")).status, 422);
  assert.equal(await (await call("/Model/predict?x=3&y=4")).json(), 12);
  assert.equal(await (await call("/Model/predict?x=5")).json(), 10, "a parameter's default applies");
});

test("the OpenAPI 200 response: from the return type, the returned literal, or the response schema", async () => {
  const doc: any = await (await call("/_gantry/openapi.json")).json();
  const response = (path: string, method = "get") => doc.paths[path][method].responses["200"].content["application/json"].schema;
  assert.deepEqual(response("/greet"), { $ref: "#/components/schemas/greet_Response" });
  assert.deepEqual(doc.components.schemas.greet_Response, {
    type: "object", properties: { message: { type: "string" }, times: { type: "number" } }, required: ["message", "times"],
  });
  assert.deepEqual(doc.components.schemas[response("/status").$ref.split("/").pop()], {
    type: "object",
    properties: { status: { type: "string", enum: ["ok", "degraded"] }, uptime: { type: "number" }, notes: { type: "array", items: { type: "string" } } },
    required: ["status", "uptime"],
  });
  assert.deepEqual(doc.components.schemas[response("/health").$ref.split("/").pop()], {
    type: "object", properties: { status: { type: "string" }, version: { type: "number" }, ready: { type: "boolean" } }, required: ["status", "version", "ready"],
  });
  assert.deepEqual(doc.components.schemas[response("/item", "post").$ref.split("/").pop()], {
    type: "object",
    properties: { id: { type: "string" }, price: { type: "number" }, tags: { type: "array", items: { type: "string" }, default: [] } },
    required: ["id", "price", "tags"],
    additionalProperties: false,
  });
  assert.deepEqual(doc.paths["/greet"].get.parameters.map((p: any) => [p.name, p.required, p.schema]), [
    ["name", true, { type: "string" }], ["greeting", false, { type: "string", default: "Hello" }],
    ["times", false, { type: "number", default: 1 }], ["loud", false, { type: "boolean" }],
  ]);
});

test("gantry's own answers have CORS, as Modal's fastapi_endpoint: a preflight passes the token check, errors are readable", async () => {
  const pre = await call("/greet", { method: "OPTIONS", headers: preflight() });
  assert.equal(pre.status, 204);
  assert.equal(pre.headers.get("access-control-allow-origin"), "*");
  assert.equal(pre.headers.get("access-control-allow-methods"), "GET, OPTIONS");
  assert.equal(pre.headers.get("access-control-allow-headers"), "authorization");
  const ok = await call("/greet?name=ada", { headers: { authorization: `Bearer ${TOKEN}`, origin: UI_ORIGIN } });
  assert.equal(ok.status, 200);
  assert.equal(ok.headers.get("access-control-allow-origin"), "*");
  const denied = await call("/greet?name=ada", { headers: { origin: UI_ORIGIN } });
  assert.equal(denied.status, 401, "a real request still needs the token");
  assert.equal(denied.headers.get("access-control-allow-origin"), "*");
  for (const method of ["GET", "POST"]) {
    assert.equal((await call("/greet?name=ada", { method, headers: preflight(), body: method === "POST" ? "{}" : undefined })).status, 401, method);
  }
  assert.equal((await call("/greet?name=ada", { method: "OPTIONS", headers: { origin: UI_ORIGIN } })).status, 401, "OPTIONS without Access-Control-Request-Method");
  assert.equal((await call("/greet?name=ada")).headers.get("access-control-allow-origin"), null, "no Origin, no CORS headers");
});
