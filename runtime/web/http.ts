/** Small response helpers and the size-limited body reader shared by the web layer. */
import type { Writable } from "node:stream";

/** Writes a chunk; when the stream's buffer is full, waits until it drains (or closes). */
export async function writeChunk(stream: Writable, chunk: Uint8Array): Promise<void> {
  if (stream.write(chunk)) return;
  await new Promise<void>((resolve) => {
    const go = () => {
      stream.off("drain", go);
      stream.off("close", go);
      resolve();
    };
    stream.on("drain", go);
    stream.on("close", go);
  });
}

/** Every error the web layer answers has this body: `{ "error": { "type", "message", ... } }`. */
export function errorResponse(status: number, type: string, message: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}): Response {
  return json(status, { error: { type, message, ...extra } }, headers);
}

export function json(status: number, value: unknown, headers: Record<string, string> = {}): Response {
  const h = new Headers(headers);
  h.set("content-type", "application/json; charset=utf-8");
  h.set("cache-control", "no-store");
  return new Response(stringify(value), { status, headers: h });
}

/** JSON.stringify that survives what functions commonly return (bigint, undefined). */
export function stringify(value: unknown): string {
  return JSON.stringify(value, (_key, v) => (typeof v === "bigint" ? v.toString() : v)) ?? "null";
}

export type BodyResult =
  | { ok: true; bytes: Uint8Array }
  | { ok: false; response: Response };

/**
 * Reads a request body up to `limit` bytes, counting while it streams: a body over the limit is
 * cancelled as soon as it crosses it (or before reading, when Content-Length already says so).
 */
export async function readBody(request: Request, limit: number): Promise<BodyResult> {
  const tooLarge = () => ({ ok: false as const, response: errorResponse(413, "PayloadTooLarge", `request body is larger than ${limit} bytes`, { limit }) });
  const declared = request.headers.get("content-length");
  if (declared !== null && /^\d+$/.test(declared) && Number(declared) > limit) {
    await request.body?.cancel().catch(() => {});
    return tooLarge();
  }
  if (!request.body) return { ok: true, bytes: new Uint8Array(0) };
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > limit) {
        await reader.cancel().catch(() => {});
        return tooLarge();
      }
      chunks.push(value);
    }
  } catch {
    return { ok: false, response: errorResponse(400, "BadRequest", "the request body could not be read") };
  }
  return { ok: true, bytes: concat(chunks, total) };
}

export function concat(chunks: Uint8Array[], total = chunks.reduce((n, c) => n + c.byteLength, 0)): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}

export function methodNotAllowed(allow: string[]): Response {
  return errorResponse(405, "MethodNotAllowed", `method not allowed; use ${allow.join(", ")}`, {}, { allow: allow.join(", ") });
}

export function notFound(): Response {
  return errorResponse(404, "NotFound", "no such route");
}
