/**
 * OpenAPI 3.1 documents for `docs: true` endpoints, from their routes' body and response JSON Schemas (the
 * spec's `z.toJSONSchema` output; OpenAPI 3.1 schemas are JSON Schema 2020-12, so they embed unchanged). Each
 * body schema goes to `components.schemas`; its `$defs` are hoisted next to it and its `$ref`s
 * rewritten, since inside an OpenAPI document `#` means the document, not the schema.
 */
import type { EndpointRoute } from "./routes.ts";
import type { JsonSchema } from "./schema.ts";

export type OpenApiDocument = Record<string, unknown>;

export function openApiDocument(appName: string, routes: EndpointRoute[], title = appName): OpenApiDocument {
  const paths: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {
    Error: {
      type: "object",
      properties: {
        error: {
          type: "object",
          properties: { type: { type: "string" }, message: { type: "string" } },
          required: ["type", "message"],
        },
      },
      required: ["error"],
    },
    ValidationError: {
      type: "object",
      properties: {
        error: {
          type: "object",
          properties: {
            type: { const: "ValidationError" },
            message: { type: "string" },
            issues: { type: "array", items: { type: "object", properties: { code: { type: "string" }, path: { type: "array", items: { type: ["string", "number"] } }, message: { type: "string" } } } },
          },
          required: ["type", "message", "issues"],
        },
      },
      required: ["error"],
    },
    CallPending: {
      type: "object",
      properties: { callId: { type: "string" }, status: { const: "running" }, location: { type: "string" } },
      required: ["callId", "status", "location"],
    },
  };
  for (const route of [...routes].sort((a, b) => a.path.localeCompare(b.path))) {
    paths[route.path] = { [route.method.toLowerCase()]: operation(route, schemas) };
  }
  return {
    openapi: "3.1.0",
    info: { title, version: "1.0.0", description: `Web endpoints of the gantry app "${appName}".` },
    servers: [{ url: "/" }],
    paths,
    components: {
      schemas,
      securitySchemes: { bearerAuth: { type: "http", scheme: "bearer", description: "the deployment's gantry token" } },
    },
  };
}

function operation(route: EndpointRoute, schemas: Record<string, unknown>): Record<string, unknown> {
  const operationId = route.declaration.replace(/[^A-Za-z0-9_]/g, "_");
  const op: Record<string, unknown> = {
    operationId,
    summary: route.declaration,
    tags: [route.target.name],
    security: route.public ? [] : [{ bearerAuth: [] }],
  };
  const responses: Record<string, unknown> = {
    "200": { description: "the function's return value, as JSON", content: { "application/json": { schema: responseSchema(route, operationId, schemas) } } },
    "303": {
      description: "the call is still running: GET the `Location` URL, which waits again and never re-runs it",
      headers: { Location: { schema: { type: "string" } } },
      content: { "application/json": { schema: ref("CallPending") } },
    },
    "413": errorRef("request body too large"),
    "429": errorRef("the declaration is at capacity; retry later"),
    "500": errorRef("the function raised an error (its type and message)"),
  };
  if (!route.public) responses["401"] = errorRef("missing or invalid bearer token");
  if (route.bodySchema) {
    const name = `${operationId}_${route.method === "GET" ? "Query" : "Body"}`;
    schemas[name] = embed(route.bodySchema, name, schemas);
    responses["422"] = { description: "the arguments failed validation (zod issues)", content: { "application/json": { schema: ref("ValidationError") } } };
    if (route.method === "GET") op.parameters = queryParameters(schemas[name] as JsonSchema);
    else op.requestBody = { required: true, content: { "application/json": { schema: ref(name) } } };
  } else if (route.method !== "GET") {
    op.requestBody = { required: false, content: { "application/json": { schema: {} } } };
  }
  if (route.method !== "GET") responses["400"] = errorRef("the body is not valid JSON");
  op.responses = Object.fromEntries(Object.entries(responses).sort(([a], [b]) => a.localeCompare(b)));
  return op;
}

/** The return value's schema in components (`<operation>_Response`), or `{}` when nothing is known of it. */
function responseSchema(route: EndpointRoute, operationId: string, schemas: Record<string, unknown>): unknown {
  if (!route.responseSchema || Object.keys(route.responseSchema).length === 0) return {};
  const name = `${operationId}_Response`;
  schemas[name] = embed(route.responseSchema, name, schemas);
  return ref(name);
}

function queryParameters(schema: JsonSchema): unknown[] {
  const properties = (schema.properties as Record<string, JsonSchema> | undefined) ?? {};
  const required = new Set((schema.required as string[] | undefined) ?? []);
  return Object.entries(properties).map(([name, s]) => ({
    name, in: "query", required: required.has(name), schema: s,
    ...(s.type === "array" ? { style: "form", explode: true } : {}),
  }));
}

/** Moves `$defs` into components and rewrites refs to them and to the schema's root. */
function embed(schema: JsonSchema, name: string, schemas: Record<string, unknown>): JsonSchema {
  const { $schema: _dialect, $defs, ...rest } = schema;
  const defs = ($defs as Record<string, JsonSchema> | undefined) ?? {};
  const rewrite = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(rewrite);
    if (value === null || typeof value !== "object") return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (k === "$ref" && typeof v === "string") {
        out[k] = v === "#" ? `#/components/schemas/${name}` : v.replace(/^#\/\$defs\//, `#/components/schemas/${name}_`);
      } else out[k] = rewrite(v);
    }
    return out;
  };
  for (const [def, s] of Object.entries(defs)) schemas[`${name}_${def}`] = rewrite(s);
  return rewrite(rest) as JsonSchema;
}

function ref(name: string) {
  return { $ref: `#/components/schemas/${name}` };
}

function errorRef(description: string) {
  return { description, content: { "application/json": { schema: ref("Error") } } };
}
