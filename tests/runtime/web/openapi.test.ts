// OpenAPI 3.1 documents generated from zod schemas (defaults, query parameters, $defs), and the docs routes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { z } from "zod";
import { frontDoor } from "./fixtures/harness.ts";
import { openApiDocument } from "../../../runtime/web/openapi.ts";
import type { EndpointRoute } from "../../../runtime/web/routes.ts";
import { inputJsonSchema, outputJsonSchema } from "../../../runtime/web/schema.ts";

const { call, web } = await frontDoor();

type Doc = any;

test("the endpoint's document: body schema with its default, security, responses", async () => {
  const res = await call("/EmbeddingService/embed/openapi.json", { token: null });
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type")!, /^application\/json/);
  const doc: Doc = await res.json();
  assert.equal(doc.openapi, "3.1.0");
  assert.deepEqual(Object.keys(doc.paths), ["/EmbeddingService/embed"]);
  const op = doc.paths["/EmbeddingService/embed"].post;
  assert.equal(op.operationId, "EmbeddingService_embed");
  assert.deepEqual(op.security, [{ bearerAuth: [] }]);
  assert.deepEqual(doc.components.securitySchemes.bearerAuth, { type: "http", scheme: "bearer", description: "the deployment's gantry token" });
  assert.deepEqual(op.requestBody.content["application/json"].schema, { $ref: "#/components/schemas/EmbeddingService_embed_Body" });
  assert.deepEqual(doc.components.schemas.EmbeddingService_embed_Body, {
    type: "object",
    properties: {
      texts: { type: "array", minItems: 1, maxItems: 8, items: { type: "string" } },
      normalize: { type: "boolean", default: true },
    },
    required: ["texts"],
  });
  assert.deepEqual(Object.keys(op.responses), ["200", "303", "400", "401", "413", "422", "429", "500"]);
  assert.deepEqual(op.responses["422"].content["application/json"].schema, { $ref: "#/components/schemas/ValidationError" });
  assert.ok(op.responses["303"].headers.Location);
});

test("a GET endpoint's schema becomes query parameters", async () => {
  const doc: Doc = await (await call("/search/openapi.json", { token: null })).json();
  const op = doc.paths["/search"].get;
  assert.equal(op.requestBody, undefined);
  assert.deepEqual(op.parameters.map((p: Doc) => [p.name, p.in, p.required]), [
    ["q", "query", true], ["limit", "query", false], ["exact", "query", false], ["tag", "query", false],
  ]);
  assert.deepEqual(op.parameters[1].schema, { type: "integer", maximum: 50, default: 10, minimum: -9007199254740991 });
  assert.equal(op.parameters[3].explode, true);
});

test("the app's document lists only docs: true endpoints", async () => {
  const doc: Doc = await (await call("/_gantry/openapi.json", { token: null })).json();
  assert.deepEqual(Object.keys(doc.paths), ["/EmbeddingService/embed", "/search"]);
  assert.equal(doc.info.title, "web-fixture");
});

test("recursive schemas and $defs are hoisted into components with rewritten refs", () => {
  const Leaf = z.object({ label: z.string() }).meta({ id: "Leaf" });
  const Tree: z.ZodType = z.object({ leaf: Leaf, other: Leaf, get children() { return z.array(Tree); } });
  const route: EndpointRoute = {
    kind: "endpoint", path: "/plant", declaration: "plant", unit: "plant", target: { app: "a", name: "plant" }, public: true,
    limits: { maxContainers: null, maxInputs: 1, timeout: 300, retries: 0 }, method: "POST", bodySchema: inputJsonSchema(Tree), docs: true,
  };
  const doc: Doc = openApiDocument("a", [route]);
  const body = doc.components.schemas.plant_Body;
  assert.deepEqual(body.properties.leaf, { $ref: "#/components/schemas/plant_Body_Leaf" });
  assert.deepEqual(body.properties.children.items, { $ref: "#/components/schemas/plant_Body" });
  assert.deepEqual(doc.components.schemas.plant_Body_Leaf.required, ["label"]);
  assert.equal(body.$schema, undefined);
  assert.equal(body.$defs, undefined);
  assert.deepEqual(doc.paths["/plant"].post.security, []);
  assert.equal(doc.paths["/plant"].post.responses["401"], undefined, "public: no 401");
  // every $ref in the document resolves inside it
  const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g)!.map((r) => r.slice(8, -1));
  for (const ref of refs) {
    const target = ref.slice(2).split("/").reduce((node: Doc, key) => node?.[key], doc);
    assert.ok(target, `${ref} resolves`);
  }
});

