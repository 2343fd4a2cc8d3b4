// examples/web/app.ts served by the web layer (in-process backend): what `gantry serve` will print and answer.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createWebHandler } from "../../../runtime/web/handler.ts";
import { InProcessBackend } from "../../../runtime/web/in-process.ts";
import { describeRoute } from "../../../runtime/web/routes.ts";

const mod = await import("../../../examples/web/app.ts");
mod.app.bindExports(mod);
const backend = new InProcessBackend(mod.app);
const web = createWebHandler(mod.app, { backend, tokens: ["tok"] });
const call = (path: string, init: RequestInit = {}) => web.fetch(new Request(`http://localhost:8000${path}`, init));
const auth = { authorization: "Bearer tok" };

test("the example's routes, as a dev server would print them", () => {
  assert.deepEqual(web.routes.map((r) => describeRoute(r, "http://localhost:8000")), [
    "GET    http://localhost:8000/health  (public)",
    "ANY    http://localhost:8000/api/  (bearer token)",
    "ANY    http://localhost:8000/status/  (bearer token)",
    "POST   http://localhost:8000/EmbeddingService/embed  (bearer token, docs http://localhost:8000/EmbeddingService/embed/docs)",
  ]);
});

test("the example answers as API.md says", async () => {
  assert.deepEqual(await (await call("/health")).json(), { status: "ok" });
  const embed = await call("/EmbeddingService/embed", { method: "POST", headers: auth, body: JSON.stringify({ texts: ["a e"], normalize: false }) });
  assert.deepEqual(await embed.json(), { embeddings: [[3, 2, 2]] });
  assert.equal((await call("/EmbeddingService/embed", { method: "POST", body: "{}" })).status, 401);
  assert.equal((await call("/EmbeddingService/embed", { method: "POST", headers: auth, body: '{"texts":[]}' })).status, 422);
  assert.deepEqual(await (await call("/api/greet/ada", { headers: auth })).json(), { greeting: "hello, ada" });
  assert.equal((await call("/EmbeddingService/embed/docs")).status, 200);
});

test.after(() => web.close());
