// The URL scheme, from code and from the static spec, and the names it refuses.
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadFixture } from "./fixtures/harness.ts";
import { webRoutes, webRoutesOfSpec, WebRouteError, type SpecRoute } from "../../../runtime/web/routes.ts";
import { App, webApp, webEndpoint } from "../../../sdk/index.ts";
import type { AppSpec } from "../../../synth/spec.ts";

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

test("the static spec gives the same paths", () => {
  const source = { file: "app.ts", line: 1, column: 1 };
  const endpoint = (method: "GET" | "POST", isPublic: boolean, docs = false) => ({ kind: "endpoint" as const, method, public: isPublic, docs, bodySchema: null, source });
  const spec = {
    functions: [
      { name: "health", web: endpoint("GET", true) },
      { name: "api", web: { kind: "app", public: false, source } },
      { name: "square", web: null },
    ],
    classes: [{ name: "EmbeddingService", methods: [{ name: "embed", web: endpoint("POST", false, true) }, { name: "other", web: null }] }],
  } as unknown as AppSpec;
  const expected: SpecRoute[] = [
    { kind: "endpoint", path: "/health", declaration: "health", public: true, method: "GET", docs: false },
    { kind: "app", path: "/api", declaration: "api", public: false, method: null, docs: false },
    { kind: "endpoint", path: "/EmbeddingService/embed", declaration: "EmbeddingService.embed", public: false, method: "POST", docs: true },
  ];
  assert.deepEqual(webRoutesOfSpec(spec), expected);
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
