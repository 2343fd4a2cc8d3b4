/**
 * A GET endpoint's argument is its query string as an object. Query values are strings, so when
 * the endpoint has a schema each value is coerced to what the schema's property expects (number,
 * integer, boolean, null, array) before validation; anything that does not convert is left as
 * the string and validation reports it (422).
 */
import type { JsonSchema } from "./schema.ts";

export function queryArgument(params: URLSearchParams, schema: JsonSchema | null): Record<string, unknown> {
  const properties = (schema?.properties as Record<string, JsonSchema> | undefined) ?? {};
  const out: Record<string, unknown> = Object.create(null);
  for (const key of new Set(params.keys())) {
    const values = params.getAll(key);
    const property = Object.hasOwn(properties, key) ? properties[key] : undefined;
    if (property && acceptsType(property, "array")) {
      const items = (property.items as JsonSchema | undefined) ?? {};
      out[key] = values.map((v) => coerce(v, items));
    } else if (values.length === 1) {
      out[key] = property ? coerce(values[0], property) : values[0];
    } else {
      out[key] = property ? values.map((v) => coerce(v, property)) : values;
    }
  }
  return { ...out };
}

function coerce(value: string, schema: JsonSchema): unknown {
  if (acceptsType(schema, "string")) return value;
  if ((acceptsType(schema, "number") || acceptsType(schema, "integer")) && /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(value)) {
    return Number(value);
  }
  if (acceptsType(schema, "boolean") && (value === "true" || value === "false")) return value === "true";
  if (acceptsType(schema, "null") && value === "null") return null;
  return value;
}

function acceptsType(schema: JsonSchema, type: string): boolean {
  const t = schema.type;
  if (t === type || (Array.isArray(t) && t.includes(type))) return true;
  const alternatives = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  return Array.isArray(alternatives) && alternatives.some((s) => acceptsType(s, type));
}
