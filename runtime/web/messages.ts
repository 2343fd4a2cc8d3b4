/**
 * HTTP messages <-> plain data, on both sides of `backend.forward`: the front door serializes the
 * incoming request (mount prefix stripped) and rebuilds the container's response; the container
 * rebuilds the request for the user's app and serializes its response.
 */
import type { SerializedRequest, SerializedResponse } from "./backend.ts";
import { concat } from "./http.ts";

/** Connection-level headers a proxy must not pass on (RFC 9110 §7.6.1), plus lengths it recomputes. */
const HOP_BY_HOP = new Set([
  "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "te", "trailer",
  "transfer-encoding", "upgrade", "content-length",
]);

export function passHeaders(headers: Headers, drop: ReadonlySet<string> = new Set()): [string, string][] {
  const out: [string, string][] = [];
  const connectionListed = new Set((headers.get("connection") ?? "").split(",").map((s) => s.trim().toLowerCase()).filter(Boolean));
  headers.forEach((value, name) => {
    if (HOP_BY_HOP.has(name) || connectionListed.has(name) || drop.has(name)) return;
    if (name === "set-cookie") return; // added one by one below: Headers joins them with ", "
    out.push([name, value]);
  });
  for (const cookie of headers.getSetCookie()) if (!drop.has("set-cookie")) out.push(["set-cookie", cookie]);
  return out;
}

/** The front door's view: `pathInApp` is what the app sees ("/greet/ada?x=1"). */
export function serializeRequest(request: Request, pathInApp: string, body: Uint8Array | null, drop: ReadonlySet<string>, prefix: string): SerializedRequest {
  // the mount prefix is gantry's to state: a client's own X-Forwarded-Prefix is replaced, never kept beside it
  const headers = passHeaders(request.headers, new Set([...drop, "x-forwarded-prefix"]));
  headers.push(["x-forwarded-prefix", prefix]);
  return { method: request.method, url: pathInApp, headers, body: body && body.byteLength > 0 ? body : null };
}

export function responseFromSerialized(res: SerializedResponse): Response {
  const headers = new Headers();
  for (const [name, value] of res.headers) {
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower)) continue;
    try {
      headers.append(lower, value);
    } catch {
      // a header value the fetch API refuses (control characters): drop it rather than fail
    }
  }
  const noBody = res.status === 204 || res.status === 304 || (res.status >= 100 && res.status < 200);
  const status = res.status >= 200 && res.status <= 599 ? res.status : 502;
  return new Response(noBody ? null : res.body, { status, headers });
}

/** The container's view: a Request for the user's fetch handler. */
export function requestFromSerialized(req: SerializedRequest): Request {
  const headers = new Headers();
  for (const [name, value] of req.headers) {
    try {
      headers.append(name, value);
    } catch {
      // skip values the fetch API refuses
    }
  }
  const hostHeader = headers.get("host") ?? "";
  const host = /^[A-Za-z0-9.\-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/.test(hostHeader) ? hostHeader : "localhost";
  // concatenated, not resolved: "//x/y" must stay a path, not become a host
  const path = req.url.startsWith("/") ? req.url : `/${req.url}`;
  let url: URL;
  try {
    url = new URL(`http://${host}${path}`);
  } catch {
    url = new URL(`http://localhost${path.replace(/[^\x21-\x7e]/g, encodeURIComponent)}`);
  }
  const hasBody = req.body !== null && req.method !== "GET" && req.method !== "HEAD";
  return new Request(url, { method: req.method, headers, body: hasBody ? req.body : null });
}

export async function serializeResponse(response: Response): Promise<SerializedResponse> {
  const chunks: Uint8Array[] = [];
  if (response.body) {
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
    }
  }
  const body = concat(chunks);
  return { status: response.status, headers: passHeaders(response.headers), body: body.byteLength ? body : null };
}
