// The node:http adapter over real sockets on 127.0.0.1: health routes, streaming limits, redirects,
// methods the fetch API refuses, and a graceful close.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Agent, request as httpRequest } from "node:http";
import { connect } from "node:net";
import { frontDoor, TOKEN } from "./fixtures/harness.ts";
import { listen } from "../../../runtime/web/node.ts";

const { mod, web, backend } = await frontDoor({ maxBodyBytes: 64 * 1024, syncWindowMs: 30 });
const server = await listen(web, { port: 0 });
const auth = { authorization: `Bearer ${TOKEN}` };

/** One raw HTTP exchange; resolves with the status line's code (or the error). */
function raw(payload: string | Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(server.port, "127.0.0.1");
    let text = "";
    socket.on("data", (d) => (text += d.toString("latin1")));
    socket.on("end", () => resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), text }));
    socket.on("error", reject);
    socket.end(payload);
  });
}

test("/livez and /readyz answer without a token", async () => {
  for (const path of ["/livez", "/readyz"]) {
    const res = await fetch(`${server.url}${path}`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: "ok" });
  }
  assert.equal((await fetch(`${server.url}/livez`, { method: "HEAD" })).status, 200);
  assert.equal((await fetch(`${server.url}/livez`, { method: "POST" })).status, 405);
});

test("endpoints over real HTTP: 200, 401, 422, 404", async () => {
  const ok = await fetch(`${server.url}/EmbeddingService/embed`, { method: "POST", headers: auth, body: '{"texts":["abc"]}' });
  assert.equal(ok.status, 200);
  assert.deepEqual(await ok.json(), { embeddings: [[3]], normalized: true });
  assert.equal((await fetch(`${server.url}/EmbeddingService/embed`, { method: "POST", body: "{}" })).status, 401);
  assert.equal((await fetch(`${server.url}/EmbeddingService/embed`, { method: "POST", headers: auth, body: "{}" })).status, 422);
  assert.equal((await fetch(`${server.url}/no/such/thing`)).status, 404);
});

test("413 while streaming: a 5 MB body against a 64 KiB limit, and the connection stays usable", async () => {
  const body = Buffer.alloc(5 * 1024 * 1024, 0x20);
  const res = await fetch(`${server.url}/echo`, { method: "PUT", headers: auth, body });
  assert.equal(res.status, 413);
  assert.equal(((await res.json()) as any).error.type, "PayloadTooLarge");

  // chunked, no Content-Length: only streaming can catch it
  const status = await new Promise<number>((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port: server.port, method: "PUT", path: "/echo", headers: auth }, (r) => {
      r.resume();
      resolve(r.statusCode!);
    });
    req.on("error", reject);
    let sent = 0;
    const pump = () => {
      while (sent < 2 * 1024 * 1024) {
        sent += 16 * 1024;
        if (!req.write(Buffer.alloc(16 * 1024, 0x20))) return void req.once("drain", pump);
      }
      req.end();
    };
    pump();
  });
  assert.equal(status, 413);
  assert.equal((await fetch(`${server.url}/livez`)).status, 200);
});

test("a keep-alive connection survives answers that skip the body (401, 404, 405)", async () => {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const send = (method: string, path: string, body: Buffer | null, headers: Record<string, string> = {}) =>
    new Promise<{ status: number; socket: unknown }>((resolve, reject) => {
      const req = httpRequest({ agent, host: "127.0.0.1", port: server.port, method, path, headers }, (r) => {
        r.resume();
        r.on("end", () => resolve({ status: r.statusCode!, socket: req.socket }));
      });
      req.on("error", reject);
      req.end(body ?? undefined);
    });
  const big = Buffer.alloc(300 * 1024, 0x20);
  const answers = [
    await send("POST", "/nope", big),
    await send("POST", "/EmbeddingService/embed", big),
    await send("POST", "/health", big),
    await send("GET", "/health", null),
  ];
  assert.deepEqual(answers.map((a) => a.status), [404, 401, 405, 200]);
  assert.ok(answers.every((a) => a.socket === answers[0].socket), "one connection carried all four");
  agent.destroy();
});

