/**
 * HTTP/1.1 message framing at gantry's own listeners (node.ts) and proxy hops (serve/proxy.ts):
 * the headers that say where a body ends, and the answer to a request Node's parser refused.
 *
 * Node's parser (llhttp, strict) refuses every ambiguous framing a desync attack needs: both
 * Content-Length and Transfer-Encoding, repeated or comma-listed lengths, a Transfer-Encoding that
 * does not end in chunked, bare LF line ends, obs-fold. Such a request has no reliable end, so
 * nothing after it on that connection can be trusted: it gets a 400 and the connection is closed.
 */
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";

/** Headers that frame a message on one connection; never copied from one hop to the next. */
export const FRAMING_HEADERS: ReadonlySet<string> = new Set(["content-length", "transfer-encoding"]);

/**
 * What Node's parser lets through but RFC 9112 §6.3 forbids: a Transfer-Encoding whose last coding
 * is not chunked. Node then reads the body until the connection closes; the server must instead
 * answer 400 and close. Null when the framing is sound.
 */
export function framingError(req: IncomingMessage): string | null {
  const te = req.headers["transfer-encoding"];
  if (te === undefined) return null;
  const codings = te.split(",").map((c) => c.trim().toLowerCase());
  return codings[codings.length - 1] === "chunked" ? null : `Transfer-Encoding "${te}" does not end in chunked: the body has no reliable length`;
}

/**
 * Requests whose responses are not finished yet, per connection. A parse error on a pipelined
 * request may arrive while an earlier request's response is still being produced: the error answer
 * must wait for it, or the client would take the 400 for the earlier request.
 */
export class RequestsPerSocket {
  private readonly open = new WeakMap<object, Set<IncomingMessage>>();
  private readonly waiting = new WeakMap<object, () => void>();

  track(req: IncomingMessage, res: ServerResponse): void {
    const socket = req.socket;
    let open = this.open.get(socket);
    if (!open) this.open.set(socket, (open = new Set()));
    open.add(req);
    res.once("close", () => {
      open.delete(req);
      if (open.size === 0) this.waiting.get(socket)?.();
    });
  }

  private readonly refused = new WeakSet<IncomingMessage>();

  /** The request is answered without its body, and its connection closed after (its body is not wanted). */
  refuse(req: IncomingMessage): void {
    this.refused.add(req);
  }

  /** Whether a request still being read is on the socket (a parse error is then inside its body). */
  reading(socket: object): boolean {
    return [...(this.open.get(socket) ?? [])].some((req) => !req.complete && !this.refused.has(req));
  }

  /** Runs `then` once every response on the socket is finished (now, if none is open). */
  whenIdle(socket: object, then: () => void): void {
    if (!this.open.get(socket)?.size) then();
    else this.waiting.set(socket, then);
  }
}

/** The `clientError` handler: a JSON error answer, then the connection closes. */
export function answerClientError(err: NodeJS.ErrnoException, socket: Duplex, perSocket: RequestsPerSocket): void {
  // no more requests are read from this connection: whatever follows the bad one is not trusted
  socket.pause();
  // the error is inside the body of a request being handled: that request can never complete, and
  // an answer now could pass for its own; closing ends it (its handler sees the body fail)
  if (err.code === "ECONNRESET" || !socket.writable || perSocket.reading(socket)) {
    socket.destroy();
    return;
  }
  const status = err.code === "HPE_HEADER_OVERFLOW" ? 431 : err.code === "ERR_HTTP_REQUEST_TIMEOUT" ? 408 : 400;
  const message = status === 431 ? "the request headers are too large"
    : status === 408 ? "the request took too long to arrive"
    : "malformed HTTP request (framing or syntax); the connection is closed";
  const type = status === 431 ? "RequestHeaderFieldsTooLarge" : status === 408 ? "RequestTimeout" : "BadRequest";
  const body = JSON.stringify({ error: { type, message } });
  perSocket.whenIdle(socket, () => {
    if (!socket.writable) return void socket.destroy();
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nconnection: close\r\ncontent-type: application/json; charset=utf-8\r\n` +
      `cache-control: no-store\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      () => socket.destroy(),
    );
  });
}
