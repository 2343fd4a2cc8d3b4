/**
 * Bearer-token auth. Tokens are compared in constant time: both sides are hashed to 32 bytes first,
 * so neither the content nor the length of a configured token leaks through timing, and every
 * configured token is compared (no early exit).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { errorResponse } from "./http.ts";

export interface TokenCheck {
  /** null when the request may go on, else the 401 to answer */
  (request: Request): Response | null;
}

export function bearerAuth(tokens: readonly string[], realm = "gantry"): TokenCheck {
  const digests = tokens.filter((t) => t.length > 0).map(digest);
  return (request) => {
    const header = request.headers.get("authorization");
    const match = header === null ? null : /^bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
    if (!match) {
      return unauthorized(`Bearer realm="${realm}"`, "this endpoint needs `Authorization: Bearer <token>`");
    }
    const given = digest(match[1]);
    let ok = false;
    for (const d of digests) ok = timingSafeEqual(d, given) || ok;
    return ok ? null : unauthorized(`Bearer realm="${realm}", error="invalid_token"`, "the bearer token is not valid");
  };
}

function unauthorized(challenge: string, message: string): Response {
  return errorResponse(401, "Unauthorized", message, {}, { "www-authenticate": challenge });
}

function digest(token: string): Buffer {
  return createHash("sha256").update(token, "utf8").digest();
}

/** Constant-time equality of two strings (used for result-URL tickets too). */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}
