// The "done when", tried as a new user would: `gantry serve examples/web/app.ts`, then curl
// with and without the token, with a bad body, the webApp, and the docs page in a real browser
// (Debian's chromium, driven by playwright-core; skipped when it is not installed).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { REPO, serveReady } from "./harness.ts";
import { launchChromium, skipWithoutChromium } from "../../helpers/chromium.ts";

let s: Awaited<ReturnType<typeof serveReady>>;
let auth: Record<string, string>;

before(async () => {
  s = await serveReady([join(REPO, "examples/web/app.ts")]);
  auth = { authorization: `Bearer ${s.token}` };
}, { timeout: 120_000 });

after(() => s?.kill());

test("the banner lists every endpoint's URL, the docs and a curl line that works as printed", { timeout: 120_000 }, async () => {
  const out = s.stdout();
  assert.match(out, /gantry serve: web-example \(examples\/web\/app\.ts\) on http:\/\/127\.0\.0\.1:\d+\n/);
  for (const line of [
    `GET    ${s.url}/health  (public)`,
    `ANY    ${s.url}/api/  (bearer token)`,
    `POST   ${s.url}/EmbeddingService/embed  (bearer token, docs ${s.url}/EmbeddingService/embed/docs)`,
    `API docs: ${s.url}/_gantry/docs  (OpenAPI: ${s.url}/_gantry/openapi.json)`,
  ]) assert.ok(out.includes(line), `missing: ${line}\n${out}`);

  // the printed curl line, run as printed
  const curl = /try:   curl -H "Authorization: Bearer (\S+)" -H "Content-Type: application\/json" -d '(.*)' (\S+)\n/.exec(out);
  assert.ok(curl, out);
  assert.equal(curl[1], s.token);
  assert.equal(curl[3], `${s.url}/EmbeddingService/embed`);
  const res = await fetch(curl[3], { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: curl[2] });
  assert.equal(res.status, 200);
  assert.equal(((await res.json()) as { embeddings: number[][] }).embeddings.length, 1);
});

test("curl: with the token 200, without 401, a bad body 422, the public health check, the Hono app", { timeout: 120_000 }, async () => {
  const embed = (body: string, headers: Record<string, string> = auth) =>
    fetch(`${s.url}/EmbeddingService/embed`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
  const ok = await embed('{"texts":["a e"],"normalize":false}');
  assert.equal(ok.status, 200);
  assert.deepEqual(await ok.json(), { embeddings: [[3, 2, 2]] });
  assert.equal((await embed('{"texts":["a"]}', {})).status, 401);
  const bad = await embed('{"texts":[]}');
  assert.equal(bad.status, 422);
  assert.equal(((await bad.json()) as { error: { type: string } }).error.type, "ValidationError");
  assert.deepEqual(await (await fetch(`${s.url}/health`)).json(), { status: "ok" });
  assert.deepEqual(await (await fetch(`${s.url}/api/greet/ada`, { headers: auth })).json(), { greeting: "hello, ada" });
  assert.equal((await fetch(`${s.url}/api/greet/ada`)).status, 401);
  const openapi = await fetch(`${s.url}/_gantry/openapi.json`);
  assert.equal(openapi.status, 200);
  assert.ok(((await openapi.json()) as { paths: Record<string, unknown> }).paths["/EmbeddingService/embed"]);
});


test("the docs page works in a browser: it renders, loads nothing from outside, and calls the endpoint with the token",
  { skip: skipWithoutChromium, timeout: 180_000 }, async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.context.newPage();
      const problems: string[] = [];
      const foreign: string[] = [];
      page.on("console", (m) => { if (m.type() === "error") problems.push(`console: ${m.text()}`); });
      page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
      page.on("request", (r) => { if (!r.url().startsWith(s.url) && !r.url().startsWith("data:")) foreign.push(r.url()); });

      const response = await page.goto(`${s.url}/_gantry/docs`);
      assert.equal(response?.status(), 200);
      const operation = page.locator("#operations-EmbeddingService-EmbeddingService_embed");
      await operation.waitFor({ timeout: 60_000 });
      assert.match(await page.locator(".info .title").innerText(), /^web-example/);

      await page.locator(".auth-wrapper .authorize").click();
      await page.locator(".auth-container input").first().fill(s.token!);
      await page.locator(".auth-btn-wrapper .authorize").click();
      await page.locator(".auth-btn-wrapper .btn-done").click();
      await operation.locator(".opblock-summary").click();
      const tryOut = operation.locator(".try-out__btn");
      if ((await tryOut.innerText()).trim() === "Try it out") await tryOut.click();
      await operation.locator("textarea.body-param__text").fill('{"texts":["from the browser"]}');
      await operation.locator(".execute").click();
      const status = operation.locator(".live-responses-table tbody .response-col_status").first();
      await status.waitFor({ timeout: 60_000 });
      assert.equal((await status.innerText()).trim(), "200");
      assert.match(await operation.locator(".live-responses-table tbody .response-col_description pre").first().innerText(), /"embeddings"/);
      assert.deepEqual(foreign, [], "the page loads everything from the dev server");
      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
    }
  });

test("Ctrl-C stops it with exit code 0", { timeout: 120_000 }, async () => {
  s.interrupt();
  const { code } = await s.exited;
  assert.equal(code, 0, s.stderr());
  assert.match(s.stderr(), /gantry serve: stopping/);
});
