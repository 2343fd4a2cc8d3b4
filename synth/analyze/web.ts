/**
 * Web declarations: `webEndpoint(opts, fn)` / `@webEndpoint(opts)` (HTTP method, zod body schema as
 * JSON Schema, response schema, docs, public), `webApp(factory, { public, auth })` and `webServer({ port, startupTimeout }, start)`.
 * Defaults match the sdk: POST, private, no docs, a 5 s startup timeout.
 */
import type { Node } from "ts-morph";
import { HTTP_METHODS, type WebSpec } from "../spec.ts";
import type { Context } from "./context.ts";
import { readBoolean, readInt, readNumber, readObject, readString } from "./read.ts";
import { describeValue, type SValue } from "./values.ts";
import { bodyJsonSchema, isZodSchema, responseJsonSchema, userCodeIn } from "./zod.ts";

type HttpMethod = (typeof HTTP_METHODS)[number];

export function parseWebEndpoint(ctx: Context, options: SValue | undefined, source: Node): WebSpec | undefined {
  const props = options ? readObject(ctx, options, "webEndpoint option", ["method", "body", "response", "docs", "public"]) : new Map();
  if (!props) return undefined;
  let ok = true;
  let method: HttpMethod = "POST";
  const methodProp = props.get("method");
  if (methodProp) {
    const m = readString(ctx, methodProp.value, "the HTTP method");
    if (m === undefined) ok = false;
    else if ((HTTP_METHODS as readonly string[]).includes(m)) method = m as HttpMethod;
    else {
      const upper = m.toUpperCase();
      const hint = (HTTP_METHODS as readonly string[]).includes(upper) ? ` (write "${upper}")` : "";
      ctx.report("GANTRY2000", methodProp.value.node, `"${m}" is not an HTTP method gantry serves${hint}; use one of ${HTTP_METHODS.join(", ")}`);
      ok = false;
    }
  }
  let bodySchema: Record<string, unknown> | null = null;
  const bodyProp = props.get("body");
  if (bodyProp) {
    const schema = readSchema(ctx, bodyProp.value, "body");
    if (schema === undefined) ok = false;
    else bodySchema = schema;
  }
  let responseSchema: Record<string, unknown> | undefined;
  const responseProp = props.get("response");
  if (responseProp) {
    responseSchema = readSchema(ctx, responseProp.value, "response");
    if (responseSchema === undefined) ok = false;
  }
  const docs = readFlag(ctx, props.get("docs")?.value, "docs");
  const isPublic = readFlag(ctx, props.get("public")?.value, "public");
  if (!ok || docs === undefined || isPublic === undefined) return undefined;
  return { kind: "endpoint", method, public: isPublic, docs, bodySchema, ...(responseSchema ? { responseSchema } : {}), source: ctx.location(source) };
}

export function parseWebApp(ctx: Context, options: SValue | null, source: Node): WebSpec | undefined {
  const props = options ? readObject(ctx, options, "webApp option", ["public", "auth"]) : new Map();
  if (!props) return undefined;
  const access = readAccess(ctx, props);
  return access === undefined ? undefined : { kind: "app", ...access, source: ctx.location(source) };
}

export function parseWebServer(ctx: Context, options: SValue | null, source: Node): WebSpec | undefined {
  const props = options ? readObject(ctx, options, "webServer option", ["port", "startupTimeout", "public", "auth"]) : undefined;
  if (!props) return undefined;
  const portProp = props.get("port");
  if (!portProp) {
    ctx.report("GANTRY2000", options!.node, "webServer needs the port the server listens on, e.g. webServer({ port: 8000 }, start)");
    return undefined;
  }
  const port = readInt(ctx, portProp.value, "port", 1, 65535, "GANTRY2000");
  let startupTimeout: number | undefined = 5;
  const timeoutProp = props.get("startupTimeout");
  if (timeoutProp) {
    startupTimeout = readNumber(ctx, timeoutProp.value, "startupTimeout (seconds)");
    if (startupTimeout !== undefined && startupTimeout <= 0) {
      ctx.report("GANTRY2000", timeoutProp.value.node, `startupTimeout must be a positive number of seconds, got ${startupTimeout}`);
      startupTimeout = undefined;
    }
  }
  const access = readAccess(ctx, props);
  if (port === undefined || startupTimeout === undefined || access === undefined) return undefined;
  return { kind: "server", port, startupTimeout, ...access, source: ctx.location(source) };
}

