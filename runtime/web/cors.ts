/**
 * CORS at the front door.
 *
 * A preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) never carries
 * credentials: browsers send it without the Authorization header. So it passes gantry's bearer
 * check: to a webApp/webServer it is forwarded (the app answers its own CORS); what gantry answers
 * itself (webEndpoint, result URLs) has CORS enabled as Modal's `fastapi_endpoint` has: any origin,
 * the route's method, the headers asked for. `*` allows no cookies, so a page still needs the
 * bearer token to call a private endpoint. Only a true preflight passes: any other request, an
 * `OPTIONS` without those headers included, goes through the bearer check as before.
 */

export function isPreflight(request: Request): boolean {
  return request.method === "OPTIONS" && request.headers.has("origin") && request.headers.has("access-control-request-method");
}

/** gantry's own answer to a preflight for a route serving `methods`. */
export function preflightResponse(request: Request, methods: readonly string[]): Response {
  const headers = new Headers({
    "access-control-allow-origin": "*",
    "access-control-allow-methods": [...methods, "OPTIONS"].join(", "),
    "access-control-max-age": "600",
    allow: [...methods, "OPTIONS"].join(", "),
    "cache-control": "no-store",
  });
  const asked = request.headers.get("access-control-request-headers");
  if (asked) headers.set("access-control-allow-headers", asked);
  return new Response(null, { status: 204, headers });
}

/** Headers a page may read from gantry's answers: the call id and where a pending result waits. */
const EXPOSED = "location, retry-after, x-gantry-call-id";

/** gantry's own answer to a cross-origin request, readable by the page (errors included). */
export function withCors(request: Request, response: Response): Response {
  if (!request.headers.has("origin") || response.headers.has("access-control-allow-origin")) return response;
  const headers = new Headers(response.headers);
  headers.set("access-control-allow-origin", "*");
  headers.set("access-control-expose-headers", EXPOSED);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}
