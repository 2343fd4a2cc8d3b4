/**
 * The front door: one fetch handler `(Request) => Promise<Response>` for all web declarations of an
 * app, independent of the transport (node:http via `listen`, a Lambda via `lambdaHandler`, tests
 * with plain Request objects). Calls go through a `WebBackend`; nothing here runs user code.
 *
 * Endpoint requests are checked in this order, each with its own status:
 * route (404) -> CORS preflight (204, cors.ts) -> bearer token (401) -> method (405) -> body size (413) -> JSON (400)
 * -> schema (422) -> capacity (429) -> call: result (200), error (500), or past the window (303).
 */
import type { App } from "../../sdk/app.ts";
import type { AppSpec } from "../../synth/spec.ts";
import type { WebBackend } from "./backend.ts";
import { bearerAuth } from "./auth.ts";
import { isPreflight, preflightResponse, withCors } from "./cors.ts";
import { CallTickets, CallTracker, CALLS_PREFIX, outcomeResponse, waitForCall } from "./calls.ts";
import { capacityResolver, InFlight, type CapacityOption } from "./capacity.ts";
import { docsAsset, docsPage } from "./docs-page.ts";
import { errorResponse, json, methodNotAllowed, notFound, readBody } from "./http.ts";
import { parseJsonBody } from "./json-body.ts";
import { serializeRequest, responseFromSerialized } from "./messages.ts";
import { openApiDocument } from "./openapi.ts";
import { queryArgument } from "./query.ts";
import { routesOfSpec, webRoutes, type EndpointRoute, type MountRoute, type WebRoute } from "./routes.ts";
import { bodyValidator } from "./schema.ts";

export const DEFAULT_SYNC_WINDOW_MS = 150_000;
export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;

/** pino-compatible */
export interface WebLogger {
  info(fields: object, message?: string): void;
  warn(fields: object, message?: string): void;
  error(fields: object, message?: string): void;
}

export interface WebHandlerOptions {
  backend: WebBackend;
  /** accepted bearer tokens; with none, every private route answers 401 (fail closed) */
  tokens?: readonly string[];
  /** how long a request waits for its call before answering 303 (default 150 s, like Modal) */
  syncWindowMs?: number;
  /** largest request body in bytes (default 4 MiB) */
  maxBodyBytes?: number;
  /** deepest nesting of an endpoint's JSON body before 400 (default 128, json-body.ts) */
  maxJsonDepth?: number;
  /** in-flight calls per declaration before 429; default `defaultCapacity` (capacity.ts) */
  capacity?: CapacityOption;
  /** calls allowed to wait behind the running ones in the default capacity (default 100) */
  queueDepth?: number;
  /** HMAC key of result URLs; every instance of one deployment must share it (default: random per process) */
  signingKey?: string | Uint8Array;
  /** require the token for docs pages and OpenAPI documents too (default: they only show schemas, so no) */
  protectDocs?: boolean;
  /**
   * put a failed call's error type and message in its 500 body, and a webApp's failure in its 502
   * (default: no: callers get a generic body with the call id, the error goes to `logger` only)
   */
  exposeErrors?: boolean;
  logger?: WebLogger;
}

export interface WebHandler {
  fetch(request: Request): Promise<Response>;
  readonly routes: readonly WebRoute[];
  /** calls past their window that still hold a capacity slot */
  readonly trackedCalls: number;
  /** stops following calls in the background */
  close(): void;
}

const silent: WebLogger = { info() {}, warn() {}, error() {} };

/** The front door of an imported app (routes from its code; see routes.ts). */
export function createWebHandler(app: App, options: WebHandlerOptions): WebHandler {
  return createWebHandlerForRoutes(app.name, webRoutes(app), options);
}

/** The front door of an app's spec: what `gantry serve` and the Lambda gateway serve. */
export function createWebHandlerForSpec(spec: AppSpec, options: WebHandlerOptions): WebHandler {
  return createWebHandlerForRoutes(spec.app.name, routesOfSpec(spec), options);
}

