// Issue 14 items 5 and 8 through `gantry serve` (the real CLI, real HTTP, real containers): a Hono
// app with its own bearer check and CORS, and a GET endpoint with several query parameters.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fixtureProject, serveReady } from "./harness.ts";

const APP_TOKEN = "the-app-s-own-token";
const UI_ORIGIN = "https://ui.example";

test("gantry serve: auth: \"app\" hands auth to the app, a preflight reaches a guarded app, GET parameters by name", { timeout: 180_000 }, async (t) => {
  const project = fixtureProject("../../web/fixtures/porting-app.ts");
  const s = await serveReady([project.appFile]);
  t.after(() => s.kill());
  const { url, token } = s;
  assert.ok(token, s.stdout());
  assert.match(s.stdout(), new RegExp(`ANY    ${url}/api/  \\(auth by the app\\)`));
  assert.match(s.stdout(), new RegExp(`ANY    ${url}/guarded/  \\(bearer token\\)`));

  const whoami = await fetch(`${url}/api/private/whoami`, { headers: { authorization: `Bearer ${APP_TOKEN}` } });
  assert.equal(whoami.status, 200);
  assert.deepEqual(await whoami.json(), { user: "ada", authorization: `Bearer ${APP_TOKEN}` });
  assert.equal((await fetch(`${url}/api/private/whoami`, { headers: { authorization: `Bearer ${token}` } })).status, 401, "the app's 401 to gantry's token");

  const preflight = await fetch(`${url}/guarded/private/whoami`, {
    method: "OPTIONS", headers: { origin: UI_ORIGIN, "access-control-request-method": "GET", "access-control-request-headers": "authorization" },
  });
  assert.equal(preflight.status, 204);
  assert.equal(preflight.headers.get("access-control-allow-origin"), UI_ORIGIN);
  const guarded = await fetch(`${url}/guarded/private/whoami`, { headers: { origin: UI_ORIGIN } });
  assert.equal(guarded.status, 401);
  assert.equal(guarded.headers.get("www-authenticate"), 'Bearer realm="gantry"');

  const greet = await fetch(`${url}/greet?name=ada&times=2&greeting=Hi`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(greet.status, 200);
  assert.deepEqual(await greet.json(), { message: "Hi, ada! Hi, ada!", times: 2 });
});