test("the 200 response: the route's response schema in components ($defs hoisted), {} without one", () => {
  const Leaf = z.object({ label: z.string() }).meta({ id: "Leaf" });
  const base = {
    kind: "endpoint", unit: "plant", target: { app: "a", name: "plant" }, public: true,
    limits: { maxContainers: null, maxInputs: 1, timeout: 300, retries: 0 }, method: "GET", bodySchema: null, docs: true,
  } as const;
  const routes: EndpointRoute[] = [
    { ...base, path: "/leaves", declaration: "leaves", responseSchema: outputJsonSchema(z.object({ leaves: z.array(Leaf) })) },
    { ...base, path: "/opaque", declaration: "opaque" },
  ];
  const doc: Doc = openApiDocument("a", routes);
  const ok = (path: string) => doc.paths[path].get.responses["200"].content["application/json"].schema;
  assert.deepEqual(ok("/leaves"), { $ref: "#/components/schemas/leaves_Response" });
  assert.deepEqual(doc.components.schemas.leaves_Response.properties.leaves.items, { $ref: "#/components/schemas/leaves_Response_Leaf" });
  assert.deepEqual(doc.components.schemas.leaves_Response_Leaf.required, ["label"]);
  assert.deepEqual(ok("/opaque"), {});
});

test("docs pages and assets are served from node_modules, with a same-origin CSP", async () => {
  const page = await call("/EmbeddingService/embed/docs", { token: null });
  assert.equal(page.status, 200);
  assert.match(page.headers.get("content-type")!, /^text\/html/);
  assert.match(page.headers.get("content-security-policy")!, /default-src 'self'/);
  const html = await page.text();
  assert.match(html, /data-spec-url="\/EmbeddingService\/embed\/openapi.json"/);
  assert.ok(!/https?:\/\//.test(html.replace(/<!doctype html>/i, "")), "no absolute URLs: nothing from a CDN");
  const app = await call("/_gantry/docs", { token: null });
  assert.match(await app.text(), /data-spec-url="\/_gantry\/openapi.json"/);

  const js = await call("/_gantry/assets/swagger-ui-bundle.js", { token: null });
  assert.equal(js.status, 200);
  assert.match(js.headers.get("content-type")!, /javascript/);
  assert.ok((await js.arrayBuffer()).byteLength > 100_000);
  assert.equal((await call("/_gantry/assets/swagger-ui.css", { token: null })).status, 200);
  assert.match(await (await call("/_gantry/assets/docs-init.js", { token: null })).text(), /validatorUrl: null/);
  for (const path of ["/_gantry/assets/package.json", "/_gantry/assets/..%2Fpackage.json", "/_gantry/assets/index.html"]) {
    assert.equal((await call(path, { token: null })).status, 404, path);
  }
});

test("endpoints without docs: true have no docs; protectDocs puts docs behind the token", async () => {
  assert.equal((await call("/search/docs", { token: null })).status, 200);
  assert.equal((await call("/health/openapi.json", { token: null })).status, 404);
  const guarded = await frontDoor({ protectDocs: true });
  assert.equal((await guarded.call("/search/openapi.json", { token: null })).status, 401);
  assert.equal((await guarded.call("/_gantry/docs", { token: null })).status, 401);
  assert.equal((await guarded.call("/search/openapi.json")).status, 200);
  assert.equal((await call("/search/openapi.json", { method: "POST", token: null })).status, 405);
  void web;
});
