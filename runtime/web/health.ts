/**
 * `/livez` (the process answers) and `/readyz` (it should get traffic: started, not draining, and
 * whatever `ready()` adds). Served by the server adapter in front of the app's routes, without auth.
 */
export type ReadyCheck = () => boolean | Promise<boolean>;

export async function healthResponse(request: Request, path: string, ready: ReadyCheck): Promise<Response | null> {
  if (path !== "/livez" && path !== "/readyz") return null;
  if (request.method !== "GET" && request.method !== "HEAD") {
    return new Response(null, { status: 405, headers: { allow: "GET, HEAD" } });
  }
  let ok = true;
  if (path === "/readyz") {
    try {
      ok = await ready();
    } catch {
      ok = false;
    }
  }
  return new Response(JSON.stringify({ status: ok ? "ok" : "unavailable" }), {
    status: ok ? 200 : 503,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
  });
}
