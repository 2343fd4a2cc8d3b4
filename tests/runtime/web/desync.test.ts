// Request smuggling at the deployed front doors, with raw TCP sockets where there is a connection:
// the ECS web container (runtime/container/web.ts: runtime/web/node.ts behind the load balancer,
// and for a webServer a second kept-alive hop to the user's server in runtime/web/web-server.ts),
// and the Lambda gateway's event adapter (runtime/web/lambda.ts), whose headers come from API
// Gateway. Every client gets the answers to its own requests; a request hidden in a body never runs.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { pino } from "pino";
import { serveWebUnit } from "../../../runtime/container/web.ts";
import { lambdaHandler } from "../../../runtime/web/lambda.ts";
import { frontDoor, loadFixture, TOKEN } from "./fixtures/harness.ts";
import { rawConnection, rawRequest } from "./fixtures/raw-http.ts";

const mod = await loadFixture();
const log = pino({ level: "silent" });
const publicApp = await serveWebUnit(mod.app, "publicApi", { port: 0, tokens: [TOKEN], log, ready: () => true });
const server = await serveWebUnit(mod.app, "ui", { port: 0, tokens: [TOKEN], log, ready: () => true });
after(async () => {
  await publicApp.close(0);
  await server.close(0);
  mod.uiState.server?.close();
});

const HIDDEN = rawRequest(["GET /ui/smuggled HTTP/1.1", "Host: x", `Authorization: Bearer ${TOKEN}`]);
const AUTH = `Authorization: Bearer ${TOKEN}`;

/** Clients of the webServer unit, each with a GET and a POST on one kept-alive connection: each gets its own answers. */
async function uiClients(count: number): Promise<void> {
  const answers = await Promise.all(Array.from({ length: count }, async (_, i) => {
    const c = await rawConnection(server.listening.port);
    c.write(rawRequest([`GET /ui/client-${i} HTTP/1.1`, "Host: x", AUTH]) + rawRequest([`POST /ui/client-${i}/post HTTP/1.1`, "Host: x", AUTH, "Content-Length: 2"], `${i % 10}!`));
    const got = await c.responses(2);
    c.close();
    return got;
  }));
  for (const [i, got] of answers.entries()) {
    assert.deepEqual(got.map((r) => r.status), [201, 201], `client ${i}`);
    assert.deepEqual(JSON.parse(got[0].body), { method: "GET", url: `/client-${i}`, body: "", auth: null });
    assert.deepEqual(JSON.parse(got[1].body), { method: "POST", url: `/client-${i}/post`, body: `${i % 10}!`, auth: null });
  }
}

test("ECS webApp container: a GET's body is dropped with its length, and the connection goes on with the next request", async () => {
  const c = await rawConnection(publicApp.listening.port);
  c.write(rawRequest(["GET /publicApi/a HTTP/1.1", "Host: x", `Content-Length: ${HIDDEN.length}`], HIDDEN));
  c.write(rawRequest(["GET /publicApi/b HTTP/1.1", "Host: x", "Transfer-Encoding: chunked"], `${HIDDEN.length.toString(16)}\r\n${HIDDEN}\r\n0\r\n\r\n`));
  c.write(rawRequest(["GET /publicApi/c HTTP/1.1", "Host: x"]));
  const got = await c.responses(3);
  assert.deepEqual(got.map((r) => r.body), ["public /a auth=null", "public /b auth=null", "public /c auth=null"]);
  c.close();
});

test("ECS container: ambiguous framing gets 400 and a closed connection, and nothing after it is read", async () => {
  for (const framing of [
    ["Content-Length: 4", "Transfer-Encoding: chunked"], ["Content-Length: 4", "Content-Length: 5"], ["Content-Length: 4", "Content-Length: 4"],
    ["Transfer-Encoding: identity"], ["Transfer-Encoding: gzip"], ["Transfer-Encoding: chunked, gzip"],
  ]) {
    const c = await rawConnection(server.listening.port);
    c.write(rawRequest(["POST /ui/x HTTP/1.1", "Host: x", AUTH, ...framing], `4\r\nabcd\r\n0\r\n\r\n${HIDDEN}`));
    await c.ended;
    const got = await c.responses(2);
    assert.deepEqual(got.map((r) => r.status), [400], framing.join(" | "));
    assert.equal(got[0].headers.connection, "close");
  }
  await uiClients(4);
});

test("ECS container: a chunked body that turns malformed half-way gets 400 and the connection closes", async () => {
  const c = await rawConnection(server.listening.port);
  c.write(rawRequest(["POST /ui/broken HTTP/1.1", "Host: x", AUTH, "Transfer-Encoding: chunked"], "4\r\nabcd\r\n"));
  await new Promise((r) => setTimeout(r, 50));
  c.write(`zz\r\n${HIDDEN}`);
  const got = await c.responses(2);
  assert.ok(c.closed, "the connection was closed");
  // the request's own answer is the 400 (nothing else was written on the connection)
  assert.deepEqual(got.map((r) => r.status), [400]);
  await uiClients(2);
});

