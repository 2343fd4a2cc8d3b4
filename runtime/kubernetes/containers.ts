/**
 * The containers of a Kubernetes stack for `gantry status`: each unit's Deployment (desired and
 * ready replicas) and whether `gantry stop` (or a hand-set KEDA pause) holds its ScaledObject,
 * read with the same label selector stop and start use (pause.ts).
 */
import { listObjects, type KubeApi } from "./api.ts";
import { PAUSED_REPLICAS, STOPPED } from "./pause.ts";

export interface UnitContainers {
  /** the unit's slug (label gantry.dev/unit) */
  unit: string;
  desired: number;
  ready: number;
  /** "gantry stop", "paused by hand" or null when KEDA scales it */
  stopped: "gantry stop" | "paused by hand" | null;
}

interface Labelled {
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
}
interface Deployment extends Labelled {
  spec?: { replicas?: number };
  status?: { readyReplicas?: number };
}

export async function stackContainers(api: KubeApi, o: { namespace: string; selector: string }): Promise<UnitContainers[]> {
  const selector = `${o.selector},gantry.dev/unit`;
  const deployments = await listObjects<Deployment>(api, "/apis/apps/v1", { resource: "deployments.apps", namespace: o.namespace }, "deployments", selector);
  const scaled = await listObjects<Labelled>(api, "/apis/keda.sh/v1alpha1", { resource: "scaledobjects.keda.sh", namespace: o.namespace }, "scaledobjects", selector);
  const pauseOf = new Map(scaled.map((s) => {
    const a = s.metadata.annotations ?? {};
    const state = a[STOPPED] !== undefined ? "gantry stop" as const : a[PAUSED_REPLICAS] !== undefined ? "paused by hand" as const : null;
    return [s.metadata.labels?.["gantry.dev/unit"] ?? s.metadata.name, state];
  }));
  return deployments
    .map((d) => {
      const unit = d.metadata.labels?.["gantry.dev/unit"] ?? d.metadata.name;
      return { unit, desired: d.spec?.replicas ?? 0, ready: d.status?.readyReplicas ?? 0, stopped: pauseOf.get(unit) ?? null };
    })
    .sort((a, b) => a.unit.localeCompare(b.unit));
}
