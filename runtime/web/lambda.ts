/**
 * Lambda adapter: API Gateway HTTP API (payload format 2.0) and Lambda function URL events to a
 * fetch Request, and the Response back. API Gateway ends integrations at 30 s, so give the
 * handler a `syncWindowMs` under that (25 s): longer calls get their 303 in time.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { FRAMING_HEADERS } from "./framing.ts";
import { healthResponse } from "./health.ts";
import type { FetchHandler } from "./node.ts";

export const LAMBDA_SYNC_WINDOW_MS = 25_000;

const TEXT = /^(text\/|application\/(json|xml|javascript|x-www-form-urlencoded)|[^;]*\+(json|xml))/i;

export function lambdaHandler(handler: FetchHandler | { fetch: FetchHandler }) {
  const fetchHandler: FetchHandler = typeof handler === "function" ? handler : (r) => handler.fetch(r);
  return async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    const request = toRequest(event);
    if (request instanceof Response) return fromResponse(request);
    const path = new URL(request.url).pathname;
    return fromResponse((await healthResponse(request, path, () => true)) ?? (await fetchHandler(request)));
  };
}

function toRequest(event: APIGatewayProxyEventV2): Request | Response {
  const method = event.requestContext.http.method;
  const headers = new Headers();
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    // the event's body is the whole body: the client's framing headers describe another hop
    if (value === undefined || FRAMING_HEADERS.has(name.toLowerCase())) continue;
    try {
      headers.append(name, value);
    } catch {
      // skip values the fetch API refuses
    }
  }
  if (event.cookies?.length) headers.set("cookie", event.cookies.join("; "));
  const host = /^[A-Za-z0-9.\-]+(:\d{1,5})?$/.test(headers.get("host") ?? "") ? headers.get("host")! : "lambda.local";
  const query = event.rawQueryString ? `?${event.rawQueryString}` : "";
  const hasBody = method !== "GET" && method !== "HEAD" && event.body !== undefined;
  try {
    return new Request(`https://${host}${event.rawPath.startsWith("/") ? event.rawPath : "/" + event.rawPath}${query}`, {
      method,
      headers,
      body: hasBody ? Buffer.from(event.body!, event.isBase64Encoded ? "base64" : "utf8") : null,
    });
  } catch {
    return new Response(JSON.stringify({ error: { type: "BadRequest", message: "malformed request" } }), { status: 400 });
  }
}

async function fromResponse(response: Response): Promise<APIGatewayProxyStructuredResultV2> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    if (name !== "set-cookie") headers[name] = value;
  });
  const bytes = Buffer.from(await response.arrayBuffer());
  const text = TEXT.test(response.headers.get("content-type") ?? "") || bytes.byteLength === 0;
  const cookies = response.headers.getSetCookie();
  return {
    statusCode: response.status,
    headers,
    ...(cookies.length ? { cookies } : {}),
    body: text ? bytes.toString("utf8") : bytes.toString("base64"),
    isBase64Encoded: !text,
  };
}
