/**
 * What `gantry serve` prints when it is ready and after a reload that changed the routes: each
 * route's URL, the docs pages, the token with a curl line ready to paste, and the schedules.
 */
import { describeRoute } from "../web/routes.ts";
import type { AppSpec } from "../../synth/spec.ts";
import type { RouteInfo } from "./protocol.ts";

export interface BannerInput {
  appName: string;
  appFile: string;
  baseUrl: string;
  routes: RouteInfo[];
  spec: AppSpec;
  /** shown in the curl line; null when it came from GANTRY_TOKEN (the line uses the variable) */
  token: string | null;
  schedules: string[];
  watching: number | null;
}

export function routeLines(routes: RouteInfo[], baseUrl: string): string[] {
  if (routes.length === 0) return ["  (no web endpoints: add webEndpoint, webApp or webServer to serve something)"];
  return routes.map((r) => `  ${describeRoute(r, baseUrl)}`);
}

export function banner(b: BannerInput): string {
  const lines = [`gantry serve: ${b.appName} (${b.appFile}) on ${b.baseUrl}`, "", ...routeLines(b.routes, b.baseUrl)];
  if (b.routes.some((r) => r.kind === "endpoint" && r.docs)) {
    lines.push("", `  API docs: ${b.baseUrl}/_gantry/docs  (OpenAPI: ${b.baseUrl}/_gantry/openapi.json)`);
  }
  const anyPrivate = b.routes.some((r) => !r.public);
  if (anyPrivate) {
    lines.push("");
    if (b.token) lines.push(`  token: ${b.token}  (generated for this run; set GANTRY_TOKEN to choose your own)`);
    else lines.push("  token: from GANTRY_TOKEN");
  }
  const example = curlLine(b.routes, b.spec, b.baseUrl, b.token);
  if (example) lines.push(`  try:   ${example}`);
  lines.push("");
  if (b.schedules.length) lines.push("schedules:", ...b.schedules.map((s) => `  ${s}`), "");
  lines.push(b.watching === null
    ? "not watching for changes (--no-watch); Ctrl-C to stop"
    : `watching ${b.watching} file${b.watching === 1 ? "" : "s"} for changes; Ctrl-C to stop`);
  return lines.join("\n") + "\n";
}

/** A curl command for the most telling route: a private endpoint with a body first. */
export function curlLine(routes: RouteInfo[], spec: AppSpec, baseUrl: string, token: string | null): string | null {
  const rank = (r: RouteInfo) => (r.public ? 2 : 0) + (r.kind === "endpoint" && r.method !== "GET" ? 0 : 1);
  const route = [...routes].sort((a, b) => rank(a) - rank(b))[0];
  if (!route) return null;
  const parts = ["curl"];
  if (!route.public) parts.push(`-H "Authorization: Bearer ${token ?? "$GANTRY_TOKEN"}"`);
  let url = `${baseUrl}${route.path}`;
  if (route.kind === "endpoint" && route.method && route.method !== "GET") {
    const body = exampleValue(bodySchemaOf(spec, route.declaration)) ?? {};
    if (route.method !== "POST") parts.push(`-X ${route.method}`);
    parts.push(`-H "Content-Type: application/json"`, `-d '${JSON.stringify(body).replace(/'/g, "'\\''")}'`);
  } else if (route.kind !== "endpoint") url += "/";
  parts.push(url);
  return parts.join(" ");
}

function bodySchemaOf(spec: AppSpec, declaration: string): Record<string, unknown> | null {
  const [owner, method] = declaration.split(".");
  const web = method
    ? spec.classes.find((c) => c.name === owner)?.methods.find((m) => m.name === method)?.web
    : spec.functions.find((f) => f.name === owner)?.web;
  return web?.kind === "endpoint" ? web.bodySchema : null;
}

/** A small value that satisfies a JSON Schema's required parts (a best effort for the curl line). */
export function exampleValue(schema: unknown, depth = 0): unknown {
  if (!schema || typeof schema !== "object" || depth > 6) return undefined;
  const s = schema as Record<string, any>;
  if ("const" in s) return s.const;
  if (Array.isArray(s.enum) && s.enum.length) return s.enum[0];
  if (s.default !== undefined) return s.default;
  if (Array.isArray(s.examples) && s.examples.length) return s.examples[0];
  for (const key of ["anyOf", "oneOf", "allOf"]) if (Array.isArray(s[key]) && s[key].length) return exampleValue(s[key][0], depth + 1);
  const type = Array.isArray(s.type) ? s.type.find((t: string) => t !== "null") : s.type;
  switch (type) {
    case "object": {
      const out: Record<string, unknown> = {};
      for (const name of Array.isArray(s.required) ? s.required : []) out[name] = exampleValue(s.properties?.[name], depth + 1) ?? null;
      return out;
    }
    case "array": {
      const item = exampleValue(s.items, depth + 1);
      return Array.from({ length: Math.max(1, Number(s.minItems) || 0) }, () => item ?? null);
    }
    case "string":
      return "hello".padEnd(Number(s.minLength) || 0, "!").slice(0, typeof s.maxLength === "number" ? Math.max(s.maxLength, 1) : undefined);
    case "integer":
    case "number":
      return typeof s.minimum === "number" ? s.minimum : typeof s.exclusiveMinimum === "number" ? s.exclusiveMinimum + 1 : 1;
    case "boolean":
      return true;
    case "null":
      return null;
  }
  return undefined;
}