export function createWebHandlerForRoutes(appName: string, routes: WebRoute[], options: WebHandlerOptions): WebHandler {
  const backend = options.backend;
  const windowMs = options.syncWindowMs ?? DEFAULT_SYNC_WINDOW_MS;
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const log = options.logger ?? silent;
  const exposeErrors = options.exposeErrors ?? false;
  const auth = bearerAuth(options.tokens ?? []);
  const tickets = new CallTickets(options.signingKey);
  const inflight = new InFlight(capacityResolver(options.capacity, options.queueDepth));
  const tracker = new CallTracker(backend, windowMs);

  const endpoints = new Map<string, EndpointRoute>();
  const mounts = new Map<string, MountRoute>();
  for (const r of routes) {
    if (r.kind === "endpoint") endpoints.set(r.path, r);
    else mounts.set(r.path.slice(1), r);
  }
  const documented = routes.filter((r): r is EndpointRoute => r.kind === "endpoint" && r.docs);
  const appDocument = documented.length ? JSON.stringify(openApiDocument(appName, documented)) : null;
  const endpointDocuments = new Map<string, string>();

  async function endpoint(route: EndpointRoute, request: Request, url: URL): Promise<Response> {
    if (isPreflight(request)) return preflightResponse(request, [route.method]);
    if (!route.public) {
      const denied = auth(request);
      if (denied) return denied;
    }
    if (request.method !== route.method) return methodNotAllowed([route.method]);

    let input: unknown;
    let hasInput = true;
    if (route.method === "GET") {
      input = queryArgument(url.searchParams, route.bodySchema);
    } else {
      const body = await readBody(request, maxBody);
      if (!body.ok) return body.response;
      if (body.bytes.byteLength === 0) hasInput = false;
      else {
        const parsed = parseJsonBody(body.bytes, options.maxJsonDepth);
        if (!parsed.ok) return parsed.response;
        input = parsed.value;
      }
    }

    let args: unknown[] = hasInput ? [input] : [];
    if (route.bodySchema) {
      let parsed;
      try {
        parsed = await bodyValidator(route.bodySchema).safeParseAsync(input);
      } catch (e) {
        log.error({ declaration: route.declaration, error: summary(e) }, "the body schema threw while validating");
        return errorResponse(500, "SchemaError", `the body schema of ${route.declaration} threw while validating`);
      }
      if (!parsed.success) {
        return errorResponse(422, "ValidationError", `the ${route.method === "GET" ? "query" : "body"} failed validation`, { issues: parsed.error.issues });
      }
      args = route.queryParams ? queryArguments(route.queryParams, parsed.data as Record<string, unknown>) : [parsed.data];
    }

    const release = inflight.acquire(route);
    if (!release) {
      return errorResponse(429, "TooManyRequests", `${route.declaration} is at capacity; retry later`, {}, { "retry-after": "1" });
    }
    let callId: string;
    try {
      callId = await backend.spawn(route.target, args);
    } catch (e) {
      release();
      log.error({ declaration: route.declaration, error: summary(e) }, "could not start the call");
      return errorResponse(503, "Unavailable", `could not start ${route.declaration}; retry later`, {}, { "retry-after": "1" });
    }
    const outcome = await waitForCall(backend, callId, windowMs, request.signal);
    if (outcome.state === "pending") tracker.track(callId, release, trackLimitMs(route));
    else release();
    if (outcome.state === "failed") log.warn({ declaration: route.declaration, callId, error: summary(outcome.error) }, "call failed");
    return outcomeResponse(outcome, callId, tickets.location(callId, route.public), exposeErrors);
  }

  async function calls(request: Request, url: URL, rawId: string): Promise<Response> {
    let callId: string;
    try {
      callId = decodeURIComponent(rawId);
    } catch {
      return notFound();
    }
    const ticket = tickets.verify(callId, url.searchParams.get("ticket") ?? "");
    if (!ticket) return errorResponse(404, "NotFound", "no such call (the result URL is incomplete or was not issued here)");
    if (isPreflight(request)) return preflightResponse(request, ["GET"]);
    if (!ticket.public) {
      const denied = auth(request);
      if (denied) return denied;
    }
    // any method reads the result: `curl -X POST -L` keeps POST across the 303, and reading never re-runs
    const outcome = await waitForCall(backend, callId, windowMs, request.signal);
    if (outcome.state === "failed") log.warn({ callId, error: summary(outcome.error) }, "call failed");
    return outcomeResponse(outcome, callId, tickets.location(callId, ticket.public), exposeErrors);
  }

  async function mount(route: MountRoute, request: Request, url: URL, rest: string): Promise<Response> {
    // a preflight carries no credentials: the app answers it with its own CORS headers
    if (!route.public && !isPreflight(request)) {
      const denied = auth(request);
      if (denied) return denied;
    }
    const release = inflight.acquire(route);
    if (!release) return errorResponse(429, "TooManyRequests", `${route.declaration} is at capacity; retry later`, {}, { "retry-after": "1" });
    try {
      let body: Uint8Array | null = null;
      if (request.method !== "GET" && request.method !== "HEAD") {
        const read = await readBody(request, maxBody);
        if (!read.ok) return read.response;
        body = read.bytes;
      }
      // a private mount's token is gantry's, not the app's: the app never sees it
      const drop = new Set(route.public ? [] : ["authorization"]);
      const serialized = serializeRequest(request, rest + url.search, body, drop, route.path);
      let response;
      try {
        response = await backend.forward(route.target, serialized);
      } catch (e) {
        log.warn({ declaration: route.declaration, error: summary(e) }, "forwarded request failed");
        if (!exposeErrors) return errorResponse(502, "BadGateway", `${route.declaration} did not answer; its error is in the server log`);
        const message = e instanceof Error ? e.message : String(e);
        return errorResponse(502, e instanceof Error ? e.name : "Error", `${route.declaration} did not answer: ${message}`);
      }
      return responseFromSerialized(response);
    } finally {
      release();
    }
  }

  function docsAllowed(request: Request): Response | null {
    if (isPreflight(request)) return preflightResponse(request, ["GET"]);
    if (request.method !== "GET" && request.method !== "HEAD") return methodNotAllowed(["GET"]);
    return options.protectDocs ? auth(request) : null;
  }

  function endpointDocument(route: EndpointRoute): string {
    let doc = endpointDocuments.get(route.path);
    if (!doc) {
      doc = JSON.stringify(openApiDocument(appName, [route], `${appName}: ${route.declaration}`));
      endpointDocuments.set(route.path, doc);
    }
    return doc;
  }

  async function gantry(request: Request, url: URL, segments: string[]): Promise<Response> {
    const [, first, ...more] = segments;
    if (first === "calls" && more.length === 1) return calls(request, url, rawSegment(url.pathname, 2));
    if (first === "assets" && more.length === 1) {
      if (request.method !== "GET" && request.method !== "HEAD") return methodNotAllowed(["GET"]);
      return (await docsAsset(more[0])) ?? notFound();
    }
    if ((first === "docs" || first === "openapi.json") && more.length === 0 && appDocument) {
      const denied = docsAllowed(request);
      if (denied) return denied;
      return first === "docs" ? docsPage(`${appName} API`, "/_gantry/openapi.json") : jsonText(appDocument);
    }
    return notFound();
  }

  async function dispatch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const segments = splitPath(url.pathname);
    if (!segments) return notFound();
    if (segments[0] === "_gantry") return withCors(request, await gantry(request, url, segments));

    const mounted = mounts.get(segments[0]);
    if (mounted) {
      const raw = url.pathname;
      const slash = raw.indexOf("/", 1);
      return mount(mounted, request, url, slash === -1 ? "/" : raw.slice(slash));
    }
    const path = "/" + segments.join("/");
    const route = endpoints.get(path);
    if (route) return withCors(request, await endpoint(route, request, url));

    const last = segments[segments.length - 1];
    const documentedRoute = endpoints.get("/" + segments.slice(0, -1).join("/"));
    if (documentedRoute?.docs && (last === "docs" || last === "openapi.json")) {
      const denied = docsAllowed(request);
      if (denied) return withCors(request, denied);
      return withCors(request, last === "docs"
        ? docsPage(`${appName}: ${documentedRoute.declaration}`, `${documentedRoute.path}/openapi.json`)
        : jsonText(endpointDocument(documentedRoute)));
    }
    return notFound();
  }

  return {
    routes,
    get trackedCalls() { return tracker.size; },
    close: () => tracker.close(),
    async fetch(request: Request): Promise<Response> {
      const started = Date.now();
      let response: Response;
      try {
        response = await dispatch(request);
      } catch (e) {
        log.error({ err: e, method: request.method }, "web handler failed");
        response = errorResponse(500, "InternalError", "internal error");
      }
      log.info({ method: request.method, path: safePath(request.url), status: response.status, ms: Date.now() - started,
        callId: response.headers.get("x-gantry-call-id") ?? undefined }, "request");
      return response;
    },
  };
}

