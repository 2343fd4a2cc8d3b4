/**
 * `gantry logs --stack`: the units' container output from CloudWatch Logs. Each unit's tasks write
 * to `/gantry/<app>/<stack>/<unit slug>` (provider/aws/function-service.ts) with the awslogs
 * driver, one stream per task (`<slug>/main/<task id>`); the web gateway's Lambda writes to
 * `/gantry/<app>/<stack>/gateway`. The names are fixed, so only `logs:FilterLogEvents` is needed.
 *
 * A read is FilterLogEvents on every group from the start time, page by page, merged in time
 * order. `follow` polls: each round reads again from a minute before the newest line seen
 * (CloudWatch takes a few seconds to index a line, and a late one may carry an earlier time),
 * drops the event ids already printed, and yields the rest in time order.
 */
import { attempt, AwsAccessError } from "../access.ts";
import { awsErrorName, type CommandSender } from "../clients.ts";

export interface LogSource {
  /** the unit id (`square`, `Model[gpu=H100]`), or `web` for the gateway */
  label: string;
  logGroup: string;
  /** a missing group is no error (the gateway of an app without endpoints, a unit never started) */
  optional?: boolean;
}

export interface CloudLogLine {
  /** ms since the epoch (the event's own timestamp) */
  time: number;
  /** `square#3f9a1c2e`: the unit and the first 8 characters of its ECS task id; `web#<instance>` */
  container: string;
  text: string;
  eventId: string;
  logGroup: string;
  logStream: string;
}

export interface ReadOptions {
  startTime: number;
  endTime?: number;
  /** a CloudWatch filter pattern (`"<callee>:<caller>:fc-…"`, quoted: the lines naming a call) */
  filterPattern?: string;
  mask?: (text: string) => string;
}

export interface FollowOptions extends ReadOptions {
  /** between polls (default 2000 ms); FilterLogEvents allows 5 requests a second per account and region */
  intervalMs?: number;
  signal?: AbortSignal;
  /** test seam */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** How far back each follow round reads again, for lines CloudWatch indexed late. */
export const FOLLOW_OVERLAP_MS = 60_000;

/** `square/main/3f9a1c2e…` -> `square#3f9a1c2e`; the gateway's `2026/12/04/[$LATEST]ab12…` -> `web#ab12cd34`. */
export function containerOfStream(label: string, stream: string): string {
  const last = stream.slice(stream.lastIndexOf("/") + 1).replace(/^\[[^\]]*\]/, "");
  return `${label}#${last.slice(0, 8)}`;
}

interface FilterEvent { eventId?: string; timestamp?: number; message?: string; logStreamName?: string }

/** Every matching line of the sources from `startTime` (to `endTime`), in time order. */
export async function readLogs(logs: CommandSender, sources: LogSource[], options: ReadOptions): Promise<CloudLogLine[]> {
  const per = await Promise.all(sources.map((s) => readSource(logs, s, options)));
  return per.flat().sort(byTime);
}

/** Lines as they arrive, until the signal aborts; each round's new lines in time order. */
export async function* followLogs(logs: CommandSender, sources: LogSource[], options: FollowOptions): AsyncGenerator<CloudLogLine[]> {
  const sleep = options.sleep ?? abortableSleep;
  const interval = options.intervalMs ?? 2000;
  const seen = new Map<string, number>();
  let newest = options.startTime;
  while (!options.signal?.aborted) {
    const from = Math.max(options.startTime, newest - FOLLOW_OVERLAP_MS);
    const lines = (await readLogs(logs, sources, { ...options, startTime: from })).filter((l) => !seen.has(l.eventId));
    for (const l of lines) {
      seen.set(l.eventId, l.time);
      if (l.time > newest) newest = l.time;
    }
    // ids older than the next round's start cannot come back
    const floor = Math.max(options.startTime, newest - FOLLOW_OVERLAP_MS);
    for (const [id, time] of seen) if (time < floor) seen.delete(id);
    if (lines.length) yield lines;
    await sleep(interval, options.signal);
  }
}

async function readSource(logs: CommandSender, source: LogSource, options: ReadOptions): Promise<CloudLogLine[]> {
  const { FilterLogEventsCommand } = await import("@aws-sdk/client-cloudwatch-logs");
  const out: CloudLogLine[] = [];
  let nextToken: string | undefined;
  do {
    const input = {
      logGroupName: source.logGroup,
      startTime: options.startTime,
      ...(options.endTime !== undefined ? { endTime: options.endTime } : {}),
      ...(options.filterPattern !== undefined ? { filterPattern: options.filterPattern } : {}),
      ...(nextToken !== undefined ? { nextToken } : {}),
    };
    let page: { events?: FilterEvent[]; nextToken?: string };
    try {
      page = await attempt("logs:FilterLogEvents", `log group ${source.logGroup}`, () => logs.send(new FilterLogEventsCommand(input)));
    } catch (err) {
      if (awsErrorName(err) !== "ResourceNotFoundException") throw err;
      if (source.optional) return out;
      throw new AwsAccessError(
        `${source.label}: no log group ${source.logGroup} in this account and region (not deployed here, or never started: check --region / AWS_REGION)`,
        "missing",
      );
    }
    for (const e of page.events ?? []) {
      const text = (e.message ?? "").replace(/\r?\n$/, "");
      out.push({
        time: e.timestamp ?? 0,
        container: containerOfStream(source.label, e.logStreamName ?? ""),
        text: options.mask ? options.mask(text) : text,
        eventId: e.eventId ?? `${source.logGroup}:${e.logStreamName}:${e.timestamp}:${text}`,
        logGroup: source.logGroup,
        logStream: e.logStreamName ?? "",
      });
    }
    // an empty page with a token means "more streams to search", not the end
    nextToken = page.nextToken;
  } while (nextToken);
  return out;
}

function byTime(a: CloudLogLine, b: CloudLogLine): number {
  return a.time - b.time || (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0);
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      resolve();
    }
  });
}
