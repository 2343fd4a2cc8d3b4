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
  private readonly open = new WeakMap<object, Map<IncomingMessage, ServerResponse>>();
  private readonly waiting = new WeakMap<object, () => void>();
  private readonly refused = new WeakSet<IncomingMessage>();

  track(req: IncomingMessage, res: ServerResponse): void {
    const socket = req.socket;
    let open = this.open.get(socket);
    if (!open) this.open.set(socket, (open = new Map()));
    open.set(req, res);
    res.once("close", () => {
      open.delete(req);
      if (open.size === 0) this.waiting.get(socket)?.();
    });
  }

  /** The request is answered without its body, and its connection closed after (its body is not wanted). */
  refuse(req: IncomingMessage): void {
    this.refused.add(req);
  }

  /**
   * Where a parse error on the socket stands: "between" requests (every open one was read whole),
   * "in-body" of the only open request, whose answer has not started (the 400 can be its answer), or
   * "in-body-busy" (an answer is under way, or earlier ones are pending: nothing can be written).
   */
  errorPosition(socket: object): "between" | "in-body" | "in-body-busy" {
    const open = [...(this.open.get(socket) ?? [])];
    const reading = open.some(([req]) => !req.complete && !this.refused.has(req));
    if (!reading) return "between";
    return open.length === 1 && !open[0][1].headersSent ? "in-body" : "in-body-busy";
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
  const position = perSocket.errorPosition(socket);
  // inside the body of a request whose answer is under way (or behind others): nothing written now
  // could be told apart from those answers; closing ends it (its handler sees the body fail)
  if (err.code === "ECONNRESET" || !socket.writable || position === "in-body-busy") {
    socket.destroy();
    return;
  }
  const status = err.code === "HPE_HEADER_OVERFLOW" ? 431 : err.code === "ERR_HTTP_REQUEST_TIMEOUT" ? 408 : 400;
  const message = status === 431 ? "the request headers are too large"
    : status === 408 ? "the request took too long to arrive"
    : "malformed HTTP request (framing or syntax); the connection is closed";
  const type = status === 431 ? "RequestHeaderFieldsTooLarge" : status === 408 ? "RequestTimeout" : "BadRequest";
  const body = JSON.stringify({ error: { type, message } });
  const answer = () => {
    if (!socket.writable) return void socket.destroy();
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nconnection: close\r\ncontent-type: application/json; charset=utf-8\r\n` +
      `cache-control: no-store\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      () => socket.destroy(),
    );
  };
  // in the body of the request being read, before its answer started: the 400 is its answer (the
  // handler's own is dropped with the connection); between requests: after the earlier answers
  if (position === "in-body") answer();
  else perSocket.whenIdle(socket, answer);
}
