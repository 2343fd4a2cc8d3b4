// Issue 14 item 5: private endpoints and the app's own auth and CORS. Served from the app's spec
// (as gantry serve, the container front door and the Lambda gateway serve it) with the code in process.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { createWebHandlerForSpec } from "../../../runtime/web/handler.ts";
import { InProcessBackend } from "../../../runtime/web/in-process.ts";
import { lambdaHandler } from "../../../runtime/web/lambda.ts";
import { routesOfSpec } from "../../../runtime/web/routes.ts";
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

test("the Lambda gateway lets a preflight through too", async () => {
  const handler = lambdaHandler(web);
  const event = (method: string, headers: Record<string, string>): APIGatewayProxyEventV2 => ({
    version: "2.0", routeKey: "$default", rawPath: "/guarded/private/whoami", rawQueryString: "",
    headers: { host: "abc.execute-api.eu-west-1.amazonaws.com", ...headers },
    requestContext: { http: { method, path: "/guarded/private/whoami", protocol: "HTTP/1.1", sourceIp: "1.2.3.4", userAgent: "t" } } as APIGatewayProxyEventV2["requestContext"],
    isBase64Encoded: false,
  });
  const res = await handler(event("OPTIONS", preflight()));
  assert.equal(res.statusCode, 204);
  assert.equal(res.headers!["access-control-allow-origin"], UI_ORIGIN);
  assert.equal((await handler(event("GET", preflight()))).statusCode, 401);
});

test.after(() => {
  web.close();
  backend.close();
});
