// Request smuggling across `gantry serve`'s proxy hop, with raw TCP sockets: the public listener
// (runtime/web/node.ts) forwards every request over kept-alive loopback connections
// (runtime/serve/proxy.ts) to a front door (node.ts again). Whatever a client sends, the front
// door sees exactly the requests the listener saw, and every client gets the answers to its own.
// The first tests build that hop in-process (as server.ts and front-door.ts do); the last one runs
// the real `gantry serve`.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { listen } from "../../../runtime/web/node.ts";
import { forwardHttp, Upstream } from "../../../runtime/serve/proxy.ts";
import { rawConnection, rawRequest } from "../web/fixtures/raw-http.ts";
import { fixtureProject, serveReady, WAIT_MS } from "./harness.ts";

/** what the proxy saw and what reached the front door, as "METHOD /path" */
const proxied: string[] = [];
const reached: string[] = [];
/** the last request that reached the front door with an Authorization header */
const credentials: string[] = [];

// the front door: answers every request with what it received
const door = await listen(async (request) => {
  const url = new URL(request.url);
  const line = `${request.method} ${url.pathname}`;
  reached.push(line);
  const auth = request.headers.get("authorization");
  if (auth) credentials.push(`${line} ${auth}`);
  const body = request.body ? await request.text() : "";
  return Response.json({
    line, body, auth, contentLength: request.headers.get("content-length"), expect: request.headers.get("expect"),
  });
}, { port: 0 });
// one upstream for the whole file: its kept-alive connections are what an attack would poison
const upstream = new Upstream(new URL(door.url));
const proxy = await listen((request) => {
  proxied.push(`${request.method} ${new URL(request.url).pathname}`);
  return forwardHttp(upstream, request, () => {});
}, { port: 0 });
after(async () => {
  upstream.close();
  await proxy.close({ graceMs: 0 });
  await door.close({ graceMs: 0 });
});

const HIDDEN = rawRequest(["GET /smuggled HTTP/1.1", "Host: x"]);

/** Sends `request` on its own connection and expects `n` answers, then checks nothing was smuggled. */
async function send(request: string, n: number) {
  const c = await rawConnection(proxy.port);
  c.write(request);
  const responses = await c.responses(n);
  return { c, responses };
}

/** Requests from other clients after an attack still get their own answers, over the same upstream connections. */
async function victims(count = 6): Promise<void> {
  const answers = await Promise.all(Array.from({ length: count }, async (_, i) => {
    const c = await rawConnection(proxy.port);
    c.write(rawRequest([`GET /victim-${i} HTTP/1.1`, "Host: x", `Authorization: Bearer victim-token-${i}`]));
    const [first] = await c.responses(1);
    // and again on the same (kept-alive) client connection
    c.write(rawRequest([`POST /victim-${i}/again HTTP/1.1`, "Host: x", "Content-Length: 5"], "hello"));
    const [, second] = await c.responses(2);
    c.close();
    return { i, first, second };
  }));
  for (const { i, first, second } of answers) {
    assert.equal(first?.status, 200, `victim ${i} got an answer`);
    assert.equal(JSON.parse(first.body).line, `GET /victim-${i}`, `victim ${i} got its own answer`);
    assert.equal(second?.status, 200, `victim ${i}'s second request got an answer`);
    assert.deepEqual(JSON.parse(second.body), { line: `POST /victim-${i}/again`, body: "hello", auth: null, contentLength: "5", expect: null });
  }
}

/** The invariant: the front door saw exactly what the proxy saw, and nothing hidden. */
function sameRequests(): void {
  assert.deepEqual([...reached].sort(), [...proxied].sort(), "the front door saw exactly the requests the proxy saw");
  assert.ok(!reached.some((l) => l.includes("smuggled")), `nothing hidden ran: ${reached.join(", ")}`);
  assert.ok(credentials.every((c) => /^\S+ \/victim-(\d+) Bearer victim-token-\1$/.test(c)), `no credentials went to another request: ${credentials.join(", ")}`);
}

test("GET with a Content-Length body: the body is dropped, its length is not forwarded, the connection stays usable", async () => {
  const { c, responses } = await send(rawRequest(["GET /a HTTP/1.1", "Host: x", `Content-Length: ${HIDDEN.length}`], HIDDEN), 1);
  assert.equal(responses[0]?.status, 200);
  assert.deepEqual(JSON.parse(responses[0].body), { line: "GET /a", body: "", auth: null, contentLength: null, expect: null });
  // keep-alive reuse after it
  c.write(rawRequest(["GET /a/next HTTP/1.1", "Host: x"]));
  const [, next] = await c.responses(2);
  assert.equal(JSON.parse(next.body).line, "GET /a/next");
  c.close();
  await victims();
  sameRequests();
});

