/** The JSON Schema (draft 2020-12, input side) of a zod body schema, computed once per schema. */
import { z, type ZodType } from "zod";

export type JsonSchema = Record<string, unknown>;

const cache = new WeakMap<ZodType, JsonSchema>();

/**
 * `io: "input"`: what a client sends (fields with defaults are optional). Types JSON Schema cannot
 * express (dates, custom refinements' inputs) become `{}` rather than failing the whole document.
 */
export function inputJsonSchema(schema: ZodType): JsonSchema {
  let out = cache.get(schema);
  if (!out) {
    try {
      out = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JsonSchema;
    } catch {
      out = {};
    }
    cache.set(schema, out);
  }
  return out;
}