/** A GET endpoint's arguments by parameter name; missing trailing ones are left out, so defaults apply. */
function queryArguments(names: readonly string[], query: Record<string, unknown>): unknown[] {
  const args = names.map((n) => (Object.hasOwn(query, n) ? query[n] : undefined));
  while (args.length && args[args.length - 1] === undefined) args.pop();
  return args;
}

/** Decoded path segments ("/a/b/" -> ["a", "b"]), or null for undecodable ones and encoded slashes. */
function splitPath(pathname: string): string[] | null {
  const trimmed = pathname.length > 1 && pathname.endsWith("/") ? pathname.slice(0, -1) : pathname;
  try {
    const segments = trimmed.split("/").slice(1).map(decodeURIComponent);
    return segments.some((s) => s.includes("/")) ? null : segments;
  } catch {
    return null;
  }
}

/**
 * What the logs get of a user's or backend's error: its type and message. Not the error object:
 * loggers serialize its own properties too, and those may carry environment values or secrets.
 */
function summary(error: unknown): { type: string; message: string } {
  if (error instanceof Error) return { type: error.name, message: error.message };
  return { type: typeof error, message: String(error) };
}

/** The still-encoded `index`-th segment of a path. */
function rawSegment(pathname: string, index: number): string {
  const trimmed = pathname.length > 1 && pathname.endsWith("/") ? pathname.slice(0, -1) : pathname;
  return trimmed.split("/")[index + 1] ?? "";
}

function jsonText(text: string): Response {
  return new Response(text, { status: 200, headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" } });
}

/** A call may run `timeout` per attempt, `retries + 1` times; past that (plus a minute) its slot is freed. */
function trackLimitMs(route: WebRoute): number {
  return (route.limits.timeout * (route.limits.retries + 1) + 60) * 1000;
}

function safePath(url: string): string {
  try {
    return new URL(url).pathname; // never the query: it may carry tickets
  } catch {
    return "?";
  }
}
