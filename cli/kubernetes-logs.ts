/**
 * `gantry logs --stack` on a Kubernetes stack (runtime/kubernetes/pod-logs.ts): the units' pods
 * (label gantry.dev/unit; `--function` keeps that declaration's units) and, for an app with web
 * endpoints, the gateway's (gantry.dev/role=gateway, as `web`), each line prefixed with its
 * container as the AWS path prints it (`parse#x7k2q`: the unit and the pod name's last part),
 * `Secret.fromDict` values masked. The values of Kubernetes Secrets are not read (that would need
 * get on secrets); the containers mask gantry's own lines.
 */
import { SecretMask } from "../runtime/secret-mask.ts";
import type { KubeApi } from "../runtime/kubernetes/api.ts";
import type { Pod, PodLine } from "../runtime/kubernetes/pod-logs.ts";
import type { LogsFlags } from "./commands/logs.ts";
import { selectorOf, withKubeApi } from "./kubernetes-stop.ts";
import { DEFAULT_SINCE_MS, unitsNamed } from "./aws-logs.ts";
import { formatLogLine } from "./ops-format.ts";
import type { KubernetesStack, OpsTarget } from "./ops-target.ts";

export const LOGS_RBAC = ["pods: list", "pods/log: get"];

interface Deps {
  out: (t: string) => void;
  err: (t: string) => void;
  now?: () => number;
  signal?: AbortSignal;
}

export async function kubernetesLogs(target: OpsTarget, k: KubernetesStack, flags: LogsFlags, sinceMs: number | undefined, d: Deps): Promise<void> {
  const { listPods, readPodLogs, followPods } = await import("../runtime/kubernetes/pod-logs.ts");
  const units = flags.function !== undefined ? unitsNamed(target, flags.function) : target.units;
  const labelOf = new Map(units.map((u) => [u.slug, u.id]));
  const base = await selectorOf(target);
  const web = flags.function === undefined && target.units.some((u) => u.endpoints.length);
  const mask = new SecretMask();
  for (const values of Object.values(target.secretValues)) mask.add(Object.values(values));
  const containerOf = (pod: Pod) => {
    const unit = pod.metadata.labels?.["gantry.dev/unit"];
    return `${unit !== undefined ? labelOf.get(unit) ?? unit : "web"}#${pod.metadata.name.split("-").pop()}`;
  };
  const startTime = sinceMs ?? (d.now?.() ?? Date.now()) - DEFAULT_SINCE_MS;
  await withKubeApi("logs", d, async (api: KubeApi) => {
    const list = async () => {
      const pods = (await listPods(api, k.namespace, `${base},gantry.dev/unit`)).filter((p) => labelOf.has(p.metadata.labels?.["gantry.dev/unit"] ?? ""));
      if (web) pods.push(...await listPods(api, k.namespace, `${base},gantry.dev/role=gateway`));
      return pods;
    };
    const pods = await list();
    const byName = new Map(pods.map((p) => [p.metadata.name, containerOf(p)]));
    const print = (line: PodLine) => {
      if (flags.call !== undefined && !line.text.includes(flags.call)) return;
      d.out(formatLogLine({ time: line.time, container: byName.get(line.pod) ?? line.pod, text: mask.mask(line.text) }, !!flags.json));
    };
    const { lines, problems } = await readPodLogs(api, k.namespace, pods, startTime, d.now?.() ?? Date.now());
    for (const p of problems) d.err(`gantry logs: no log of pod ${p.pod} yet (${p.reason})\n`);
    for (const line of lines) print(line);
    if (!flags.follow) {
      if (pods.length === 0) d.err(`gantry logs: no pods of the stack in namespace ${k.namespace} (units at zero containers have none; kubectl get pods -n ${k.namespace} -l ${base})\n`);
      else if (lines.length === 0) d.err(`gantry logs: no lines since ${new Date(startTime).toISOString()}${flags.since === undefined ? " (the last 10 min; --since 1h looks further back)" : ""}\n`);
      return;
    }
    const after = new Map<string, string>();
    for (const line of lines) after.set(line.pod, line.stamp);
    const controller = new AbortController();
    const stop = () => controller.abort();
    d.signal?.addEventListener("abort", stop, { once: true });
    process.on("SIGINT", stop);
    try {
      await followPods(api, k.namespace, {
        after,
        sinceMs: startTime,
        signal: controller.signal,
        list: async () => {
          const now = await list();
          for (const p of now) byName.set(p.metadata.name, containerOf(p));
          return now;
        },
        onLine: print,
      });
    } finally {
      process.off("SIGINT", stop);
    }
  });
}
