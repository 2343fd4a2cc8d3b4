// webApp (a Hono app behind bearer auth) and webServer (a port proxied after startup), forwarded
// through backend.forward as serialized requests.
import { test } from "node:test";
import assert from "node:assert/strict";
import { frontDoor, TOKEN } from "./fixtures/harness.ts";
import { serveFetchApp } from "../../../runtime/web/fetch-app.ts";
import { serveWebServer, WebServerStartupError } from "../../../runtime/web/web-server.ts";
import type { SerializedRequest } from "../../../runtime/web/backend.ts";

const { mod, backend, web, call } = await frontDoor({ maxBodyBytes: 2048 });

test("a Hono app is mounted at /<name>, prefix stripped, behind the bearer token", async () => {
  const root = await call("/api");
  assert.equal(root.status, 200);
  assert.deepEqual(await root.json(), { service: "web-fixture" });
  assert.deepEqual(await (await call("/api/")).json(), { service: "web-fixture" });
  assert.deepEqual(await (await call("/api/greet/ada")).json(), { greeting: "hello, ada" });

  const missing = await call("/api/greet/ada", { token: null });
  assert.equal(missing.status, 401);
  assert.equal(missing.headers.get("www-authenticate"), 'Bearer realm="gantry"');
  assert.equal((await call("/api", { token: "wrong" })).status, 401);
  assert.equal((await call("/api/nope")).status, 404, "the app's own 404");
  assert.equal((await call("/apix")).status, 404, "mounts match whole segments");
});

test("the app sees the stripped path, the query, the body, and never gantry's token", async () => {
  const res = await call("/api/inspect?x=1&y=two", { method: "POST", body: "raw body", headers: { "content-type": "text/plain" } });
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { path: "/inspect", query: { x: "1", y: "two" }, authorization: null, prefix: "/api", body: "raw body" });
});

test("X-Forwarded-Prefix is gantry's: a client's own value is replaced, not appended to", async () => {
  for (const sent of [["/evil"], ["/evil", "/worse"]]) {
    const headers = new Headers();
    for (const v of sent) headers.append("x-forwarded-prefix", v);
    const res = await call("/api/inspect", { method: "POST", body: "b", headers });
    assert.equal(((await res.json()) as { prefix: string }).prefix, "/api", sent.join(", "));
  }
});

test("a public webApp needs no token and sees the Authorization header as sent", async () => {
  const res = await call("/publicApi/x/y", { token: null, headers: { authorization: "Bearer app-level" } });
  assert.equal(res.status, 200);
  assert.equal(await res.text(), "public /x/y auth=Bearer app-level");
});

test("multiple Set-Cookie headers survive the round trip", async () => {
  const res = await call("/api/cookies");
  assert.deepEqual(res.headers.getSetCookie(), ["a=1; Path=/", "b=2; Path=/"]);
});

test("the app's own errors are its answer (Hono: 500); bodies over the limit are 413 before forwarding", async () => {
  const boom = await call("/api/boom");
  assert.equal(boom.status, 500);
  const big = await call("/api/inspect", { method: "POST", body: "x".repeat(5000) });
  assert.equal(big.status, 413);
});

test("a fetch app that throws becomes 502: a generic body by default, its message with exposeErrors", async () => {
  const { createWebHandlerForRoutes } = await import("../../../runtime/web/handler.ts");
  const throwing = (exposeErrors: boolean) => createWebHandlerForRoutes("t", [{
    kind: "app", path: "/x", declaration: "x", unit: "x", target: { app: "t", name: "x" }, public: true,
    limits: { maxContainers: null, maxInputs: 1, timeout: 60, retries: 0 },
  }], { exposeErrors, backend: { ...backend, forward: async () => { throw new Error("container went away"); } } as never });
  const generic = await throwing(false).fetch(new Request("http://t/x/y"));
  assert.equal(generic.status, 502);
  assert.deepEqual(((await generic.json()) as any).error, { type: "BadGateway", message: "x did not answer; its error is in the server log" });
  const res = await throwing(true).fetch(new Request("http://t/x/y"));
  assert.equal(res.status, 502);
  assert.match(((await res.json()) as any).error.message, /container went away/);
});

test("webServer: start() runs once, the port is awaited, requests are proxied", async () => {
  const res = await call("/ui/hello?q=1", { method: "POST", body: "payload" });
  assert.equal(res.status, 201);
  assert.equal(res.headers.get("x-ui"), "yes");
  assert.deepEqual(await res.json(), { method: "POST", url: "/hello?q=1", body: "payload", auth: null });
  const again = await call("/ui");
  assert.deepEqual(((await again.json()) as any).url, "/");
  assert.equal(mod.uiState.starts, 1);
});

test("webServer: nothing on the port within startupTimeout is a startup error", async () => {
  const proxied = serveWebServer({ port: 1, startupTimeout: 0.2, start: () => {}, pollMs: 20 });
  await assert.rejects(proxied.start(), (e: Error) => e instanceof WebServerStartupError && /port 1 within startupTimeout 0.2s/.test(e.message));
  const failing = serveWebServer({ port: 1, startupTimeout: 5, start: async () => { throw new Error("bad config"); }, pollMs: 20 });
  await assert.rejects(failing.start(), /start\(\) failed before port 1 was listening: bad config/);
});

test("serveFetchApp: the factory runs once, again only after it failed", async () => {
  let builds = 0;
  let fail = true;
  const served = serveFetchApp(() => {
    builds++;
    if (fail) throw new Error("not yet");
    return { fetch: (r: Request) => new Response(`${r.method} ${new URL(r.url).pathname}`) };
  });
  const req: SerializedRequest = { method: "GET", url: "//evil.example/path", headers: [["host", "bad host!"]], body: null };
  await assert.rejects(served(req), /not yet/);
  fail = false;
  const res = await served(req);
  assert.equal(new TextDecoder().decode(res.body!), "GET //evil.example/path", "a path never becomes a host");
  await served(req);
  assert.equal(builds, 2);
  await assert.rejects(serveFetchApp(() => ({}) as never).start(), /must return an object with a fetch/);
});

test.after(() => {
  mod.uiState.server?.close();
  backend.close();
  web.close();
  void TOKEN;
});
