/**
 * `updateAutoscaler(settings)` applied where Kubernetes scales the unit: its KEDA ScaledObject,
 * patched through the API server as the pod's ServiceAccount (the stack's Role `gantry-autoscaler`
 * may get and patch exactly the app's ScaledObjects; the token, the cluster's CA and the namespace
 * are the pod's projected `/var/run/secrets/kubernetes.io/serviceaccount`). A JSON merge patch
 * (RFC 7386) sets only what the settings name:
 *   minContainers -> spec.minReplicaCount, maxContainers -> spec.maxReplicaCount,
 *   scaledownWindow -> spec.cooldownPeriod (1 -> 0) and the HPA's scale-down stabilization window (N -> M),
 *   bufferContainers -> the scaling formula's buffer term (with the object's own target, its targetInputs).
 * The next deploy puts the declared values back. Outside a pod (no service account) nothing is patched.
 */
import { existsSync, readFileSync } from "node:fs";
import type { AutoscalerSettings } from "../../sdk/options.ts";
import { kubeRequest, statusMessage, type KubeApi } from "../kubernetes/api.ts";

export type { KubeApi } from "../kubernetes/api.ts";

export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/** The formula KEDA evaluates over a unit's lag, pending and retry numbers (provider/kubernetes/scaling.ts writes it). */
export function scalingFormula(bufferContainers: number, targetInputs: number): string {
  const work = "lag + pending + retry";
  const buffer = bufferContainers * targetInputs;
  return buffer > 0 ? `(${work}) > 0 ? ${work} + ${buffer} : 0` : work;
}

/** The API server as this pod reaches it, or null outside a pod. */
export function inClusterApi(env: NodeJS.ProcessEnv = process.env, dir = SERVICE_ACCOUNT_DIR): KubeApi | null {
  const host = env.KUBERNETES_SERVICE_HOST;
  if (!host || !existsSync(`${dir}/token`)) return null;
  const port = env.KUBERNETES_SERVICE_PORT || "443";
  return {
    server: `https://${host.includes(":") ? `[${host}]` : host}:${port}`,
    token: () => readFileSync(`${dir}/token`, "utf8").trim(),
    ...(existsSync(`${dir}/ca.crt`) ? { ca: readFileSync(`${dir}/ca.crt`) } : {}),
  };
}

interface ScaledObjectView {
  spec?: { advanced?: { scalingModifiers?: { target?: string } } };
}

/** The merge patch of `settings` for an object whose scaling target (targetInputs) is `target`. */
export function scaledObjectPatch(settings: AutoscalerSettings, target: number | null): Record<string, unknown> {
  const spec: Record<string, unknown> = {};
  if (settings.minContainers !== undefined) spec.minReplicaCount = settings.minContainers;
  if (settings.maxContainers !== undefined) spec.maxReplicaCount = settings.maxContainers;
  const advanced: Record<string, unknown> = {};
  if (settings.scaledownWindow !== undefined) {
    const seconds = Math.round(settings.scaledownWindow);
    spec.cooldownPeriod = seconds;
    advanced.horizontalPodAutoscalerConfig = { behavior: { scaleDown: { stabilizationWindowSeconds: seconds } } };
  }
  if (settings.bufferContainers !== undefined && target !== null) advanced.scalingModifiers = { formula: scalingFormula(settings.bufferContainers, target) };
  if (Object.keys(advanced).length) spec.advanced = advanced;
  return { spec };
}

/** Applies `settings` to the ScaledObject `namespace/name`; the API server's refusal is thrown with its reason. */
export async function patchScaledObject(api: KubeApi, ref: string, settings: AutoscalerSettings): Promise<void> {
  const [namespace, name] = ref.split("/");
  const path = `/apis/keda.sh/v1alpha1/namespaces/${encodeURIComponent(namespace)}/scaledobjects/${encodeURIComponent(name)}`;
  let target: number | null = null;
  if (settings.bufferContainers !== undefined) {
    const current = JSON.parse(await call(api, "GET", path, ref)) as ScaledObjectView;
    const t = Number(current.spec?.advanced?.scalingModifiers?.target);
    if (!Number.isFinite(t) || t <= 0) throw new Error(`updateAutoscaler: the ScaledObject ${ref} has no scalingModifiers target to size bufferContainers with`);
    target = t;
  }
  await call(api, "PATCH", path, ref, JSON.stringify(scaledObjectPatch(settings, target)));
}

async function call(api: KubeApi, method: "GET" | "PATCH", path: string, ref: string, body?: string): Promise<string> {
  const answer = await kubeRequest(api, { method, path, ...(body !== undefined ? { body } : {}) }).catch((e: Error) => {
    throw new Error(`updateAutoscaler: ${method} ScaledObject ${ref}: ${e.message}`);
  });
  if (answer.status < 300) return answer.text;
  const hint = answer.status === 403 ? " (the unit's ServiceAccount needs the stack's Role gantry-autoscaler)" : "";
  throw new Error(`updateAutoscaler: ${method} ScaledObject ${ref}: ${answer.status} ${statusMessage(answer.text)}${hint}`);
}
