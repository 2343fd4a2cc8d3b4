/**
 * `gantry logs` on a Kubernetes stack: the stack's pods, found by label, and each one's container
 * log through the API server (`GET /api/v1/namespaces/{ns}/pods/{name}/log?timestamps=true`, what
 * `kubectl logs --timestamps` reads). A read takes every pod's lines since a time and merges them in
 * time order; `followPods` streams each pod (`follow=true`) from the newest line read, and lists the
 * pods again every few seconds so containers KEDA starts meanwhile are followed too.
 * Needs, in the stack's namespace: list pods, get pods/log.
 */
import { kubeCall, kubeRequest, listObjects, refusal, statusMessage, type KubeApi } from "./api.ts";

export interface Pod {
  metadata: { name: string; labels?: Record<string, string> };
  spec?: { containers?: Array<{ name: string }> };
  status?: { phase?: string };
}

export interface PodLine {
  /** ms since the epoch */
  time: number;
  /** the RFC 3339 time the kubelet wrote, padded to nanoseconds (orders lines of the same ms) */
  stamp: string;
  pod: string;
  text: string;
}

export function listPods(api: KubeApi, namespace: string, selector: string): Promise<Pod[]> {
  return listObjects<Pod>(api, "/api/v1", { resource: "pods", namespace }, "pods", selector);
}

/** `2026-12-08T01:02:03.5Z` -> `2026-12-08T01:02:03.500000000Z`: comparable as text. */
export function padStamp(ts: string): string {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(ts);
  return m ? `${m[1]}.${(m[2] ?? "").padEnd(9, "0")}${m[3]}` : ts;
}

/** A `--timestamps` log line: its time and text (null for a line without one). */
export function parseLine(pod: string, line: string): PodLine | null {
  const space = line.indexOf(" ");
  const ts = space > 0 ? line.slice(0, space) : line;
  const time = Date.parse(ts);
  if (!Number.isFinite(time)) return null;
  return { time, stamp: padStamp(ts), pod, text: space > 0 ? line.slice(space + 1) : "" };
}

const logPath = (namespace: string, pod: Pod, query: Record<string, string>) => {
  const container = pod.spec?.containers?.[0]?.name;
  const q = new URLSearchParams({ timestamps: "true", ...(container ? { container } : {}), ...query });
  return `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod.metadata.name)}/log?${q}`;
};

export interface PodProblem { pod: string; reason: string }

/**
 * Every pod's lines since `sinceMs` (before `now`), in time order. A pod without a log yet (its
 * container waiting to start: 400) is a problem reported, not an error; a refusal (403) throws.
 */
export async function readPodLogs(api: KubeApi, namespace: string, pods: Pod[], sinceMs: number, now = Date.now()): Promise<{ lines: PodLine[]; problems: PodProblem[] }> {
  const sinceSeconds = String(Math.max(1, Math.ceil((now - sinceMs) / 1000)));
  const lines: PodLine[] = [];
  const problems: PodProblem[] = [];
  await Promise.all(pods.map(async (pod) => {
    const action = { verb: "get" as const, resource: "pods/log", namespace, name: pod.metadata.name };
    const answer = await kubeRequest(api, { method: "GET", path: logPath(namespace, pod, { sinceSeconds }) }).catch(() => null);
    if (!answer) return problems.push({ pod: pod.metadata.name, reason: `no answer from ${api.server}` });
    if (answer.status === 400 || answer.status === 404) return problems.push({ pod: pod.metadata.name, reason: statusMessage(answer.text).trim() });
    if (answer.status >= 300) throw refusal(api, action, answer.status, answer.text);
    for (const raw of answer.text.split("\n")) {
      const line = parseLine(pod.metadata.name, raw);
      if (line && line.time >= sinceMs - 1000) lines.push(line);
    }
  }));
  lines.sort((a, b) => (a.stamp < b.stamp ? -1 : a.stamp > b.stamp ? 1 : a.pod.localeCompare(b.pod)));
  return { lines, problems };
}

export interface FollowOptions {
  /** the pods to follow now, with the newest stamp already printed of each */
  after: Map<string, string>;
  sinceMs: number;
  list(): Promise<Pod[]>;
  onLine(line: PodLine): void;
  signal: AbortSignal;
  /** how often the pods are listed again */
  relistMs?: number;
}

/** Streams every pod's new lines until `signal` aborts. */
export async function followPods(api: KubeApi, namespace: string, o: FollowOptions): Promise<void> {
  const following = new Set<string>();
  const follow = (pod: Pod) => {
    const name = pod.metadata.name;
    if (following.has(name)) return;
    following.add(name);
    const seen = o.after.get(name);
    const sinceSeconds = String(Math.max(1, Math.ceil((Date.now() - o.sinceMs) / 1000)));
    let partial = "";
    const action = { verb: "get" as const, resource: "pods/log", namespace, name };
    void kubeCall(api, action, {
      method: "GET",
      path: logPath(namespace, pod, { follow: "true", ...(seen ? { sinceTime: seen.replace(/\.\d+/, "") } : { sinceSeconds }) }),
      signal: o.signal,
      onData: (chunk) => {
        const parts = (partial + chunk).split("\n");
        partial = parts.pop()!;
        for (const raw of parts) {
          const line = parseLine(name, raw);
          const last = o.after.get(name);
          if (!line || (last && line.stamp <= last)) continue;
          o.after.set(name, line.stamp);
          o.onLine(line);
        }
      },
    }).catch(() => {}).finally(() => following.delete(name));
  };
  while (!o.signal.aborted) {
    for (const pod of await o.list()) if (pod.status?.phase === "Running") follow(pod);
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, o.relistMs ?? 5000);
      o.signal.addEventListener("abort", () => (clearTimeout(t), resolve()), { once: true });
    });
  }
}
