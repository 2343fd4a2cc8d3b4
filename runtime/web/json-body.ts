/**
 * An endpoint's JSON body: UTF-8, valid JSON, and nested at most `maxDepth` levels. The depth is
 * counted on the text before parsing (iteratively, so no input can exhaust the stack here): a
 * deeper value would parse, then fail later where it is serialized for the call, as a 503.
 */
import { errorResponse } from "./http.ts";

/** Deeper than any real request body, far below what the call serializers handle. */
export const DEFAULT_MAX_JSON_DEPTH = 128;

export type JsonBody = { ok: true; value: unknown } | { ok: false; response: Response };

export function parseJsonBody(bytes: Uint8Array, maxDepth = DEFAULT_MAX_JSON_DEPTH): JsonBody {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return invalid("the body is not valid UTF-8");
  }
  if (nestingExceeds(text, maxDepth)) {
    return { ok: false, response: errorResponse(400, "BadRequest", `the body is nested deeper than ${maxDepth} levels`, { maxDepth }) };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    return invalid(e instanceof Error ? e.message : String(e));
  }
}

function invalid(why: string): JsonBody {
  return { ok: false, response: errorResponse(400, "BadRequest", `the body is not valid JSON: ${why}`) };
}

/** Whether arrays and objects in `text` nest deeper than `max` (brackets inside strings do not count). */
export function nestingExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}
