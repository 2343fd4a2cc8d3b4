/**
 * `gantry stop` / `gantry start` on a Kubernetes stack, through the API server: every unit's KEDA
 * ScaledObject paused at zero replicas with KEDA's annotation `autoscaling.keda.sh/paused-replicas: "0"`
 * (KEDA scales the Deployment to 0 and stops scaling it until the annotation goes: queue units and
 * web units alike, a web unit's CPU ScaledObject included), and the stack's CronJobs suspended
 * (`spec.suspend: true`). Each object gantry pauses gets the annotation `gantry.dev/stopped` with what
 * it had (a paused-replicas value set before, JSON), so `start` undoes exactly that and leaves
 * objects paused by hand alone. JSON merge patches (RFC 7386; `null` removes an annotation).
 * Volumes (PVCs), Secrets and the Redis state are not touched: inputs wait in their streams.
 */
import { kubeCall, listObjects, type KubeApi } from "./api.ts";

export const PAUSED_REPLICAS = "autoscaling.keda.sh/paused-replicas";
export const STOPPED = "gantry.dev/stopped";

interface KubeObject {
  metadata: { name: string; annotations?: Record<string, string> };
  spec?: { suspend?: boolean };
}

export interface PauseOutcome {
  kind: "ScaledObject" | "CronJob";
  name: string;
  action: "paused" | "suspended" | "already stopped" | "already paused" | "resumed" | "unsuspended" | "not stopped";
  /** the merge patch sent, if any */
  patch?: Record<string, unknown>;
}

const SCALED = { base: "/apis/keda.sh/v1alpha1", plural: "scaledobjects", resource: "scaledobjects.keda.sh" };
const CRON = { base: "/apis/batch/v1", plural: "cronjobs", resource: "cronjobs.batch" };

const annotations = (a: Record<string, string | null>) => ({ metadata: { annotations: a } });

/** What `stop` does to a ScaledObject: its patch, or why none. */
export function stopScaledObject(o: KubeObject): Pick<PauseOutcome, "action" | "patch"> {
  const a = o.metadata.annotations ?? {};
  if (a[STOPPED] !== undefined) return { action: "already stopped" };
  if (a[PAUSED_REPLICAS] === "0") return { action: "already paused" };
  return { action: "paused", patch: annotations({ [PAUSED_REPLICAS]: "0", [STOPPED]: JSON.stringify(a[PAUSED_REPLICAS] !== undefined ? { pausedReplicas: a[PAUSED_REPLICAS] } : {}) }) };
}

export function startScaledObject(o: KubeObject): Pick<PauseOutcome, "action" | "patch"> {
  const recorded = o.metadata.annotations?.[STOPPED];
  if (recorded === undefined) return { action: "not stopped" };
  let before: { pausedReplicas?: string } = {};
  try {
    before = JSON.parse(recorded) as typeof before;
  } catch {
    // a hand-edited record: resume
  }
  return { action: "resumed", patch: annotations({ [PAUSED_REPLICAS]: before.pausedReplicas ?? null, [STOPPED]: null }) };
}

export function stopCronJob(o: KubeObject): Pick<PauseOutcome, "action" | "patch"> {
  if (o.metadata.annotations?.[STOPPED] !== undefined) return { action: "already stopped" };
  if (o.spec?.suspend) return { action: "already paused" };
  return { action: "suspended", patch: { ...annotations({ [STOPPED]: "{}" }), spec: { suspend: true } } };
}

export function startCronJob(o: KubeObject): Pick<PauseOutcome, "action" | "patch"> {
  if (o.metadata.annotations?.[STOPPED] === undefined) return { action: "not stopped" };
  return { action: "unsuspended", patch: { ...annotations({ [STOPPED]: null }), spec: { suspend: false } } };
}

/** The stack's objects' label selector (provider/kubernetes/component.ts stackLabels). */
export function stackSelector(labels: { app: string; stack: string }): string {
  return `app.kubernetes.io/part-of=${labels.app},gantry.dev/stack=${labels.stack}`;
}

/**
 * Stops (CronJobs first: no new scheduled inputs) or starts (ScaledObjects first) the stack's
 * objects in `namespace`, calling `onObject` as each is done.
 */
export async function pauseStack(api: KubeApi, verb: "stop" | "start", o: { namespace: string; selector: string; onObject?: (r: PauseOutcome) => void }): Promise<PauseOutcome[]> {
  const kinds = [
    { kind: "CronJob" as const, ...CRON, selector: `${o.selector},gantry.dev/role=schedule`, decide: verb === "stop" ? stopCronJob : startCronJob },
    { kind: "ScaledObject" as const, ...SCALED, selector: `${o.selector},gantry.dev/unit`, decide: verb === "stop" ? stopScaledObject : startScaledObject },
  ];
  if (verb === "start") kinds.reverse();
  const out: PauseOutcome[] = [];
  for (const k of kinds) {
    const action = { resource: k.resource, namespace: o.namespace };
    const items = await listObjects<KubeObject>(api, k.base, action, k.plural, k.selector);
    for (const item of items.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))) {
      const decided = k.decide(item);
      if (decided.patch) {
        const path = `${k.base}/namespaces/${encodeURIComponent(o.namespace)}/${k.plural}/${encodeURIComponent(item.metadata.name)}`;
        await kubeCall(api, { ...action, verb: "patch", name: item.metadata.name }, { method: "PATCH", path, body: JSON.stringify(decided.patch) });
      }
      const r: PauseOutcome = { kind: k.kind, name: item.metadata.name, ...decided };
      out.push(r);
      o.onObject?.(r);
    }
  }
  return out;
}
