/**
 * The URL scheme: where each web declaration of an app is served.
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
 * The same paths come from code (`webRoutes(app)`) and from the static spec (`webRoutesOfSpec`).
 */
import type { ZodType } from "zod";
import type { App } from "../../sdk/app.ts";
import type { HttpMethod, WebMarker } from "../../sdk/web.ts";
import { describeClass } from "../../sdk/registry.ts";
import type { AppSpec, WebSpec } from "../../synth/spec.ts";
import type { CallTarget } from "./backend.ts";

export const RESERVED_SEGMENTS = ["_gantry", "livez", "readyz"] as const;

interface RouteBase {
  /** "/health", "/EmbeddingService/embed", "/api" */
  path: string;
  /** "health" or "EmbeddingService.embed": how errors and logs name it */
  declaration: string;
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
  body: ZodType | null;
  docs: boolean;
}

export interface MountRoute extends RouteBase {
  /** "app": webApp, "server": webServer; both forwarded whole to the container */
  kind: "app" | "server";
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

/** The web routes of an imported app (its module's exports bound with `app.bindExports`). */
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
    const limits = limitsOf(fn.options, 1);
    routes.push(route(fn.web, functionPath(fn.name), fn.name, { app: app.name, name: fn.name }, limits));
  }
  for (const cls of app.classes) {
    const meta = describeClass(cls.ctor);
    const limits = limitsOf(cls.options, meta.concurrency?.maxInputs ?? 1);
    for (const m of meta.methods) {
      if (!m.web) continue;
      if (m.web.kind !== "endpoint") {
        throw new WebRouteError(`${cls.name}.${m.name}: only @webEndpoint can decorate a method (webApp/webServer wrap functions)`);
      }
      const target: CallTarget = { app: app.name, name: cls.name, method: m.name };
      routes.push(route(m.web, methodPath(cls.name, m.name), `${cls.name}.${m.name}`, target, limits));
    }
  }
  checkRoutes(routes.map((r) => ({ path: r.path, kind: r.kind, declaration: r.declaration })));
  return routes;
}

function route(marker: WebMarker, path: string, declaration: string, target: CallTarget, limits: RouteLimits): WebRoute {
  if (marker.kind === "endpoint") {
    return { kind: "endpoint", path, declaration, target, public: marker.public, limits, method: marker.method, body: marker.body, docs: marker.docs };
  }
  return { kind: marker.kind, path, declaration, target, public: marker.public, limits };
}

function limitsOf(options: { maxContainers?: number; timeout?: number; retries?: number | { maxRetries: number } }, maxInputs: number): RouteLimits {
  const retries = typeof options.retries === "number" ? options.retries : options.retries?.maxRetries ?? 0;
  return { maxContainers: options.maxContainers ?? null, maxInputs, timeout: options.timeout ?? 300, retries };
}

/** What the static spec says is served where (no schemas: they need the code). */
export interface SpecRoute {
  kind: WebSpec["kind"];
  path: string;
  declaration: string;
  /** endpoints only */
  method: HttpMethod | null;
  public: boolean;
  docs: boolean;
}

export function webRoutesOfSpec(spec: AppSpec): SpecRoute[] {
  const out: SpecRoute[] = [];
  const add = (web: WebSpec, path: string, declaration: string) =>
    out.push({
      kind: web.kind, path, declaration, public: web.public,
      method: web.kind === "endpoint" ? web.method : null,
      docs: web.kind === "endpoint" ? web.docs : false,
    });
  for (const fn of spec.functions) if (fn.web) add(fn.web, functionPath(fn.name), fn.name);
  for (const cls of spec.classes) {
    for (const m of cls.methods) if (m.web) add(m.web, methodPath(cls.name, m.name), `${cls.name}.${m.name}`);
  }
  checkRoutes(out);
  return out;
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
  const notes = [route.public ? "public" : "bearer token"];
  if (route.kind === "endpoint" && route.docs) notes.push(`docs ${base}${route.path}/docs`);
  return `${method.padEnd(6)} ${url}  (${notes.join(", ")})`;
}
