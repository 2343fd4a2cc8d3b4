/**
 * Forwards a request from the public listener to the current front door over loopback HTTP,
 * streaming both ways: bodies are never buffered here (the front door enforces the size limit as
 * the body streams), and bytes pass unchanged (a compressed response stays compressed).
 *
 * The upstream connections are kept alive and shared by every client, so the framing of each
 * forwarded request is this module's own, never the client's: a request without a body goes
 * without Content-Length, a body goes with its declared length only when exactly that many bytes
 * are sent (else the connection is destroyed, not reused), and chunked otherwise. A client's
 * framing can therefore never make the front door read one request as part of another
 * (tests/runtime/serve/desync.test.ts).
 */
import { Agent, request as httpRequest, type ClientRequest, type IncomingMessage } from "node:http";
import { Readable } from "node:stream";
import { FRAMING_HEADERS } from "../web/framing.ts";
import { writeChunk } from "../web/http.ts";

/** Connection-level headers that belong to one hop only (RFC 9110 §7.6.1). */
const HOP_BY_HOP = ["connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "te", "trailer", "upgrade"];
/** Not forwarded upstream: hop-by-hop, the client's framing, and `expect` (the listener already answered `100-continue`). */
const REQUEST_DROP = new Set([...HOP_BY_HOP, ...FRAMING_HEADERS, "expect"]);
/** Not passed back: hop-by-hop and the chunking Node undid; a Content-Length stays (node.ts sends exactly it or closes). */
const RESPONSE_DROP = new Set([...HOP_BY_HOP, "transfer-encoding"]);

export class Upstream {
  readonly agent = new Agent({ keepAlive: true });
  constructor(readonly url: URL) {}
  close(): void {
    this.agent.destroy();
  }
}

/** `done` is called once the response body has been passed on (or the exchange failed). */
export function forwardHttp(upstream: Upstream, request: Request, done: () => void): Promise<Response> {
  const url = new URL(request.url);
  const connectionListed = new Set((request.headers.get("connection") ?? "").split(",").map((s) => s.trim().toLowerCase()));
  const headers: Record<string, string> = {};
  request.headers.forEach((value, name) => {
    if (!REQUEST_DROP.has(name) && !connectionListed.has(name)) headers[name] = value;
  });
  const declared = request.headers.get("content-length");
  const length = request.body && declared !== null && /^\d{1,15}$/.test(declared) ? Number(declared) : null;
  if (length !== null) headers["content-length"] = String(length);
  return new Promise<Response>((resolve, reject) => {
    let answered = false;
    const outgoing = httpRequest({
      agent: upstream.agent,
      host: upstream.url.hostname,
      port: upstream.url.port,
      method: request.method,
      path: url.pathname + url.search,
      headers,
      insecureHTTPParser: false,
    }, (incoming) => {
      answered = true;
      incoming.once("close", () => {
        // answered before the whole upload was read (401, 413...): this connection cannot carry
        // another request, so it is closed rather than returned to the pool
        if (!outgoing.writableFinished) outgoing.destroy();
        done();
      });
      resolve(toResponse(incoming, request.method));
    });
    outgoing.on("error", (err) => {
      // after the answer, a write error only means the front door stopped reading an upload it refused
      if (answered) return;
      done();
      reject(err);
    });
    request.signal.addEventListener("abort", () => outgoing.destroy(), { once: true });
    if (request.body) void sendBody(request.body, outgoing, length);
    else outgoing.end();
  });
}

/**
 * Streams the body upstream with backpressure. With a declared length, exactly that many bytes
 * must come (the public listener's parser guarantees it for its own requests; any other Request
 * may lie): more or fewer destroys the upstream connection rather than leave it out of step.
 */
async function sendBody(body: ReadableStream<Uint8Array>, outgoing: ClientRequest, length: number | null): Promise<void> {
  let sent = 0;
  try {
    for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
      if (outgoing.destroyed) return;
      sent += chunk.byteLength;
      if (length !== null && sent > length) throw new Error("the body is longer than its Content-Length");
      await writeChunk(outgoing, chunk);
    }
    if (length !== null && sent !== length) throw new Error("the body is shorter than its Content-Length");
    if (!outgoing.destroyed) outgoing.end();
  } catch {
    outgoing.destroy();
  }
}

function toResponse(incoming: IncomingMessage, method: string): Response {
  const headers = new Headers();
  const raw = incoming.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    if (RESPONSE_DROP.has(name)) continue;
    try {
      headers.append(name, raw[i + 1]);
    } catch {
      // a value the fetch API refuses: drop it
    }
  }
  const status = incoming.statusCode ?? 502;
  const noBody = method === "HEAD" || status === 204 || status === 205 || status === 304 || status < 200;
  if (noBody) {
    incoming.resume();
    return new Response(null, { status: status < 200 ? 502 : status, headers });
  }
  return new Response(Readable.toWeb(incoming) as ReadableStream<Uint8Array>, { status, headers });
}
