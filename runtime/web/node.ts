/**
 * node:http adapter: serves a fetch handler on a port, with `/livez` and `/readyz`, and a graceful
 * close that stops accepting, lets in-flight requests finish within a grace period, then closes.
 *
 * Request bodies are streamed to the handler, never buffered here. When the handler stops reading
 * (413), the rest of the body is read and discarded so the client still gets the answer on a
 * healthy connection; past `maxDiscardBytes` the connection is dropped.
 *
 * Framing (request smuggling): Node's strict parser (llhttp, `insecureHTTPParser` forced off)
 * already refuses Content-Length with Transfer-Encoding, repeated or listed lengths and malformed
 * chunking; those connections get a JSON 400 and are closed (framing.ts). What this adapter adds:
 * a Transfer-Encoding that does not end in chunked (which Node reads until close) is a 400 too; the
 * Request a handler sees describes the body it really gets (a GET's body is read and dropped, so
 * its Content-Length is dropped too); and a response is never sent with a length it does not have
 * (a short or long body, or one that fails part-way, closes the connection).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { answerClientError, FRAMING_HEADERS, framingError, RequestsPerSocket } from "./framing.ts";
import { healthResponse, type ReadyCheck } from "./health.ts";
import { writeChunk } from "./http.ts";

export type FetchHandler = (request: Request) => Promise<Response> | Response;

export interface ListenOptions {
  /** 0 picks a free port (default 8000) */
  port?: number;
  /** default 127.0.0.1; "0.0.0.0" in a container */
  host?: string;
  /** extra readiness for /readyz (e.g. the backend is reachable) */
  ready?: ReadyCheck;
  /** bytes of an abandoned request body read and discarded before dropping the connection (default 16 MiB) */
  maxDiscardBytes?: number;
}

export interface Listening {
  readonly url: string;
  readonly port: number;
  readonly server: Server;
  /** stop accepting; in-flight requests get `graceMs` (default 10 s) to finish, then connections close */
  close(options?: { graceMs?: number }): Promise<void>;
}

export async function listen(handler: FetchHandler | { fetch: FetchHandler }, options: ListenOptions = {}): Promise<Listening> {
  const fetchHandler: FetchHandler = typeof handler === "function" ? handler : (r) => handler.fetch(r);
  const host = options.host ?? "127.0.0.1";
  const maxDiscard = options.maxDiscardBytes ?? 16 * 1024 * 1024;
  let draining = false;
  let active = 0;
  let idle: (() => void) | null = null;

  const ready: ReadyCheck = async () => !draining && (options.ready ? await options.ready() : true);

  const perSocket = new RequestsPerSocket();
  const server = createServer({ insecureHTTPParser: false }, (req, res) => {
    perSocket.track(req, res);
    active++;
    res.on("close", () => {
      active--;
      if (active === 0) idle?.();
    });
    if (draining) res.setHeader("connection", "close");
    void serve(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" }).end('{"error":{"type":"InternalError","message":"internal error"}}');
      else res.destroy();
    });
  });

  server.on("clientError", (err: NodeJS.ErrnoException, socket) => answerClientError(err, socket, perSocket));

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const framing = framingError(req);
    if (framing) {
      // nothing on this connection after this request can be told apart from its body
      perSocket.refuse(req);
      res.setHeader("connection", "close");
      res.once("finish", () => req.socket.destroy());
      return send(req, res, plain(400, framing));
    }
    const body = new BodyStream(req, res, maxDiscard);
    const built = toRequest(req, res, body);
    if (built instanceof Response) {
      body.abandon();
      return send(req, res, built);
    }
    const path = new URL(built.url).pathname;
    const response = (await healthResponse(built, path, ready)) ?? (await fetchHandler(built));
    // answered without reading the whole body (401, 404, 413...): drain the rest so a
    // keep-alive connection can carry the next request
    if (!req.complete) body.abandon();
    await send(req, res, response);
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 8000, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(":") ? `[${host}]` : host === "0.0.0.0" ? "127.0.0.1" : host;

  return {
    url: `http://${urlHost}:${port}`,
    port,
    server,
    async close({ graceMs = 10_000 } = {}) {
      draining = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (active > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, graceMs);
          idle = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      server.closeAllConnections();
      await closed;
    },
  };
}

