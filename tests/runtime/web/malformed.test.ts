// 200 malformed requests over real HTTP (bad JSON, wrong types, huge bodies, bad auth, bad methods,
// garbage paths and queries): every answer is 4xx, never 5xx, and the server is healthy afterwards.
import { test } from "node:test";
import assert from "node:assert/strict";
import { connect } from "node:net";
import { frontDoor, TOKEN } from "./fixtures/harness.ts";
import { listen } from "../../../runtime/web/node.ts";

const { web, backend, mod } = await frontDoor({ maxBodyBytes: 16 * 1024 });
const server = await listen(web, { port: 0 });

/** Deterministic pseudo-random numbers (mulberry32), so a failure can be replayed. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = rng(20240611);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256)));

type Case = { name: string; raw: Buffer | string } | { name: string; path: string; init: RequestInit };

const auth = { authorization: `Bearer ${TOKEN}` };
const valid = JSON.stringify({ texts: ["hello", "world"], normalize: false });

function rawRequest(method: string, target: string, headers: string[] = [], body: Buffer | string = ""): Buffer {
  const len = Buffer.byteLength(body);
  const head = [`${method} ${target} HTTP/1.1`, "Host: 127.0.0.1", ...headers, `Content-Length: ${len}`, "Connection: close", "", ""].join("\r\n");
  return Buffer.concat([Buffer.from(head, "latin1"), Buffer.from(body)]);
}

function cases(): Case[] {
  const out: Case[] = [];
  const post = (name: string, body: string, headers: Record<string, string> = auth, path = "/EmbeddingService/embed") =>
    out.push({ name, path, init: { method: "POST", headers, body } });

  // bad JSON: truncations of a valid body, random bytes, JSON-ish garbage
  for (let i = 0; i < 30; i++) post(`truncated JSON ${i}`, valid.slice(0, Math.floor(random() * (valid.length - 1))) || "{");
  for (let i = 0; i < 15; i++) post(`random bytes ${i}`, bytes(1 + Math.floor(random() * 300)).toString("latin1").replace(/^[\s\d"\[{tfn-]/, "x"));
  for (const body of ["{'texts':['a']}", "{texts:[\"a\"]}", "[1,2,", "NaN", "undefined", "{\"texts\":[\"a\"],}", "\u00ff\u00fe{}", "{\"a\":\"\\x\"}", "{\"texts\":[\"\\ud800\"]"]) post(`JSON-ish ${body}`, body);

  // wrong types and shapes
  const wrong = [null, 1, "texts", [], [valid], {}, { texts: "a" }, { texts: [1, 2] }, { texts: [] }, { texts: Array(9).fill("a") },
    { texts: ["a"], normalize: "yes" }, { texts: ["a"], normalize: 1 }, { texts: [null] }, { texts: [["a"]] }, { texts: { 0: "a" } },
    { Texts: ["a"] }, { texts: ["a"], normalize: null }, true, { texts: [{}] }, { texts: ["a"], normalize: [] }];
  for (const body of wrong) post(`wrong types ${JSON.stringify(body)}`, JSON.stringify(body));
  for (const q of ["", "?limit=5", "?q=", "?q=a&limit=abc", "?q=a&limit=1e999", "?q=a&limit=51", "?q=a&limit=2.5", "?q=a&exact=maybe", "?q=a&q=b", "?q=a&limit=-"]) {
    out.push({ name: `bad query ${q}`, path: `/search${q}`, init: { headers: auth } });
  }

  // huge bodies, declared and chunked
  for (let i = 0; i < 10; i++) post(`huge body ${i}`, "x".repeat(16 * 1024 + 1 + Math.floor(random() * 400_000)));
  for (let i = 0; i < 5; i++) {
    const size = 20_000 + Math.floor(random() * 200_000);
    out.push({ name: `huge chunked body ${i}`, path: "/EmbeddingService/embed", init: {
      method: "POST", headers: auth,
      body: new ReadableStream({ start(c) { c.enqueue(new Uint8Array(size).fill(0x7b)); c.close(); } }),
      duplex: "half",
    } as RequestInit });
  }
  for (let i = 0; i < 3; i++) post(`huge body to a mount ${i}`, "y".repeat(17 * 1024 + i), auth, "/api/inspect");

  // bad auth
  const badAuth = ["", "Bearer", "Bearer ", `bearer${TOKEN}`, `Bearer ${TOKEN} extra`, `Basic ${Buffer.from(`u:${TOKEN}`).toString("base64")}`,
    `Bearer ${TOKEN.slice(1)}`, `Bearer ${TOKEN}\u00e9`, "Bearer \u00ff\u00ff", `Token ${TOKEN}`, `Bearer ${"a".repeat(4000)}`, `${TOKEN}`];
  for (const header of badAuth) {
    out.push({ name: `bad auth ${header.slice(0, 20)}`, raw: rawRequest("POST", "/EmbeddingService/embed", header ? [`Authorization: ${header}`] : [], valid) });
  }
  for (const path of ["/api", "/api/greet/x", "/search?q=a", "/_gantry/calls/x?ticket=y", "/slow"]) {
    out.push({ name: `no token ${path}`, path, init: { headers: { authorization: "Bearer nope" } } });
  }

  // bad methods
  for (const [method, path] of [["GET", "/EmbeddingService/embed"], ["PUT", "/EmbeddingService/embed"], ["DELETE", "/health"], ["PATCH", "/search"],
    ["OPTIONS", "/EmbeddingService/embed"], ["POST", "/health"], ["HEAD", "/EmbeddingService/embed"], ["PROPFIND", "/health"], ["TRACE", "/health"],
    ["MKCOL", "/search"], ["POST", "/_gantry/docs"], ["DELETE", "/_gantry/assets/swagger-ui.css"], ["PUT", "/search/openapi.json"], ["GET", "/echo"]] as const) {
    out.push({ name: `method ${method} ${path}`, raw: rawRequest(method, path, [`Authorization: Bearer ${TOKEN}`]) });
  }

  // garbage paths and targets
  const garbage = ["/%", "/%zz", "/%E0%A4%A", "/..", "/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/EmbeddingService/embed/../../../x",
    "/EmbeddingService%2Fembed", "/health%00", "/%00", "/\u00e9", "/a".repeat(1500), `/${"x".repeat(6000)}`, "/_gantry", "/_gantry/",
    "/_gantry/calls", "/_gantry/calls/", "/_gantry/calls/%", "/_gantry/calls/a/b", "/_gantry/assets/../../package.json", "/_gantry/assets/%2e%2e%2fpackage.json",
    "/_gantry/assets/", "/livez/x", "/health/openapi.json", "/EmbeddingService", "/EmbeddingService/", "/EmbeddingService/embed/docs/x",
    "/docs", "/openapi.json", "/;", "/health;x", "/api/%", "/api/greet", "/api/nope/%E0", "///", "/./././x", "/search/docs/openapi.json"];
  for (const path of garbage) out.push({ name: `path ${path.slice(0, 30)}`, raw: rawRequest("GET", path, [`Authorization: Bearer ${TOKEN}`]) });
  for (let i = 0; i < 8; i++) {
    const path = "/" + bytes(5 + Math.floor(random() * 40)).toString("base64").replace(/[+=]/g, "%");
    out.push({ name: `random path ${i}`, raw: rawRequest(pick(["GET", "POST", "PUT"]), path, [`Authorization: Bearer ${TOKEN}`]) });
  }
  for (const target of ["*", "http://evil.example/health", "health", "//evil.example/health"]) {
    out.push({ name: `target ${target}`, raw: rawRequest("GET", target) });
  }
  const ticketGarbage = ["/_gantry/calls/in-123?ticket=", "/_gantry/calls/in-123?ticket=%ff", "/_gantry/calls/%ff?ticket=a", `/_gantry/calls/${"z".repeat(500)}?ticket=${"q".repeat(500)}`];
  for (const path of ticketGarbage) out.push({ name: `ticket ${path.slice(0, 30)}`, raw: rawRequest("GET", path, [`Authorization: Bearer ${TOKEN}`]) });

  // broken framing: lying Content-Length, bad chunk sizes, bad header syntax
  out.push({ name: "content-length too short", raw: `POST /EmbeddingService/embed HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Length: 3\r\nConnection: close\r\n\r\n${valid}` });
  out.push({ name: "bad chunk size", raw: `POST /EmbeddingService/embed HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\nabc\r\n0\r\n\r\n` });
  out.push({ name: "both lengths", raw: `POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n` });
  out.push({ name: "header without colon", raw: `GET /health HTTP/1.1\r\nHost: x\r\nNoColonHere\r\nConnection: close\r\n\r\n` });
  out.push({ name: "non-numeric length", raw: `POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\nConnection: close\r\n\r\n` });
  out.push({ name: "huge header", raw: `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${"b".repeat(70_000)}\r\nConnection: close\r\n\r\n` });
  // random garbage paths up to 200 cases
  while (out.length < 199) {
    const path = "/" + bytes(5 + Math.floor(random() * 40)).toString("base64").replace(/[+=]/g, "%");
    out.push({ name: `random path ${out.length}`, raw: rawRequest(pick(["GET", "POST", "PUT", "DELETE"]), path, [`Authorization: Bearer ${TOKEN}`]) });
  }
  out.push({ name: "bad content type", path: "/EmbeddingService/embed", init: { method: "POST", headers: { ...auth, "content-type": "multipart/form-data; boundary=x" }, body: "--x\r\n\r\nhi\r\n--x--" } });
  return out;
}

/** Status of one raw exchange: 0 when the server closed without answering. */
function sendRaw(payload: Buffer | string): Promise<number> {
  return new Promise((resolve) => {
    const socket = connect(server.port, "127.0.0.1");
    let text = "";
    socket.on("data", (d) => (text += d.toString("latin1")));
    socket.on("close", () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0)));
    socket.on("error", () => {});
    socket.end(payload);
  });
}

