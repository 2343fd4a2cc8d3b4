/**
 * The route model: what each web declaration of an app serves, where, and with which limits.
 *
 *   function with webEndpoint        /<functionName>                   (exact path)
 *   class method with @webEndpoint   /<ClassName>/<method>             (exact path)
 *   function with webApp/webServer   /<functionName> and /<functionName>/...  (prefix stripped)
 *   endpoint with docs: true         /<endpoint path>/docs, /<endpoint path>/openapi.json
 *   every docs: true endpoint        /_gantry/docs, /_gantry/openapi.json
 *   result of a call past the window /_gantry/calls/<callId>?ticket=...
 *   health (server adapter)          /livez, /readyz
 *
 * Names are case-sensitive. `_gantry`, `livez` and `readyz` are reserved first segments.
 *
 * A route is plain data (JSON-serializable), built from the AppSpec by `routesOfSpec`: `gantry
 * serve`, the ECS web service and the Lambda gateway all serve these routes, and a body is
 * validated from the route's JSON Schema (schema.ts `bodyValidator`), never from a live zod
 * object, so every front door answers a body the same way. `webRoutes(app)` builds the same
 * routes from imported code, for processes that have the code but no spec (a container, tests);
 * its body schemas go through the same zod -> JSON Schema conversion as synth's
 * (synth/analyze/zod.ts `bodyJsonSchema`), and a test holds the two builders equal. What only
 * types say (a GET endpoint's query parameters, a response schema from the return type) is known
 * to the spec's builder alone.
 */
import type { App } from "../../sdk/app.ts";
import type { HttpMethod, WebMarker } from "../../sdk/web.ts";
import { describeClass } from "../../sdk/registry.ts";
import type { AppSpec, DeclarationOptions, WebSpec } from "../../synth/spec.ts";
import type { CallTarget } from "./backend.ts";
import { inputJsonSchema, outputJsonSchema, type JsonSchema } from "./schema.ts";

export const RESERVED_SEGMENTS = ["_gantry", "livez", "readyz"] as const;

/** Seconds per attempt when code sets no `timeout` (the spec's default). */
const DEFAULT_TIMEOUT_S = 300;

interface RouteBase {
  /** "/health", "/EmbeddingService/embed", "/api" */
  path: string;
  /** "health" or "EmbeddingService.embed": how errors and logs name it */
  declaration: string;
  /** the unit whose containers serve it: the function or class name (the base declaration, not a variant) */
  unit: string;
  target: CallTarget;
  public: boolean;
  /** from the declaration's options, for the default capacity and call tracking */
  limits: RouteLimits;
}

export interface RouteLimits {
  /** null: unbounded */
  maxContainers: number | null;
  /** inputs per container (`@concurrent`), 1 without it */
  maxInputs: number;
  /** seconds per attempt */
  timeout: number;
  retries: number;
}

export interface EndpointRoute extends RouteBase {
  kind: "endpoint";
  method: HttpMethod;
  /** JSON Schema (draft 2020-12, input side) of the body or query; null without a body schema */
  bodySchema: JsonSchema | null;
  /** GET: the query keys passed as separate arguments, in order; absent: the query object is the one argument */
  queryParams?: string[];
  /** JSON Schema (output side) of the return value, for the OpenAPI 200 response; absent when unknown */
  responseSchema?: JsonSchema;
  docs: boolean;
}

export interface MountRoute extends RouteBase {
  /** "app": webApp, "server": webServer; both forwarded whole to the container */
  kind: "app" | "server";
  /** "app": the app checks its own callers (`public` is true: gantry checks no token); absent: gantry's token unless public */
  auth?: "app";
}

export type WebRoute = EndpointRoute | MountRoute;

export class WebRouteError extends Error {
  override name = "WebRouteError";
}

export function functionPath(name: string): string {
  return `/${name}`;
}

export function methodPath(className: string, method: string): string {
  return `/${className}/${method}`;
}

/** What a route needs to know of its declaration's web options, from the spec or from code. */
type WebOf = { kind: "endpoint"; method: HttpMethod; public: boolean; docs: boolean; bodySchema: JsonSchema | null; queryParams?: string[]; responseSchema?: JsonSchema }
  | { kind: "app" | "server"; public: boolean; auth?: "app" };

function route(web: WebOf, path: string, declaration: string, target: CallTarget, limits: RouteLimits): WebRoute {
  const base = { path, declaration, unit: target.name, target, public: web.public, limits };
  if (web.kind === "endpoint") {
    const { method, bodySchema, queryParams, responseSchema, docs } = web;
    return { kind: "endpoint", ...base, method, bodySchema, ...(queryParams ? { queryParams } : {}), ...(responseSchema ? { responseSchema } : {}), docs };
  }
  return { kind: web.kind, ...base, ...(web.auth === "app" ? { auth: "app" as const } : {}) };
}

function limitsOf(options: Pick<DeclarationOptions, "maxContainers" | "timeout" | "retries">, maxInputs: number): RouteLimits {
  return { maxContainers: options.maxContainers, maxInputs, timeout: options.timeout, retries: options.retries.maxRetries };
}

/** Every web route of the app, in declaration order (functions, then class methods). */
export function routesOfSpec(spec: AppSpec): WebRoute[] {
  const app = spec.app.name;
  const routes: WebRoute[] = [];
  for (const fn of spec.functions) {
    if (fn.web) routes.push(route(webOfSpec(fn.web), functionPath(fn.name), fn.name, { app, name: fn.name }, limitsOf(fn.options, 1)));
  }
  for (const cls of spec.classes) {
    const limits = limitsOf(cls.options, cls.concurrency?.maxInputs ?? 1);
    for (const m of cls.methods) {
      if (!m.web) continue;
      routes.push(route(webOfSpec(m.web), methodPath(cls.name, m.name), `${cls.name}.${m.name}`, { app, name: cls.name, method: m.name }, limits));
    }
  }
  checkRoutes(routes);
  return routes;
}