type Props = Map<string, { value: SValue }>;

/**
 * `public` and `auth` of a webApp/webServer. `auth: "app"` delegates auth to the app: gantry checks
 * no token (so the spec says public) and the app sees the Authorization header.
 */
function readAccess(ctx: Context, props: Props): { public: boolean; auth?: "app" } | undefined {
  const isPublic = readFlag(ctx, props.get("public")?.value, "public");
  const authProp = props.get("auth");
  if (!authProp) return isPublic === undefined ? undefined : { public: isPublic };
  const auth = readString(ctx, authProp.value, "auth");
  if (auth === undefined || isPublic === undefined) return undefined;
  if (auth !== "app" && auth !== "gantry") {
    ctx.report("GANTRY2000", authProp.value.node, `auth must be "gantry" (gantry's bearer token, the default) or "app" (the app checks its own callers), got "${auth}"`);
    return undefined;
  }
  if (auth === "gantry") return { public: isPublic };
  if (props.has("public")) {
    ctx.report("GANTRY2000", props.get("public")!.value.node, `auth: "app" already lets every request through to the app; remove public`);
    return undefined;
  }
  return { public: true, auth: "app" };
}

function readFlag(ctx: Context, v: SValue | undefined, what: string): boolean | undefined {
  return v ? readBoolean(ctx, v, what) : false;
}

/**
 * A zod schema, replayed statically and converted to JSON Schema: the body (input side, checked by
 * every front door) or the `response` (output side, for the OpenAPI document only).
 */
function readSchema(ctx: Context, v: SValue, option: "body" | "response"): Record<string, unknown> | undefined {
  if (v.kind === "unknown") return void ctx.reportUnknown(v, `the ${option} schema`);
  if (v.kind !== "zod" || !isZodSchema(v.value)) {
    const example = option === "body" ? "z.object({ text: z.string() })" : "z.object({ id: z.string() })";
    ctx.report("GANTRY2001", v.node, `${option} must be a zod schema, e.g. ${example}, got ${describeValue(v)}`);
    return undefined;
  }
  if (option === "body") {
    // bodies are validated from the JSON Schema alone, the same under `gantry serve` and on AWS
    // (runtime/web/schema.ts): code in the schema would run nowhere, so it is refused where it is
    const uses = userCodeIn(v.value);
    for (const use of uses) ctx.report("GANTRY2001", use.node, userCodeMessage(use.feature));
    if (uses.length) return undefined;
  }
  const r = option === "body" ? bodyJsonSchema(v.value) : responseJsonSchema(v.value);
  if (!r.ok) {
    ctx.report("GANTRY2001", v.node, `the ${option} schema cannot be converted to JSON Schema: ${r.reason}`);
    return undefined;
  }
  return r.schema;
}

const TRANSFORMS = new Set(["transform", "preprocess", "overwrite", "pipe", "catch", "default", "prefault"]);

function userCodeMessage(feature: string): string {
  const what = `\`${feature}(…)\` in a body schema runs your code, which the schema's JSON Schema cannot carry`;
  const why = "web bodies are validated from the JSON Schema alone, the same under `gantry serve` and on AWS, so it would never run";
  return TRANSFORMS.has(feature.replace(/^z?\./, ""))
    ? `${what}: ${why} and the function would get the body before it. Apply it in the function instead`
    : `${what}: ${why}. Check it in the function instead`;
}