test("GET with a chunked body: dropped too", async () => {
  const chunked = `${HIDDEN.length.toString(16)}\r\n${HIDDEN}\r\n0\r\n\r\n`;
  const { c, responses } = await send(rawRequest(["GET /b HTTP/1.1", "Host: x", "Transfer-Encoding: chunked"], chunked), 1);
  assert.deepEqual(JSON.parse(responses[0].body), { line: "GET /b", body: "", auth: null, contentLength: null, expect: null });
  c.write(rawRequest(["GET /b/next HTTP/1.1", "Host: x"]));
  const [, next] = await c.responses(2);
  assert.equal(JSON.parse(next.body).line, "GET /b/next");
  c.close();
  await victims();
  sameRequests();
});

test("ambiguous framing gets 400 and a closed connection: CL+TE, duplicate and conflicting lengths, bad Transfer-Encoding", async () => {
  const cases = [
    ["Content-Length: 4", "Transfer-Encoding: chunked"],
    ["Transfer-Encoding: chunked", "Content-Length: 4"],
    ["Content-Length: 4", "Content-Length: 4"],
    ["Content-Length: 4", "Content-Length: 40"],
    ["Content-Length: 4, 4"],
    ["Content-Length: +4"],
    ["Content-Length: 0x4"],
    ["Transfer-Encoding: gzip"],
    ["Transfer-Encoding: chunked, gzip"],
    ["Transfer-Encoding: chunked", "Transfer-Encoding: chunked"],
    ["Transfer-Encoding: xchunked"],
    ["Transfer-Encoding : chunked"],
    ["Transfer-Encoding:\tchunked\u000b"],
  ];
  const before = reached.length;
  for (const framing of cases) {
    const { c, responses } = await send(rawRequest(["POST /c HTTP/1.1", "Host: x", ...framing], `4\r\nabcd\r\n0\r\n\r\n${HIDDEN}`), 2);
    await c.ended;
    assert.equal(responses.length, 1, `${framing.join(" | ")}: one answer, then closed`);
    assert.equal(responses[0].status, 400, framing.join(" | "));
    assert.equal(responses[0].headers.connection, "close");
    assert.equal(JSON.parse(responses[0].body).error.type, "BadRequest");
  }
  assert.equal(reached.length, before, "none of them reached the front door");
  await victims();
  sameRequests();
});

test("pipelined requests are answered in order, each with its own answer; a malformed one ends the connection after the earlier answers", async () => {
  const c = await rawConnection(proxy.port);
  c.write(
    rawRequest(["POST /p/1 HTTP/1.1", "Host: x", "Content-Length: 3"], "one") +
    rawRequest(["GET /p/2 HTTP/1.1", "Host: x"]) +
    rawRequest(["POST /p/3 HTTP/1.1", "Host: x", "Transfer-Encoding: chunked"], "5\r\nthree\r\n0\r\n\r\n"),
  );
  const answers = await c.responses(3);
  assert.deepEqual(answers.map((r) => JSON.parse(r.body).line), ["POST /p/1", "GET /p/2", "POST /p/3"]);
  assert.deepEqual(answers.map((r) => JSON.parse(r.body).body), ["one", "", "three"]);
  c.close();

  const d = await rawConnection(proxy.port);
  d.write(
    rawRequest(["POST /q/1 HTTP/1.1", "Host: x", "Content-Length: 3"], "one") +
    rawRequest(["POST /q/2 HTTP/1.1", "Host: x", "Content-Length: 3", "Transfer-Encoding: chunked"], "3\r\ntwo\r\n0\r\n\r\n") +
    rawRequest(["GET /q/3 HTTP/1.1", "Host: x"]),
  );
  await d.ended;
  const got = await d.responses(3);
  assert.deepEqual(got.map((r) => r.status), [200, 400]);
  assert.equal(JSON.parse(got[0].body).line, "POST /q/1");
  assert.ok(!reached.includes("GET /q/3"), "nothing after the malformed request was read");
  await victims();
  sameRequests();
});

test("a request hidden so that it would start right after the proxy's own headers never runs", async () => {
  // The attack of issue 15: a GET whose Content-Length would make the front door swallow exactly
  // the header block of the next request the proxy sends on that connection, and run that
  // request's body (the hidden request) instead. The header block is measured on a capture hop.
  const next = rawRequest(["POST /carrier HTTP/1.1", "Host: x", `Content-Length: ${HIDDEN.length}`], HIDDEN);
  const headerBytes = await proxiedHeaderLength(next);
  for (let attempt = 0; attempt < 5; attempt++) {
    const c = await rawConnection(proxy.port);
    c.write(rawRequest(["GET /bait HTTP/1.1", "Host: x", `Content-Length: ${headerBytes}`], "x".repeat(headerBytes)));
    await c.responses(1);
    c.write(next);
    const [, carried] = await c.responses(2);
    assert.equal(JSON.parse(carried.body).line, "POST /carrier");
    assert.equal(JSON.parse(carried.body).body, HIDDEN, "the hidden request arrived as the body it is");
    c.close();
    await victims(3);
  }
  sameRequests();
});

