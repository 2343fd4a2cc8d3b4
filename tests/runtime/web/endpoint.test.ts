// Each status the front door answers for webEndpoint declarations, with plain Request objects.
import { test } from "node:test";
import assert from "node:assert/strict";
import { frontDoor, TOKEN } from "./fixtures/harness.ts";
import { createWebHandler } from "../../../runtime/web/handler.ts";

const { mod, backend, web, call, post } = await frontDoor({ maxBodyBytes: 1024 });

test("200: a class endpoint gets the validated, defaulted body", async () => {
  const res = await post("/EmbeddingService/embed", { texts: ["ab", "abc"] });
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type")!, /^application\/json/);
  assert.ok(res.headers.get("x-gantry-call-id"));
  assert.deepEqual(await res.json(), { embeddings: [[2], [3]], normalized: true });
});

test("200: a public GET function needs no token; a trailing slash is the same route", async () => {
  for (const path of ["/health", "/health/"]) {
    const res = await call(path, { token: null });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: "ok" });
  }
});

test("GET takes the query as the argument, coerced by the schema", async () => {
  const res = await call("/search?q=cats&limit=5&exact=true&tag=a&tag=b");
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { query: { q: "cats", limit: 5, exact: true, tag: ["a", "b"] } });
  const defaulted = await call("/search?q=dogs&tag=only");
  assert.deepEqual(await defaulted.json(), { query: { q: "dogs", limit: 10, tag: ["only"] } });
});

test("without a schema the argument is the JSON body, or nothing", async () => {
  const withBody = await call("/echo", { method: "PUT", body: '{"a":[1,2]}' });
  assert.deepEqual(await withBody.json(), { args: [{ a: [1, 2] }] });
  const empty = await call("/echo", { method: "PUT" });
  assert.deepEqual(await empty.json(), { args: [] });
});

test("401: private endpoints need the bearer token, compared exactly", async () => {
  const missing = await post("/EmbeddingService/embed", { texts: ["a"] }, { token: null });
  assert.equal(missing.status, 401);
  assert.equal(missing.headers.get("www-authenticate"), 'Bearer realm="gantry"');
  assert.equal(((await missing.json()) as any).error.type, "Unauthorized");
  for (const token of ["wrong", TOKEN + "x", TOKEN.slice(0, -1), TOKEN.toUpperCase()]) {
    const res = await post("/EmbeddingService/embed", { texts: ["a"] }, { token });
    assert.equal(res.status, 401, token);
    assert.equal(res.headers.get("www-authenticate"), 'Bearer realm="gantry", error="invalid_token"');
  }
  const basic = await post("/EmbeddingService/embed", { texts: ["a"] }, { token: null, headers: { authorization: `Basic ${TOKEN}` } });
  assert.equal(basic.status, 401);
  assert.equal(backend.spawned.get("EmbeddingService.embed"), 1, "only the first test's call ran");
});

test("401 for every private route when no token is configured (fail closed)", async () => {

  const open = createWebHandler(mod.app, { backend });
  const res = await open.fetch(new Request("http://t/search?q=x", { headers: { authorization: "Bearer " } }));
  assert.equal(res.status, 401);
  assert.equal((await open.fetch(new Request("http://t/health"))).status, 200);
});

test("404: unknown routes", async () => {
  for (const path of ["/", "/nope", "/EmbeddingService", "/EmbeddingService/nope", "/EmbeddingService/embed/extra", "/health/docs", "/_gantry/x", "//health", "/%E0%A4%A", "/EmbeddingService%2Fembed"]) {
    const res = await call(path);
    assert.equal(res.status, 404, path);
    assert.equal(((await res.json()) as any).error.type, "NotFound");
  }
});

test("405: wrong method, with Allow", async () => {
  const res = await call("/EmbeddingService/embed", { method: "GET" });
  assert.equal(res.status, 405);
  assert.equal(res.headers.get("allow"), "POST");
  assert.equal((await call("/health", { method: "DELETE", token: null })).status, 405);
});

test("400: malformed JSON", async () => {
  for (const body of ["{", "{'a':1}", "[1,]", "\u0000"]) {
    const res = await post("/EmbeddingService/embed", body);
    assert.equal(res.status, 400, body);
    assert.equal(((await res.json()) as any).error.type, "BadRequest");
  }
  const badUtf8 = await call("/EmbeddingService/embed", { method: "POST", body: new Uint8Array([0x7b, 0xff, 0x7d]) });
  assert.equal(badUtf8.status, 400);
});

test("400: a body nested deeper than maxJsonDepth (128) is refused before parsing; brackets in strings do not count", async () => {
  const deep = await call("/echo", { method: "PUT", body: "[".repeat(300) + "]".repeat(300) }); // (this handler takes 1 KiB bodies)
  assert.equal(deep.status, 400);
  assert.deepEqual(((await deep.json()) as any).error, { type: "BadRequest", message: "the body is nested deeper than 128 levels", maxDepth: 128 });
  const unbalanced = await call("/echo", { method: "PUT", body: "{\"a\":".repeat(200) });
  assert.equal(unbalanced.status, 400);
  const limit = await call("/echo", { method: "PUT", body: "[".repeat(128) + "]".repeat(128) });
  assert.equal(limit.status, 200);
  const strings = await call("/echo", { method: "PUT", body: JSON.stringify({ s: "[{".repeat(200), t: "\\\"[" }) });
  assert.equal(strings.status, 200);
  assert.deepEqual(await strings.json(), { args: [{ s: "[{".repeat(200), t: "\\\"[" }] });
});

