/**
 * `gantry stop` / `gantry start` on a Kubernetes stack (runtime/kubernetes/pause.ts): the API server
 * of the current kubeconfig context, the stack's namespace; one line per object changed or not.
 * Exit 1 (the message says what is missing) when there is no usable kubeconfig or the API refuses.
 */
import type { KubeApi } from "../runtime/kubernetes/api.ts";
import type { PauseOutcome } from "../runtime/kubernetes/pause.ts";
import type { KubernetesStack, OpsTarget } from "./ops-target.ts";

interface Streams {
  out: (t: string) => void;
  err: (t: string) => void;
}

/** What the user needs in the stack's namespace for stop and start (README, --help). */
export const STOP_RBAC = [
  "scaledobjects.keda.sh: list, patch",
  "cronjobs.batch: list, patch",
];

/** The API of the kubeconfig, then `work` with it; kubeconfig and API errors print as `gantry <verb>: …`, exit 1. */
export async function withKubeApi(verb: string, s: Streams, work: (api: KubeApi) => Promise<void>, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const { kubeconfigApi, KubeconfigError } = await import("../runtime/kubernetes/kubeconfig.ts");
  const { KubeAccessError } = await import("../runtime/kubernetes/api.ts");
  try {
    await work(kubeconfigApi(env));
  } catch (e) {
    if (!(e instanceof KubeconfigError) && !(e instanceof KubeAccessError)) throw e;
    s.err(`gantry ${verb}: ${e.message}\n`);
    process.exitCode = 1;
  }
}

/** The stack's label selector as the provider writes its labels. */
export async function selectorOf(target: OpsTarget): Promise<string> {
  const { labelValue } = await import("../provider/kubernetes/names.ts");
  const { stackSelector } = await import("../runtime/kubernetes/pause.ts");
  return stackSelector({ app: labelValue(target.spec.app.name), stack: labelValue(target.stack) });
}

const NOTE: Partial<Record<PauseOutcome["action"], string>> = {
  paused: ' (autoscaling.keda.sh/paused-replicas: "0")',
  "already paused": " (not by gantry stop: gantry start leaves it)",
};
const line = (o: PauseOutcome) => `  ${`${o.kind} ${o.name}`.padEnd(32)} ${o.action}${NOTE[o.action] ?? ""}\n`;

export async function kubernetesStopStart(verb: "stop" | "start", target: OpsTarget, k: KubernetesStack, s: Streams): Promise<void> {
  const { pauseStack } = await import("../runtime/kubernetes/pause.ts");
  const selector = await selectorOf(target);
  await withKubeApi(verb, s, async (api) => {
    s.out(`${verb === "stop" ? "stopping" : "starting"} ${target.spec.app.name}, stack ${target.stack} (kubernetes, namespace ${k.namespace})\n`);
    const outcomes = await pauseStack(api, verb, { namespace: k.namespace, selector, onObject: (o) => s.out(line(o)) });
    const changed = outcomes.filter((o) => o.patch).length;
    if (outcomes.length === 0) s.out(`  no ScaledObjects or CronJobs of the stack in namespace ${k.namespace} (is it deployed? kubectl get scaledobjects -n ${k.namespace})\n`);
    if (verb === "stop") s.out(`changed ${changed} of ${outcomes.length}; volumes, secrets and queued inputs are kept. Undo: gantry start ${target.appLabel} --stack ${target.stack}\n`);
    else s.out(`changed ${changed} of ${outcomes.length}\n`);
  });
}