test("faithful bodies: declared lengths, chunked uploads, a Connection header naming Content-Length, Expect: 100-continue", async () => {
  const { c, responses } = await send(
    rawRequest(["PUT /f/1 HTTP/1.1", "Host: x", "Content-Length: 5", "Connection: keep-alive, content-length"], "hello") +
    rawRequest(["PUT /f/2 HTTP/1.1", "Host: x", "Transfer-Encoding: chunked"], "2\r\nhe\r\n3\r\nllo\r\n0\r\n\r\n") +
    rawRequest(["POST /f/3 HTTP/1.1", "Host: x"]),
    3,
  );
  assert.deepEqual(responses.map((r) => JSON.parse(r.body)), [
    { line: "PUT /f/1", body: "hello", auth: null, contentLength: "5", expect: null },
    { line: "PUT /f/2", body: "hello", auth: null, contentLength: null, expect: null },
    { line: "POST /f/3", body: "", auth: null, contentLength: "0", expect: null },
  ]);
  c.write(rawRequest(["POST /f/4 HTTP/1.1", "Host: x", "Content-Length: 5", "Expect: 100-continue"]));
  c.write("hello");
  const [, , , expected] = await c.responses(4);
  assert.deepEqual(JSON.parse(expected.body), { line: "POST /f/4", body: "hello", auth: null, contentLength: "5", expect: null });
  c.close();
  await victims();
  sameRequests();
});

test("many clients at once after every kind of attack: no answer goes to the wrong client", async () => {
  const attacks = [
    rawRequest(["GET /m HTTP/1.1", "Host: x", `Content-Length: ${HIDDEN.length}`], HIDDEN),
    rawRequest(["POST /m HTTP/1.1", "Host: x", "Content-Length: 4", "Transfer-Encoding: chunked"], `0\r\n\r\n${HIDDEN}`),
    rawRequest(["GET /m HTTP/1.1", "Host: x", "Content-Length: 1", "Content-Length: 60"], HIDDEN),
  ];
  await Promise.all([
    ...attacks.map(async (a) => {
      const { c } = await send(a, 1);
      c.close();
    }),
    victims(20),
  ]);
  await victims(20);
  sameRequests();
});

test("the real gantry serve: a GET with a hidden request in its body, then authenticated clients", { timeout: 180_000 }, async () => {
  const project = fixtureProject();
  const s = await serveReady([project.appFile, "--no-watch"], { SERVE_MARKERS: project.markers });
  try {
    const port = Number(new URL(s.url).port);
    // containers started first, so that the waits below are for answers, not cold starts
    const auth = { authorization: `Bearer ${s.token}` };
    assert.equal((await fetch(`${s.url}/version`, { headers: auth })).status, 200);
    assert.equal((await fetch(`${s.url}/api/hello/warm`, { headers: auth })).status, 200);
    const hidden = rawRequest(["GET /environment HTTP/1.1", "Host: x", `Authorization: Bearer ${s.token}`]);
    for (let attempt = 0; attempt < 3; attempt++) {
      const c = await rawConnection(port);
      // no token needed: a 404 is answered without reading the body
      c.write(rawRequest(["GET /no-such-route HTTP/1.1", "Host: x", `Content-Length: ${hidden.length}`], hidden));
      const [bait] = await c.responses(1);
      assert.equal(bait.status, 404);
      c.close();
      const victims = await Promise.all(Array.from({ length: 4 }, async (_, i) => {
        const v = await rawConnection(port);
        v.write(rawRequest([`GET /version HTTP/1.1`, "Host: x", `Authorization: Bearer ${s.token}`]));
        v.write(rawRequest([`GET /api/hello/victim${i} HTTP/1.1`, "Host: x", `Authorization: Bearer ${s.token}`]));
        const answers = await v.responses(2, WAIT_MS);
        v.close();
        return answers;
      }));
      for (const [i, answers] of victims.entries()) {
        assert.deepEqual(answers.map((r) => r.status), [200, 200]);
        assert.deepEqual(JSON.parse(answers[0].body), { version: "v1" });
        assert.equal(JSON.parse(answers[1].body).hello, `victim${i}`);
      }
    }
    // the front door's access log: the hidden request never ran
    assert.ok(!/\[web\] \S+ \/environment/.test(s.stdout()), s.stdout());
  } finally {
    s.kill();
  }
});

/** How many bytes the proxy's header block for `request` is, measured on a throwaway hop to a raw capture server. */
async function proxiedHeaderLength(request: string): Promise<number> {
  const { createServer } = await import("node:net");
  let captured = "";
  const capture = createServer((socket) => socket.on("data", (d) => {
    captured += d.toString("latin1");
    if (captured.includes("\r\n\r\n")) socket.end("HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
  }));
  await new Promise<void>((r) => capture.listen(0, "127.0.0.1", r));
  const port = (capture.address() as { port: number }).port;
  const side = new Upstream(new URL(`http://127.0.0.1:${port}`));
  // the agent's first connection to a new upstream carries the same headers as any later one
  const hop = await listen((r) => forwardHttp(side, r, () => {}), { port: 0 });
  const c = await rawConnection(hop.port);
  c.write(request);
  await c.responses(1);
  c.close();
  side.close();
  await hop.close({ graceMs: 0 });
  capture.close();
  return captured.indexOf("\r\n\r\n") + 4;
}
