/**
 * Body schemas as the front door uses them: JSON Schema (draft 2020-12, input side) from the
 * AppSpec, and the one validator every front door builds from it.
 *
 * Why JSON Schema and not the live zod object: the Lambda gateway never imports user code (a model
 * library in the app must not break the front door), so all it has of a body schema is the spec's
 * JSON Schema. Validating from that same JSON Schema under `gantry serve` and in the ECS service
 * too makes "endpoints answer exactly as deployed" hold by construction: same status, same issues.
 * What JSON Schema cannot carry (a `.refine`, `.transform`, `z.preprocess`: code) is reported by
 * synth at its location (synth/analyze/web.ts), so no schema silently loses a check.
 */
import { z, type ZodType } from "zod";
import { bodyJsonSchema, responseJsonSchema } from "../../synth/analyze/zod.ts";

export type JsonSchema = Record<string, unknown>;

const jsonSchemas = new WeakMap<ZodType, JsonSchema>();

/**
 * The JSON Schema of a zod schema, by synth's rule (`io: "input"`: what a client sends, fields with
 * defaults optional; types JSON Schema cannot express become `{}`). Computed once per schema.
 */
export function inputJsonSchema(schema: ZodType): JsonSchema {
  let out = jsonSchemas.get(schema);
  if (!out) {
    const converted = bodyJsonSchema(schema);
    out = converted.ok ? converted.schema : {};
    jsonSchemas.set(schema, out);
  }
  return out;
}

/** The JSON Schema of what an endpoint returns (`response`), by synth's rule (`io: "output"`). */
export function outputJsonSchema(schema: ZodType): JsonSchema {
  const converted = responseJsonSchema(schema);
  return converted.ok ? converted.schema : {};
}

const validators = new WeakMap<JsonSchema, ZodType>();

/**
 * The validator of a route's body: zod rebuilt from the JSON Schema, so a bad value gets zod's
 * issues (code, path, message) and a good one its parsed value with defaults applied. Built once
 * per schema object.
 */
export function bodyValidator(schema: JsonSchema): ZodType {
  let validator = validators.get(schema);
  if (!validator) {
    validator = z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]);
    validators.set(schema, validator);
  }
  return validator;
}