test("a real client follows the 303 (with its token) to the result", async () => {
  mod.closeGate();
  mod.slowState.runs = 0;
  const pending = fetch(`${server.url}/slow`, { method: "POST", headers: auth, body: '{"n":4}', redirect: "manual" });
  const first = await pending;
  assert.equal(first.status, 303);
  mod.slowState.release();
  const followed = await fetch(new URL(first.headers.get("location")!, server.url), { headers: auth });
  assert.equal(followed.status, 200);
  assert.deepEqual(await followed.json(), { doubled: 8 });
  assert.equal(mod.slowState.runs, 1);
});

test("requests the fetch API cannot express are 4xx, not crashes", async () => {
  assert.equal((await raw("TRACE /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")).status, 405);
  assert.equal((await raw("GET http://other.example/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")).status, 400);
  assert.equal((await raw("GET //health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")).status, 404);
  const badHost = await raw("GET /health HTTP/1.1\r\nHost: a b/c\r\nConnection: close\r\n\r\n");
  assert.ok(badHost.status >= 200 && badHost.status < 500, String(badHost.status));
  assert.equal((await raw("HEAD /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")).status, 405);
});

test("graceful close: an in-flight request finishes, new connections are refused", async () => {
  let entered!: () => void;
  const inHandler = new Promise<void>((r) => (entered = r));
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const s2 = await listen(async () => {
    entered();
    await gate;
    return new Response("done");
  }, { port: 0 });
  const inflight = fetch(`${s2.url}/anything`);
  await inHandler;
  let closed = false;
  const closing = s2.close({ graceMs: 30_000 }).then(() => (closed = true));
  await assert.rejects(fetch(`${s2.url}/livez`), "no new connections");
  assert.equal(closed, false, "close waits for the in-flight request");
  release();
  const res = await inflight;
  assert.equal(res.status, 200);
  assert.equal(await res.text(), "done");
  await closing;
});

test("graceful close: past the grace period, remaining connections are closed", async () => {
  let entered!: () => void;
  const inHandler = new Promise<void>((r) => (entered = r));
  const s2 = await listen(async () => {
    entered();
    return new Promise<Response>(() => {});
  }, { port: 0 });
  const stuck = fetch(`${s2.url}/forever`);
  await inHandler;
  await s2.close({ graceMs: 50 });
  await assert.rejects(stuck);
});

test("an abandoned body past maxDiscardBytes drops the connection; the server stays healthy", async () => {
  const s4 = await listen(web, { port: 0, maxDiscardBytes: 128 * 1024 });
  const outcome = await new Promise<string>((resolve) => {
    const req = httpRequest({ host: "127.0.0.1", port: s4.port, method: "PUT", path: "/echo", headers: auth }, (r) => {
      r.resume();
      resolve(String(r.statusCode));
    });
    req.on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? "error"));
    const chunk = Buffer.alloc(16 * 1024, 0x20);
    let sent = 0;
    const pump = () => {
      while (sent < 8 * 1024 * 1024 && !req.destroyed) {
        sent += chunk.byteLength;
        if (!req.write(chunk)) return void req.once("drain", pump);
      }
      req.end();
    };
    pump();
  });
  assert.ok(["413", "ECONNRESET", "EPIPE"].includes(outcome), outcome);
  assert.equal((await fetch(`${s4.url}/livez`)).status, 200);
  await s4.close();
});

test("/readyz follows the ready check", async () => {
  let ready = false;
  const s3 = await listen(web, { port: 0, ready: () => ready });
  assert.equal((await fetch(`${s3.url}/readyz`)).status, 503);
  assert.equal((await fetch(`${s3.url}/livez`)).status, 200);
  ready = true;
  assert.equal((await fetch(`${s3.url}/readyz`)).status, 200);
  await s3.close();
});

test.after(async () => {
  await server.close({ graceMs: 100 });
  web.close();
  backend.close();
  mod.uiState.server?.close();
});
