/**
 * Forwards a request from the public listener to the current front door over loopback HTTP,
 * streaming both ways: bodies are never buffered here (the front door enforces the size limit as
 * the body streams), and bytes pass unchanged (a compressed response stays compressed).
 */
import { Agent, request as httpRequest, type IncomingMessage } from "node:http";
import { Readable } from "node:stream";

/** Connection-level headers that belong to one hop only (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"]);

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
  const headers: Record<string, string> = {};
  request.headers.forEach((value, name) => {
    if (!HOP_BY_HOP.has(name)) headers[name] = value;
  });
  return new Promise<Response>((resolve, reject) => {
    let answered = false;
    const outgoing = httpRequest({
      agent: upstream.agent,
      host: upstream.url.hostname,
      port: upstream.url.port,
      method: request.method,
      path: url.pathname + url.search,
      headers,
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
    if (request.body) Readable.fromWeb(request.body as import("node:stream/web").ReadableStream).on("error", () => outgoing.destroy()).pipe(outgoing);
    else outgoing.end();
  });
}

function toResponse(incoming: IncomingMessage, method: string): Response {
  const headers = new Headers();
  const raw = incoming.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    if (HOP_BY_HOP.has(name)) continue;
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