test("422: zod issues as JSON, never 500", async () => {
  const res = await post("/EmbeddingService/embed", { texts: [], normalize: "yes" });
  assert.equal(res.status, 422);
  const { error } = (await res.json()) as any;
  assert.equal(error.type, "ValidationError");
  assert.deepEqual(error.issues.map((i: { path: unknown[] }) => i.path), [["texts"], ["normalize"]]);
  assert.equal(error.issues[0].code, "too_small");
  assert.equal(error.issues[1].code, "invalid_type");
  const empty = await call("/EmbeddingService/embed", { method: "POST" });
  assert.equal(empty.status, 422);
  const wrongQuery = await call("/search?q=x&limit=lots");
  assert.equal(wrongQuery.status, 422);
  assert.deepEqual(((await wrongQuery.json()) as any).error.issues[0].path, ["limit"]);
});

test("413: a body over the limit, declared or streamed", async () => {
  const big = JSON.stringify({ texts: ["x".repeat(2000)] });
  const declared = await post("/EmbeddingService/embed", big, { headers: { "content-length": String(big.length) } });
  assert.equal(declared.status, 413);
  assert.equal((await post("/EmbeddingService/embed", big)).status, 413);
  assert.equal(((await declared.json()) as any).error.limit, 1024);

  // no Content-Length: the reader stops at the limit and cancels the rest of the stream
  let pulled = 0;
  let cancelled = false;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulled++;
      if (pulled > 1000) controller.close();
      else controller.enqueue(new Uint8Array(100).fill(0x20));
    },
    cancel() { cancelled = true; },
  });
  const res = await web.fetch(new Request("http://t/echo", {
    method: "PUT", body: stream, headers: { authorization: `Bearer ${TOKEN}` }, duplex: "half",
  } as RequestInit));
  assert.equal(res.status, 413);
  assert.ok(cancelled, "the stream was cancelled");
  assert.ok(pulled < 20, `read ${pulled} chunks of 100 bytes, not the whole body`);
});

test("500: a failed call gets a generic body with its call id; the error goes to the log", async () => {
  const logged: object[] = [];
  const logger = { info() {}, warn: (fields: object) => void logged.push(fields), error: (fields: object) => void logged.push(fields) };
  const quiet = createWebHandler(mod.app, { backend, tokens: [TOKEN], syncWindowMs: 2_000, logger });
  const res = await quiet.fetch(new Request("http://t/fail", { method: "POST", body: "{}" }));
  quiet.close();
  assert.equal(res.status, 500);
  const text = await res.text();
  assert.ok(!text.includes("model exploded"), text);
  assert.ok(!text.includes(mod.SECRET_VALUE), text);
  const { error } = JSON.parse(text);
  assert.equal(error.type, "InternalError");
  assert.equal(error.callId, res.headers.get("x-gantry-call-id"));
  assert.match(error.message, new RegExp(`server log \\(call ${error.callId}\\)`));
  assert.deepEqual(logged, [{ declaration: "fail", callId: error.callId, error: { type: "TypeError", message: "model exploded" } }]);
});

test("500 with exposeErrors: a user error keeps its type and message, and nothing else", async () => {
  const exposing = createWebHandler(mod.app, { backend, tokens: [TOKEN], syncWindowMs: 2_000, exposeErrors: true });
  const res = await exposing.fetch(new Request("http://t/fail", { method: "POST", body: "{}" }));
  exposing.close();
  assert.equal(res.status, 500);
  const text = await res.text();
  assert.ok(!text.includes(mod.SECRET_VALUE), text);
  assert.ok(!text.includes("GANTRY_FIXTURE_SECRET"), text);
  assert.ok(!text.includes("at "), "no stack");
  const { error } = JSON.parse(text);
  assert.equal(error.type, "TypeError");
  assert.equal(error.message, "model exploded");
  assert.equal(typeof error.callId, "string");
});

test("a spawn failure is 503, not the function's 500", async () => {

  const broken = createWebHandler(mod.app, {
    tokens: [TOKEN],
    backend: { ...backend, spawn: async () => { throw new Error("queue unreachable: arn:aws:sqs:secret"); }, result: backend.result.bind(backend), forward: backend.forward.bind(backend) },
  });
  const res = await broken.fetch(new Request("http://t/health"));
  assert.equal(res.status, 503);
  assert.ok(!(await res.text()).includes("arn:"));
});

test("logs get the request line, status and call id, never the token, the query or an error's secrets", async () => {
  const lines: unknown[] = [];
  const capture = { info: (o: object, m?: string) => lines.push([o, m]), warn: (o: object, m?: string) => lines.push([o, m]), error: (o: object, m?: string) => lines.push([o, m]) };

  const logged = createWebHandler(mod.app, { backend, tokens: [TOKEN], logger: capture });
  await logged.fetch(new Request("http://t/fail", { method: "POST", headers: { authorization: `Bearer ${TOKEN}` } }));
  await logged.fetch(new Request("http://t/search?q=private-query", { headers: { authorization: `Bearer ${TOKEN}` } }));
  const text = JSON.stringify(lines);
  assert.ok(!text.includes(mod.SECRET_VALUE), text);
  assert.ok(!text.includes(TOKEN), text);
  assert.ok(!text.includes("private-query"), text);
  assert.match(text, /"path":"\/fail","status":500/);
  assert.match(text, /"message":"model exploded"/);
});
