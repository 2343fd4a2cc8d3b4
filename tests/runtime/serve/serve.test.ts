// `gantry serve` as a user runs it: the real CLI, real HTTP on 127.0.0.1, real containers.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fixtureProject, events, isAlive, serve, serveReady, until, REPO } from "./harness.ts";
import { join } from "node:path";

test("endpoints answer with and without the token, a bad body gets 422, the webApp runs in a container", { timeout: 180_000 }, async (t) => {
  const project = fixtureProject();
  const s = await serveReady([project.appFile], { SERVE_MARKERS: project.markers });
  t.after(() => s.kill());
  const { url, token } = s;
  assert.ok(token, s.stdout());
  const auth = { authorization: `Bearer ${token}` };

  // the banner: every route with its URL, the docs, and a curl line with the token
  const out = s.stdout();
  assert.match(out, new RegExp(`POST   ${url}/Greeter/greet  \\(bearer token, docs ${url}/Greeter/greet/docs\\)`));
  assert.match(out, new RegExp(`GET    ${url}/slow  \\(public\\)`));
  assert.match(out, new RegExp(`ANY    ${url}/api/  \\(bearer token\\)`));
  assert.match(out, new RegExp(`API docs: ${url}/_gantry/docs`));
  assert.match(out, new RegExp(`try:   curl -H "Authorization: Bearer ${token}" -H "Content-Type: application/json" -d '\\{"name":"hello"\\}' ${url}/Greeter/greet`));
  assert.match(out, /schedules:\n  tick  every 2 s  next \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(in \d s\)/);

  const greet = (body: string, headers: Record<string, string> = auth) =>
    fetch(`${url}/Greeter/greet`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
  const ok = await greet('{"name":"ada","times":2}');
  assert.equal(ok.status, 200);
  const greeting = (await ok.json()) as { greeting: string; version: string; pid: number };
  assert.equal(greeting.greeting, "hello ada, hello ada");
  assert.notEqual(greeting.pid, s.child.pid, "ran in a container, not in gantry serve");

  const missing = await greet('{"name":"ada"}', {});
  assert.equal(missing.status, 401);
  assert.equal(missing.headers.get("www-authenticate"), 'Bearer realm="gantry"');
  assert.equal((await greet('{"name":"ada"}', { authorization: "Bearer wrong" })).status, 401);

  const bad = await greet('{"name":"","times":9}');
  assert.equal(bad.status, 422);
  const issues = ((await bad.json()) as { error: { issues: Array<{ path: string[] }> } }).error.issues;
  assert.deepEqual(issues.map((i) => i.path.join(".")).sort(), ["name", "times"]);
  assert.equal((await greet("{not json")).status, 400);

  assert.equal((await fetch(`${url}/version`)).status, 401);
  assert.deepEqual(await (await fetch(`${url}/version`, { headers: auth })).json(), { version: "v1" });

  // the webApp (Hono) behind the token, through its own container; the prefix is stripped
  const hono = await fetch(`${url}/api/hello/grace?x=1`, { headers: auth });
  assert.equal(hono.status, 200);
  const body = (await hono.json()) as { hello: string; prefix: string; pid: number };
  assert.equal(body.hello, "grace");
  assert.equal(body.prefix, "/api");
  assert.notEqual(body.pid, greeting.pid, "a container of its own");
  assert.equal((await fetch(`${url}/api/hello/grace`)).status, 401);
  assert.equal((await fetch(`${url}/api/nope`, { headers: auth })).status, 404, "Hono's own 404");

  // docs: the page (HTML) and the OpenAPI document, without a token
  const page = await fetch(`${url}/_gantry/docs`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get("content-type") ?? "", /^text\/html/);
  assert.match(await page.text(), /swagger/i);
  const openapi = await fetch(`${url}/Greeter/greet/openapi.json`);
  assert.equal(openapi.status, 200);
  const doc = (await openapi.json()) as { openapi: string; paths: Record<string, unknown> };
  assert.equal(doc.openapi, "3.1.0");
  assert.deepEqual(Object.keys(doc.paths), ["/Greeter/greet"]);

  assert.deepEqual(await (await fetch(`${url}/readyz`)).json(), { status: "ok" });
  assert.equal((await fetch(`${url}/nothing-here`, { headers: auth })).status, 404);
  // one access line per request, from the front door
  await s.output(/\[web\] POST \/Greeter\/greet 200 \(\d+ ms\)/);
});

test("a schedule fires on its period and prints its next run", { timeout: 180_000 }, async (t) => {
  const project = fixtureProject();
  const s = await serveReady([project.appFile], { SERVE_MARKERS: project.markers });
  t.after(() => s.kill());
  await s.output(/\[schedule\] tick ran in \d+ (ms|s|\.\d s): 'tick v1'; next run \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(in \d s\)/);
  await until("two ticks", () => events(project.markers).filter((e) => e === "tick v1").length >= 2);
});

test("Ctrl-C waits for a request in flight, runs @exit hooks and exits 0", { timeout: 180_000 }, async (t) => {
  const project = fixtureProject();
  const s = await serveReady([project.appFile], { SERVE_MARKERS: project.markers });
  t.after(() => s.kill());
  const auth = { authorization: `Bearer ${s.token}` };
  const first = (await (await fetch(`${s.url}/Greeter/greet`, { method: "POST", headers: auth, body: '{"name":"x"}' })).json()) as { pid: number };
  assert.ok(events(project.markers).includes(`enter v1 ${first.pid}`));

  const slow = fetch(`${s.url}/slow`);
  await until("the slow request to start", () => events(project.markers).some((e) => e.startsWith("slow started v1 ")));
  s.interrupt();
  await s.output(/gantry serve: stopping after the 1 request in flight/, { stream: "stderr" });
  // still draining: the request in flight is answered once released
  const { writeFileSync } = await import("node:fs");
  writeFileSync(join(project.markers, "release"), "");
  const answer = await slow;
  assert.equal(answer.status, 200);
  assert.deepEqual(await answer.json(), { version: "v1" });

  const { code } = await s.exited;
  assert.equal(code, 0, s.stderr());
  assert.ok(events(project.markers).includes(`exit v1 ${first.pid}`), events(project.markers).join("\n"));
});

test("a second Ctrl-C kills everything at once (exit 130)", { timeout: 180_000 }, async (t) => {
  const project = fixtureProject();
  const s = await serveReady([project.appFile], { SERVE_MARKERS: project.markers });
  t.after(() => s.kill());
  const slow = fetch(`${s.url}/slow`).catch((e: Error) => e);
  const started = await until("the slow request to start", () => events(project.markers).find((e) => e.startsWith("slow started v1 ")));
  const containerPid = Number(started.split(" ").pop());
  s.interrupt();
  await s.output(/gantry serve: stopping after the 1 request in flight/, { stream: "stderr" });
  s.interrupt();
  const { code } = await s.exited;
  assert.equal(code, 130, s.stderr());
  assert.match(s.stderr(), /gantry serve: killing the containers/);
  assert.ok(await slow instanceof Error, "the request in flight was cut");
  await until("the container to be gone", () => !isAlive(containerPid), 10_000);
});

test("an oversized body gets 413 through the dev server, and the server stays healthy", { timeout: 180_000 }, async (t) => {
  const project = fixtureProject();
  const s = await serveReady([project.appFile, "--no-watch"], { SERVE_MARKERS: project.markers });
  t.after(() => s.kill());
  const auth = { authorization: `Bearer ${s.token}` };
  for (let i = 0; i < 3; i++) {
    const big = await fetch(`${s.url}/Greeter/greet`, { method: "POST", headers: auth, body: "x".repeat(5 * 1024 * 1024) });
    assert.equal(big.status, 413);
  }
  const ok = await fetch(`${s.url}/Greeter/greet`, { method: "POST", headers: auth, body: '{"name":"small"}' });
  assert.equal(ok.status, 200);
});

test("GANTRY_TOKEN is the token; it is not printed and containers do not see it", { timeout: 180_000 }, async (t) => {
  const project = fixtureProject();
  const s = await serveReady([project.appFile, "--no-watch"], { SERVE_MARKERS: project.markers, GANTRY_TOKEN: "dev-token-123" });
  t.after(() => s.kill());
  assert.equal(s.token, null);
  assert.doesNotMatch(s.stdout(), /dev-token-123/);
  assert.match(s.stdout(), /token: from GANTRY_TOKEN/);
  assert.match(s.stdout(), /curl -H "Authorization: Bearer \$GANTRY_TOKEN"/);
  assert.match(s.stdout(), /not watching for changes \(--no-watch\)/);
  const auth = { authorization: "Bearer dev-token-123" };
  assert.equal((await fetch(`${s.url}/version`, { headers: auth })).status, 200);
  assert.equal((await fetch(`${s.url}/version`, { headers: { authorization: "Bearer other" } })).status, 401);
  assert.deepEqual(await (await fetch(`${s.url}/environment`, { headers: auth })).json(), { gantryToken: null });
});

test("an app with analysis errors prints them and exits 1; a bad port is a usage error", { timeout: 120_000 }, async () => {
  const broken = serve([join(REPO, "tests/runtime/serve/fixtures/broken/app.ts"), "--port", "0"]);
  const { code } = await broken.exited;
  assert.equal(code, 1);
  assert.match(broken.stderr(), /broken[\\/]app\.ts:6:\d+: error GANTRY1302: option timeout/);
  assert.doesNotMatch(broken.stdout(), /on http/);

  const port = serve([join(REPO, "tests/runtime/serve/fixtures/broken/app.ts"), "--port", "http"]);
  assert.equal((await port.exited).code, 2);
  assert.match(port.stderr(), /--port must be a number/);
});