async function send(c: Case): Promise<number> {
  if ("raw" in c) return sendRaw(c.raw);
  try {
    const res = await fetch(`${server.url}${c.path}`, { ...c.init, redirect: "manual" });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

test("200 malformed requests get 4xx answers, never 5xx; the server stays healthy", async () => {
  const all = cases();
  assert.equal(all.length, 200);
  const results: { name: string; status: number }[] = [];
  for (let i = 0; i < all.length; i += 8) {
    const batch = all.slice(i, i + 8);
    const statuses = await Promise.all(batch.map(send));
    batch.forEach((c, j) => results.push({ name: c.name, status: statuses[j] }));
  }
  const bad = results.filter((r) => r.status < 400 || r.status >= 500);
  assert.deepEqual(bad, [], "every malformed request is answered with a 4xx");
  assert.equal(backend.spawned.get("EmbeddingService.embed") ?? 0, 0, "no malformed request reached the function");

  const live = await fetch(`${server.url}/livez`);
  assert.equal(live.status, 200);
  const ok = await fetch(`${server.url}/EmbeddingService/embed`, { method: "POST", headers: auth, body: valid });
  assert.equal(ok.status, 200);
  assert.deepEqual(await ok.json(), { embeddings: [[5], [5]], normalized: false });
  assert.equal((await fetch(`${server.url}/api/greet/again`, { headers: auth })).status, 200);
});

test.after(async () => {
  await server.close({ graceMs: 100 });
  web.close();
  backend.close();
  mod.uiState.server?.close();
});