function webOfSpec(web: WebSpec): WebOf {
  return web.kind === "endpoint"
    ? { kind: "endpoint", method: web.method, public: web.public, docs: web.docs, bodySchema: web.bodySchema, queryParams: web.queryParams, responseSchema: web.responseSchema }
    : { kind: web.kind, public: web.public, auth: web.auth };
}

/** The same routes from an imported app (its module's exports bound with `app.bindExports`). */
export function webRoutes(app: App): WebRoute[] {
  const routes: WebRoute[] = [];
  for (const fn of app.functions) {
    if (!fn.web) continue;
    if (!fn.name) {
      throw new WebRouteError(
        `a web function of app "${app.name}" has no name: export it (\`export const f = app.function(...)\`) ` +
          "and bind the module's exports (app.bindExports) before building routes",
      );
    }
    routes.push(route(webOfMarker(fn.web), functionPath(fn.name), fn.name, { app: app.name, name: fn.name }, limitsOfCode(fn.options, 1)));
  }
  for (const cls of app.classes) {
    const meta = describeClass(cls.ctor);
    const limits = limitsOfCode(cls.options, meta.concurrency?.maxInputs ?? 1);
    for (const m of meta.methods) {
      if (!m.web) continue;
      if (m.web.kind !== "endpoint") {
        throw new WebRouteError(`${cls.name}.${m.name}: only @webEndpoint can decorate a method (webApp/webServer wrap functions)`);
      }
      const target: CallTarget = { app: app.name, name: cls.name, method: m.name };
      routes.push(route(webOfMarker(m.web), methodPath(cls.name, m.name), `${cls.name}.${m.name}`, target, limits));
    }
  }
  checkRoutes(routes);
  return routes;
}

function webOfMarker(marker: WebMarker): WebOf {
  return marker.kind === "endpoint"
    ? {
      kind: "endpoint", method: marker.method, public: marker.public, docs: marker.docs,
      bodySchema: marker.body ? inputJsonSchema(marker.body) : null,
      // code at run time has no parameter names or types: query parameters and response schemas
      // derived from them are the static analysis's (routesOfSpec)
      responseSchema: marker.response ? outputJsonSchema(marker.response) : undefined,
    }
    : { kind: marker.kind, public: marker.public, auth: marker.auth === "app" ? "app" : undefined };
}

/** Options as written in code (unset ones take the spec's defaults). */
function limitsOfCode(options: { maxContainers?: number; timeout?: number; retries?: number | { maxRetries: number } }, maxInputs: number): RouteLimits {
  const retries = typeof options.retries === "number" ? options.retries : options.retries?.maxRetries ?? 0;
  return { maxContainers: options.maxContainers ?? null, maxInputs, timeout: options.timeout ?? DEFAULT_TIMEOUT_S, retries };
}

/** What a dev server's banner and `gantry serve`'s supervisor need of a route (small, no schemas). */
export interface SpecRoute {
  kind: WebSpec["kind"];
  path: string;
  declaration: string;
  /** endpoints only */
  method: HttpMethod | null;
  public: boolean;
  docs: boolean;
  /** "app": a webApp/webServer that checks its own callers */
  auth?: "app";
}

export function routeSummary(r: WebRoute): SpecRoute {
  return {
    kind: r.kind, path: r.path, declaration: r.declaration, public: r.public,
    method: r.kind === "endpoint" ? r.method : null, docs: r.kind === "endpoint" && r.docs,
    ...(r.kind !== "endpoint" && r.auth ? { auth: r.auth } : {}),
  };
}

export function webRoutesOfSpec(spec: AppSpec): SpecRoute[] {
  return routesOfSpec(spec).map(routeSummary);
}

/** Reserved names and mounts that would hide another declaration's routes. */
function checkRoutes(routes: { path: string; kind: string; declaration: string }[]): void {
  const mounts = new Map<string, string>();
  for (const r of routes) if (r.kind !== "endpoint") mounts.set(r.path.split("/")[1], r.declaration);
  for (const r of routes) {
    const first = r.path.split("/")[1];
    if ((RESERVED_SEGMENTS as readonly string[]).includes(first)) {
      throw new WebRouteError(`${r.declaration}: "/${first}" is reserved by gantry (${RESERVED_SEGMENTS.join(", ")}); rename the declaration`);
    }
    const mount = mounts.get(first);
    if (mount && mount !== r.declaration) {
      throw new WebRouteError(`${r.declaration} (${r.path}) is hidden by ${mount}, which serves everything under /${first}/; rename one of them`);
    }
  }
}

/** One line per route for a dev server's banner: method, URL, access, docs. */
export function describeRoute(route: WebRoute | SpecRoute, baseUrl: string): string {
  const base = baseUrl.replace(/\/$/, "");
  const method = route.kind === "endpoint" ? (route.method ?? "POST") : "ANY";
  const url = route.kind === "endpoint" ? `${base}${route.path}` : `${base}${route.path}/`;
  const notes = [route.kind !== "endpoint" && route.auth === "app" ? "auth by the app" : route.public ? "public" : "bearer token"];
  if (route.kind === "endpoint" && route.docs) notes.push(`docs ${base}${route.path}/docs`);
  return `${method.padEnd(6)} ${url}  (${notes.join(", ")})`;
}