test("ECS webServer container: the hop to the user's server carries exactly the requests the client sent", async () => {
  const c = await rawConnection(server.listening.port);
  c.write(rawRequest(["GET /ui/get-with-body HTTP/1.1", "Host: x", AUTH, `Content-Length: ${HIDDEN.length}`], HIDDEN));
  c.write(rawRequest(["POST /ui/chunked HTTP/1.1", "Host: x", AUTH, "Transfer-Encoding: chunked"], "3\r\nabc\r\n0\r\n\r\n"));
  c.write(rawRequest(["DELETE /ui/delete-with-body HTTP/1.1", "Host: x", AUTH, `Content-Length: ${HIDDEN.length}`], HIDDEN));
  c.write(rawRequest(["POST /ui/empty HTTP/1.1", "Host: x", AUTH]));
  const got = await c.responses(4);
  c.close();
  assert.deepEqual(got.map((r) => JSON.parse(r.body)), [
    { method: "GET", url: "/get-with-body", body: "", auth: null },
    { method: "POST", url: "/chunked", body: "abc", auth: null },
    // a DELETE may have a body: it arrives as a body, never as a request
    { method: "DELETE", url: "/delete-with-body", body: HIDDEN, auth: null },
    { method: "POST", url: "/empty", body: "", auth: null },
  ]);
  await Promise.all([uiClients(10), uiClients(10)]);
});

test("ECS container: a repeated Authorization header is not a valid token (it arrives joined)", async () => {
  const c = await rawConnection(server.listening.port);
  c.write(rawRequest(["GET /ui/twice HTTP/1.1", "Host: x", AUTH, AUTH]));
  const [res] = await c.responses(1);
  c.close();
  assert.equal(res.status, 401);
});

test("responses: a body longer or shorter than its Content-Length, or failing part-way, closes the connection instead of running into the next answer", async () => {
  const { listen } = await import("../../../runtime/web/node.ts");
  const lying = await listen((request) => {
    const path = new URL(request.url).pathname;
    if (path === "/long") return new Response("abcdef", { headers: { "content-length": "3" } });
    if (path === "/short") return new Response("ab", { headers: { "content-length": "30" } });
    if (path === "/broken") {
      return new Response(new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode("partial"));
          setTimeout(() => controller.error(new Error("upstream went away")), 20);
        },
      }));
    }
    return new Response(`ok ${path}`);
  }, { port: 0 });
  try {
    for (const path of ["/long", "/short", "/broken"]) {
      const c = await rawConnection(lying.port);
      c.write(rawRequest([`GET ${path} HTTP/1.1`, "Host: x"]) + rawRequest(["GET /next HTTP/1.1", "Host: x"]));
      const got = await c.responses(2);
      await c.ended;
      // never a complete answer built from the wrong bytes, never the next answer read as part of this one
      assert.ok(got.every((r) => r.body !== "abc" && !r.body.includes("ok /next")), `${path}: ${JSON.stringify(got)}`);
      assert.deepEqual(got, [], path);
    }
  } finally {
    await lying.close({ graceMs: 0 });
  }
});

const { web } = await frontDoor();
const lambda = lambdaHandler(web);
after(() => web.close());

function event(method: string, rawPath: string, headers: Record<string, string>, body?: string): APIGatewayProxyEventV2 {
  return {
    version: "2.0", routeKey: "$default", rawPath, rawQueryString: "",
    headers: { host: "abc.execute-api.eu-west-1.amazonaws.com", ...headers },
    requestContext: { http: { method, path: rawPath, protocol: "HTTP/1.1", sourceIp: "1.2.3.4", userAgent: "t" } } as APIGatewayProxyEventV2["requestContext"],
    body, isBase64Encoded: false,
  };
}

test("Lambda gateway: the event's body is the body, whatever the client's framing headers said", async () => {
  const auth = { authorization: `Bearer ${TOKEN}` };
  const body = JSON.stringify({ texts: ["abc"] });
  const framings: Record<string, string>[] = [
    { "content-length": "99999999" }, { "content-length": "1" }, { "content-length": `${body.length}, ${body.length}` },
    { "transfer-encoding": "chunked" }, { "content-length": "4", "transfer-encoding": "chunked" },
  ];
  for (const framing of framings) {
    const res = await lambda(event("POST", "/EmbeddingService/embed", { ...auth, ...framing }, body));
    assert.equal(res.statusCode, 200, JSON.stringify(framing));
    assert.deepEqual(JSON.parse(res.body!), { embeddings: [[3]], normalized: true });
  }
  // a GET with a body: the body is ignored, the query is the input
  const get = await lambda(event("GET", "/health", { "content-length": "5" }, "hello"));
  assert.equal(get.statusCode, 200);
  // API Gateway joins repeated headers with commas: two tokens are not one valid token
  const twice = await lambda(event("POST", "/EmbeddingService/embed", { authorization: `Bearer ${TOKEN}, Bearer ${TOKEN}` }, body));
  assert.equal(twice.statusCode, 401);
});
