// The route model: the URL scheme from the static spec and from code (the same), its validators, and the names it refuses.
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadFixture } from "./fixtures/harness.ts";
import { fileURLToPath } from "node:url";
import { routesOfSpec, webRoutes, webRoutesOfSpec, WebRouteError, type EndpointRoute, type SpecRoute, type WebRoute } from "../../../runtime/web/routes.ts";
import { bodyValidator } from "../../../runtime/web/schema.ts";
import { importApp } from "../../../runtime/worker/target.ts";
import { App, webApp, webEndpoint } from "../../../sdk/index.ts";
import { analyzeApp } from "../../../synth/index.ts";

const mod = await loadFixture();

test("functions at /<name>, class methods at /<Class>/<method>, apps and servers as mounts", () => {
  const routes = webRoutes(mod.app).map((r) => [r.kind, r.path, r.declaration, r.public]);
  assert.deepEqual(routes.sort(), [
    ["app", "/api", "api", false],
    ["app", "/publicApi", "publicApi", true],
    ["endpoint", "/EmbeddingService/embed", "EmbeddingService.embed", false],
    ["endpoint", "/echo", "echo", false],
    ["endpoint", "/fail", "fail", true],
    ["endpoint", "/health", "health", true],
    ["endpoint", "/search", "search", false],
    ["endpoint", "/slow", "slow", false],
    ["endpoint", "/slowPublic", "slowPublic", true],
    ["server", "/ui", "ui", false],
  ]);
  const embed = webRoutes(mod.app).find((r) => r.path === "/EmbeddingService/embed")!;
  assert.deepEqual(embed.target, { app: "web-fixture", name: "EmbeddingService", method: "embed" });
});

test("the static spec gives the same route model as the code: paths, units, limits, body JSON Schemas", async () => {
  const file = fileURLToPath(new URL("./fixtures/spec-app.ts", import.meta.url));
  const spec = analyzeApp(file).spec!;
  const byPath = (routes: WebRoute[]) => [...routes].sort((a, b) => a.path.localeCompare(b.path));
  const fromSpec = byPath(routesOfSpec(spec));
  // what only types say (query parameters, a response schema from the return type) is the spec's alone
  const typesAside = (routes: WebRoute[]) => routes.map((r) => (r.kind === "endpoint" ? { ...r, queryParams: undefined, responseSchema: undefined } : r));
  assert.deepEqual(typesAside(fromSpec), typesAside(byPath(webRoutes(await importApp(file, spec.app.name)))));
  assert.deepEqual((fromSpec[0] as EndpointRoute).responseSchema, { type: "object", properties: { welcome: {}, plan: {} }, required: ["welcome", "plan"] });
  assert.deepEqual(fromSpec.map((r) => [r.kind, r.path, r.declaration, r.unit, r.public]), [
    ["endpoint", "/Accounts/signup", "Accounts.signup", "Accounts", false],
    ["app", "/dashboard", "dashboard", "dashboard", false],
    ["endpoint", "/lookup", "lookup", "lookup", true],
  ]);
  const signup = fromSpec[0] as EndpointRoute;
  assert.deepEqual(signup.limits, { maxContainers: 3, maxInputs: 8, timeout: 60, retries: 0 });
  assert.deepEqual(fromSpec[2].limits, { maxContainers: null, maxInputs: 1, timeout: 300, retries: 2 });
  assert.deepEqual(signup.bodySchema?.required, ["email", "age"]);
  assert.deepEqual(JSON.parse(JSON.stringify(fromSpec)), fromSpec, "a route is plain data (it travels as JSON to the gateway)");
  const summaries: SpecRoute[] = webRoutesOfSpec(spec);
  assert.deepEqual(summaries.find((r) => r.path === "/Accounts/signup"), { kind: "endpoint", path: "/Accounts/signup", declaration: "Accounts.signup", public: false, method: "POST", docs: true });
});

test("the validator is built from the JSON Schema: defaults applied, zod issues, one per schema", async () => {
  const spec = analyzeApp(fileURLToPath(new URL("./fixtures/spec-app.ts", import.meta.url))).spec!;
  const schema = (routesOfSpec(spec).find((r) => r.path === "/Accounts/signup") as EndpointRoute).bodySchema!;
  assert.equal(bodyValidator(schema), bodyValidator(schema));
  assert.deepEqual(bodyValidator(schema).parse({ email: "ada@x.org", age: 30 }), { email: "ada@x.org", age: 30, plan: "free" });
  const bad = bodyValidator(schema).safeParse({ email: "ada@x.org", age: 3 });
  assert.deepEqual(bad.error?.issues.map((i) => [i.code, i.path]), [["too_small", ["age"]]]);
});

test("reserved names and mounts hiding other routes are errors that name the declaration", () => {
  const reserved = new App("reserved");
  const livez = reserved.function({}, webEndpoint({ method: "GET" }, async () => 1));
  reserved.bindExports({ livez });
  assert.throws(() => webRoutes(reserved), (e: Error) => e instanceof WebRouteError && /livez: "\/livez" is reserved/.test(e.message));

  const hidden = new App("hidden");
  @hidden.cls({})
  class Store {
    @webEndpoint({ method: "POST" }) async put() { return 1; }
  }
  const StoreApp = hidden.function({}, webApp(() => ({ fetch: () => new Response("") })));
  void Store;
  hidden.bindExports({ Store: StoreApp });
  assert.throws(() => webRoutes(hidden), /Store\.put \(\/Store\/put\) is hidden by Store, which serves everything under \/Store\//);

  const unnamed = new App("unnamed");
  unnamed.function({}, webEndpoint({ method: "GET" }, async () => 1));
  assert.throws(() => webRoutes(unnamed), /has no name: export it/);
});
