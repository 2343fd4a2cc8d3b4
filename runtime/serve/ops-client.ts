/**
 * The other end of runtime/serve/ops.ts: `gantry logs` and `gantry status` without `--stack` find
 * the running `gantry serve` of an app by its server record (record.ts) and ask it over HTTP.
 */
import { defaultStateDir } from "../local/runtime.ts";
import type { LogQuery } from "./log-buffer.ts";
import { OPS_PREFIX, type LogsAnswer, type ServeStatus } from "./ops.ts";
import { readRecord, type ServerRecord } from "./record.ts";

/** No server is running for the app, or it stopped answering. */
export class NoServerError extends Error {
  override name = "NoServerError";
}

export function findServer(appFile: string): ServerRecord {
  const record = readRecord(defaultStateDir(appFile), appFile);
  if (!record) {
    throw new NoServerError(`no gantry serve of ${appFile} is running (start one with: gantry serve ${appFile}; for a deployed app pass --stack NAME)`);
  }
  return record;
}

async function get<T>(record: ServerRecord, route: string, signal?: AbortSignal): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`${record.url}${OPS_PREFIX}${route}`, { headers: { authorization: `Bearer ${record.token}` }, ...(signal ? { signal } : {}) });
  } catch (err) {
    if (signal?.aborted) throw err;
    throw new NoServerError(`gantry serve of ${record.appFile} (pid ${record.pid}) does not answer at ${record.url}: ${(err as Error).message}`);
  }
  const body = await response.text();
  if (!response.ok) throw new NoServerError(`gantry serve at ${record.url} answered ${response.status}: ${body}`);
  return JSON.parse(body) as T;
}

export function serverStatus(record: ServerRecord): Promise<ServeStatus> {
  return get<ServeStatus>(record, "status");
}

export function serverLogs(record: ServerRecord, query: LogQuery & { waitMs?: number }, signal?: AbortSignal): Promise<LogsAnswer> {
  const params = new URLSearchParams();
  if (query.after !== undefined) params.set("after", String(query.after));
  if (query.sinceMs !== undefined) params.set("since", String(query.sinceMs));
  if (query.fn !== undefined) params.set("function", query.fn);
  if (query.call !== undefined) params.set("call", query.call);
  if (query.waitMs !== undefined) params.set("wait", String(query.waitMs));
  return get<LogsAnswer>(record, `logs?${params}`, signal);
}
