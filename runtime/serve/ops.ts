/**
 * What `gantry logs` and `gantry status` read from a running `gantry serve`: two JSON routes on the
 * server's own listener, answered by the supervisor (never forwarded to the app), behind their own
 * bearer token (not the endpoints' token; it is only in the server record, see record.ts).
 *
 * - `GET /_gantry/ops/logs?after=SEQ&since=MS&function=F&call=ID&wait=MS`: the buffered container
 *   lines after SEQ (`{ lines, last }`); with `wait`, the answer waits until a line matches (long poll).
 * - `GET /_gantry/ops/status`: the app, its pools and containers, schedules and their last runs.
 */
import { timingSafeEqual } from "node:crypto";
import type { PoolStatus } from "../local/runtime.ts";
import type { LogBuffer, LogLine } from "./log-buffer.ts";

export const OPS_PREFIX = "/_gantry/ops/";
/** The longest a long poll waits before answering with no lines. */
export const MAX_WAIT_MS = 30_000;

export interface ScheduleStatus {
  name: string;
  schedule: string;
  next: string | null;
  last: { at: string; ok: boolean; summary: string; ms: number } | null;
}

export interface ServeStatus {
  app: string;
  appFile: string;
  url: string;
  pid: number;
  startedAt: string;
  pools: PoolStatus[];
  schedules: ScheduleStatus[];
}

export interface LogsAnswer {
  lines: LogLine[];
  /** the newest sequence number the server has handed out: ask for `after=last` next */
  last: number;
}

export interface OpsHost {
  token: string;
  logs: LogBuffer;
  status(): ServeStatus;
}

export async function handleOps(request: Request, host: OpsHost): Promise<Response> {
  if (!authorized(request.headers.get("authorization"), host.token)) {
    return json(401, { error: "gantry serve's operations routes need the token in its server record (gantry logs / gantry status read it)" });
  }
  if (request.method !== "GET") return json(405, { error: "GET only" });
  const url = new URL(request.url);
  const route = url.pathname.slice(OPS_PREFIX.length);
  if (route === "status") return json(200, host.status());
  if (route !== "logs") return json(404, { error: `no operations route ${url.pathname}` });
  const number = (name: string): number | undefined => {
    const raw = url.searchParams.get(name);
    if (raw === null || raw === "") return undefined;
    const n = Number(raw);
    return Number.isFinite(n) && n >= 0 ? n : NaN;
  };
  const after = number("after");
  const sinceMs = number("since");
  const wait = number("wait");
  if ([after, sinceMs, wait].some((n) => Number.isNaN(n))) return json(400, { error: "after, since and wait are non-negative numbers" });
  const query = {
    ...(after !== undefined ? { after } : {}),
    ...(sinceMs !== undefined ? { sinceMs } : {}),
    ...(url.searchParams.get("function") ? { fn: url.searchParams.get("function")! } : {}),
    ...(url.searchParams.get("call") ? { call: url.searchParams.get("call")! } : {}),
  };
  const lines = wait ? await host.logs.next(query, Math.min(wait, MAX_WAIT_MS), request.signal) : host.logs.query(query);
  const answer: LogsAnswer = { lines, last: host.logs.last };
  return json(200, answer);
}

export function authorized(header: string | null, token: string): boolean {
  const given = Buffer.from(/^Bearer (.+)$/.exec(header ?? "")?.[1] ?? "");
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}
