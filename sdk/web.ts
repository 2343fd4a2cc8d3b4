/**
 * Web declarations. `webEndpoint(opts, fn)` wraps a function for `app.function`, and `@webEndpoint(opts)`
 * decorates a class method; `webApp(factory)` serves any app with a `fetch(Request) => Response`
 * handler (Hono, itty, a plain object); `webServer({ port }, start)` proxies a server the code starts.
 */
import type { ZodType } from "zod";
import { memberMetaFor } from "./registry.ts";

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface WebEndpointOptions {
  method?: HttpMethod;
  /** zod schema of the JSON body; a bad body gets 422 with the zod issues */
  body?: ZodType;
  /** serve an OpenAPI document and a docs page */
  docs?: boolean;
  /** no bearer token required */
  public?: boolean;
  /** zod schema of the return value: the OpenAPI document's 200 response (else derived from the return type) */
  response?: ZodType;
}

/**
 * Who checks a webApp's/webServer's callers. `"gantry"` (the default): gantry's bearer token, which
 * the app never sees. `"app"`: gantry checks nothing and passes every request, its Authorization
 * header included, to the app, which answers its own auth and CORS (as Modal's `asgi_app` does).
 */
export type WebAuth = "gantry" | "app";

export interface WebMountOptions {
  /** no bearer token required */
  public?: boolean;
  auth?: WebAuth;
}

export interface FetchApp { fetch(request: Request): Response | Promise<Response> }

export type WebMarker =
  | { kind: "endpoint"; method: HttpMethod; body: ZodType | null; response: ZodType | null; docs: boolean; public: boolean }
  /** `public` is true with `auth: "app"` too: gantry checks no token */
  | { kind: "app"; public: boolean; auth: WebAuth; factory: () => FetchApp | Promise<FetchApp> }
  | { kind: "server"; port: number; startupTimeout: number; public: boolean; auth: WebAuth; start: () => unknown };

const webMarkers = new WeakMap<Function, WebMarker>();

export function webMarkerOf(fn: Function): WebMarker | null {
  return webMarkers.get(fn) ?? null;
}

function endpointMarker(options: WebEndpointOptions): WebMarker {
  return { kind: "endpoint", method: options.method ?? "POST", body: options.body ?? null, response: options.response ?? null, docs: options.docs ?? false, public: options.public ?? false };
}

export function webEndpoint<F extends (...args: any[]) => unknown>(options: WebEndpointOptions, fn: F): F;
export function webEndpoint(options: WebEndpointOptions): (value: (this: any, ...args: any[]) => unknown, context: ClassMethodDecoratorContext) => void;
export function webEndpoint(options: WebEndpointOptions, fn?: Function): unknown {
  const marker = endpointMarker(options);
  if (fn) {
    webMarkers.set(fn, marker);
    return fn;
  }
  return (value: Function, context: ClassMethodDecoratorContext) => {
    memberMetaFor(value, String(context.name)).web = marker;
  };
}

/** Serves `factory()`'s fetch handler at the function's URL. */
export function webApp(factory: () => FetchApp | Promise<FetchApp>, options: WebMountOptions = {}): () => FetchApp | Promise<FetchApp> {
  webMarkers.set(factory, { kind: "app", ...access(options), factory });
  return factory;
}

/** Proxies to a server that `start()` begins listening on `port` within `startupTimeout` seconds. */
export function webServer(options: { port: number; startupTimeout?: number } & WebMountOptions, start: () => unknown): () => unknown {
  webMarkers.set(start, { kind: "server", port: options.port, startupTimeout: options.startupTimeout ?? 5, ...access(options), start });
  return start;
}

function access(options: WebMountOptions): { public: boolean; auth: WebAuth } {
  const auth = options.auth ?? "gantry";
  return { public: auth === "app" || (options.public ?? false), auth };
}
