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
import { request } from "node:https";
import type { AutoscalerSettings } from "../../sdk/options.ts";

export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/** The formula KEDA evaluates over a unit's lag, pending and retry numbers (provider/kubernetes/scaling.ts writes it). */
export function scalingFormula(bufferContainers: number, targetInputs: number): string {
  const work = "lag + pending + retry";
  const buffer = bufferContainers * targetInputs;
  return buffer > 0 ? `(${work}) > 0 ? ${work} + ${buffer} : 0` : work;
}

export interface KubeApi {
  /** https://host:port of the API server */
  server: string;
  /** read on every request: the kubelet rotates the projected token */
  token(): string;
  ca?: Buffer;
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

function call(api: KubeApi, method: "GET" | "PATCH", path: string, ref: string, body?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, api.server), {
      method,
      ...(api.ca ? { ca: api.ca } : {}),
      headers: {
        authorization: `Bearer ${api.token()}`,
        accept: "application/json",
        ...(body ? { "content-type": "application/merge-patch+json", "content-length": Buffer.byteLength(body) } : {}),
      },
      timeout: 10_000,
    }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () => {
        if (res.statusCode && res.statusCode < 300) return resolve(text);
        let reason = text;
        try {
          reason = (JSON.parse(text) as { message?: string }).message ?? text;
        } catch {
          // not a Status object
        }
        const hint = res.statusCode === 403 ? " (the unit's ServiceAccount needs the stack's Role gantry-autoscaler)" : "";
        reject(new Error(`updateAutoscaler: ${method} ScaledObject ${ref}: ${res.statusCode} ${reason}${hint}`));
      });
    });
    req.on("timeout", () => req.destroy(new Error(`updateAutoscaler: ${method} ScaledObject ${ref}: no answer from ${api.server} within 10 s`)));
    req.on("error", reject);
    req.end(body);
  });
}