function toRequest(req: IncomingMessage, res: ServerResponse, body: BodyStream): Request | Response {
  const target = req.url ?? "/";
  // origin-form only ("/path?query"); "*" and absolute-form are for proxies
  if (!target.startsWith("/")) return plain(400, "request target must be a path");
  const hostHeader = req.headers.host ?? "";
  const host = /^[A-Za-z0-9.\-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/.test(hostHeader) ? hostHeader : "localhost";
  let url: URL;
  try {
    url = new URL(`http://${host}${target}`);
  } catch {
    return plain(400, "malformed request target");
  }
  const method = req.method ?? "GET";
  // the fetch API cannot give a GET or HEAD a body: it is read and dropped, and so are the headers
  // that frame it (a proxy passing them on without the body would desync its next hop)
  const bodyAllowed = method !== "GET" && method !== "HEAD";
  // without either framing header a request has no body (RFC 9112 §6.3)
  const hasBody = bodyAllowed && (req.headers["content-length"] !== undefined || req.headers["transfer-encoding"] !== undefined);
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    if (!bodyAllowed && FRAMING_HEADERS.has(req.rawHeaders[i].toLowerCase())) continue;
    try {
      headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
    } catch {
      // a header the fetch API refuses: skip it
    }
  }
  const controller = new AbortController();
  res.on("close", () => {
    if (!res.writableFinished) controller.abort();
  });
  try {
    return new Request(url, {
      method,
      headers,
      body: hasBody ? body.stream() : null,
      signal: controller.signal,
      duplex: "half", // Node's fetch needs it for streamed bodies
    });
  } catch {
    // methods the fetch API forbids (CONNECT, TRACE, TRACK)
    return plain(405, "method not allowed");
  }
}

/**
 * A pull-based stream over the request: data is read only as fast as the handler consumes it.
 * `abandon()` (or the handler cancelling the stream) switches to reading and discarding, up to
 * `maxDiscard` bytes, after which the connection is closed once the answer is out.
 */
class BodyStream {
  private open = true;
  private discarding = false;

  constructor(private readonly req: IncomingMessage, private readonly res: ServerResponse, private readonly maxDiscard: number) {}

  stream(): ReadableStream<Uint8Array> {
    const req = this.req;
    return new ReadableStream<Uint8Array>({
      start: (controller) => {
        req.on("data", (chunk: Buffer) => {
          if (!this.open) return;
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          if ((controller.desiredSize ?? 0) <= 0) req.pause();
        });
        req.on("end", () => {
          if (this.open) controller.close();
          this.open = false;
        });
        req.on("error", (e) => {
          if (this.open) controller.error(e);
          this.open = false;
        });
        req.pause();
      },
      pull: () => void req.resume(),
      cancel: () => this.abandon(),
    }, { highWaterMark: 4 });
  }

  abandon(): void {
    this.open = false;
    if (this.discarding || this.req.complete) return;
    this.discarding = true;
    const { req, res } = this;
    let discarded = 0;
    req.on("data", (chunk: Buffer) => {
      discarded += chunk.byteLength;
      if (discarded <= this.maxDiscard) return;
      req.pause();
      // keep the answer if it is on its way; close once it is sent
      if (res.writableFinished) req.socket.destroy();
      else {
        if (!res.headersSent) res.setHeader("connection", "close");
        res.once("finish", () => req.socket.destroy());
      }
    });
    req.resume();
  }
}

async function send(req: IncomingMessage, res: ServerResponse, response: Response): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    // this connection's framing and lifetime are Node's to set, not the handler's
    if (name !== "set-cookie" && name !== "transfer-encoding" && name !== "connection" && name !== "keep-alive") headers[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length) headers["set-cookie"] = cookies;
  if (res.getHeader("connection")) headers.connection = String(res.getHeader("connection"));
  // a body that does not match its Content-Length makes Node throw instead of sending it: the
  // connection is then closed, so the client cannot read the next response as part of this one
  res.strictContentLength = true;
  res.writeHead(response.status, headers);
  if (!response.body || req.method === "HEAD") {
    await response.body?.cancel().catch(() => {});
    endOrDrop(res);
    return;
  }
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      if (res.destroyed) break;
      await writeChunk(res, chunk);
    }
  } catch {
    // the body failed part-way (an upstream went away) or is longer than its Content-Length: the
    // response cannot be completed, and ending it normally would tell the client it was
    res.destroy();
    return;
  }
  endOrDrop(res);
}

/** Ends the response, or closes the connection when what was sent is not what was announced. */
function endOrDrop(res: ServerResponse): void {
  try {
    res.end();
  } catch {
    res.destroy();
  }
}

function plain(status: number, message: string): Response {
  return new Response(JSON.stringify({ error: { type: status === 405 ? "MethodNotAllowed" : "BadRequest", message } }), {
    status,
    headers: { "content-type": "application/json; charset=utf-8" },
  });
}
