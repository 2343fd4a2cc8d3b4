/**
 * gantry:k8s:Unit — one function, class or variant running on the cluster: its ServiceAccount
 * (no API rights but `updateAutoscaler` on the app's ScaledObjects, through the shared Role), a
 * Deployment and, for a webApp/webServer, a Service; and its KEDA ScaledObject (scaling.ts).
 *
 * The Deployment starts at `replicas: 0` and ignores later changes of `spec.replicas`: KEDA owns
 * the count (otherwise server-side apply fights the HPA, pulumi-kubernetes #2491, and a first
 * deploy would start a GPU pod for nothing). Its pod:
 * - requests = limits for cpu, memory and `nvidia.com/gpu` (Guaranteed QoS; the device plugin
 *   hands out whole GPUs), GPU node affinity from the label profile (units.ts), the
 *   `nvidia.com/gpu` NoSchedule toleration GPU nodes are tainted with;
 * - the container contract (runtime/contract.ts, transport `redis`) in its environment, the
 *   unit's Redis password and the user's secrets by reference to their Secrets;
 * - probes on /livez and /readyz (units.ts), `terminationGracePeriodSeconds` = drain + exit;
 * - `/dev/shm` as a memory emptyDir (PyTorch data loaders and NCCL need more than 64 MiB);
 * - the service account token as an explicit projected volume (the account itself does not
 *   automount), since `updateAutoscaler` patches ScaledObjects.
 *
 * Cost: the pods' share of their nodes while they run.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { encodeContainerEnv, type ContainerContractInput } from "../../runtime/contract.ts";
import { setupTimeoutSeconds } from "../../runtime/delivery.ts";
import { KubeComponent, type DeclarationRef, type StackInfo } from "./component.ts";
import type { GpuAffinity } from "./units.ts";
import { HEALTH_PORT, HTTP_PORT, probesOf, type Probe, type Unit } from "./units.ts";
import type { RedisConnection } from "./redis.ts";
import { scaledObjectSpec } from "./scaling.ts";
import { dnsLabel } from "./names.ts";

export const CONTAINER_NAME = "main";
/** days a call's record and result stay in Redis (as on AWS) */
export const RESULT_TTL_DAYS = 7;
/** the SQS visibility rule: an entry is claimed from a silent consumer after timeout + 60 s */
export const CLAIM_MARGIN_SECONDS = 60;
/** the projected service account token's lifetime (the kubelet renews it) */
export const TOKEN_SECONDS = 3607;

/** How a unit's pod gets one of the user's secrets. */
export interface SecretRef {
  /** the Kubernetes Secret's name */
  name: string;
  /** keys known before deploy (each one env var, a missing key stops the pod); null: the whole Secret */
  keys: string[] | null;
}

export interface UnitInputs {
  unit: Unit;
  specHash: string;
  image: pulumi.Input<string>;
  imagePullSecrets: string[];
  affinity: GpuAffinity | null;
  redis: RedisConnection;
  redisUser: { name: string; secretName: string };
  /** every unit's ScaledObject as `namespace/name`, by unit id */
  scaledObjects: Record<string, string>;
  secrets: SecretRef[];
  /** volume name -> its claim */
  claims: ReadonlyMap<string, string>;
  /** a private webApp/webServer: the Secret holding the bearer token (key `token`) */
  webTokenSecret: string | null;
  labels: Record<string, string>;
  /** what must exist before pods can connect (the Redis server or its ACL Job) */
  dependsOn: pulumi.Resource[];
}

export class UnitWorkload extends KubeComponent {
  readonly serviceAccount: k8s.core.v1.ServiceAccount;
  readonly deployment: k8s.apps.v1.Deployment;
  readonly service: k8s.core.v1.Service | null;
  readonly scaledObject: k8s.apiextensions.CustomResource;

  constructor(name: string, info: StackInfo, ref: DeclarationRef, private readonly inputs: UnitInputs, opts?: pulumi.ComponentResourceOptions) {
    super("gantry:k8s:Unit", name, info, ref, opts);
    this.serviceAccount = new k8s.core.v1.ServiceAccount(`${name}-sa`, {
      metadata: this.meta(this.unit.slug, this.labels),
      automountServiceAccountToken: false,
    }, this.childOpts);
    this.deployment = this.createDeployment(name);
    this.service = this.unit.server ? this.createService(name) : null;
    this.scaledObject = new k8s.apiextensions.CustomResource(`${name}-scaling`, {
      apiVersion: "keda.sh/v1alpha1",
      kind: "ScaledObject",
      metadata: this.meta(this.unit.slug, this.labels),
      spec: scaledObjectSpec(this.unit, inputs.redis),
    }, this.after([this.deployment]));
    this.registerOutputs({ deployment: this.deployment.metadata.name });
  }

  private get unit(): Unit {
    return this.inputs.unit;
  }

  private get labels(): Record<string, string> {
    return { ...this.inputs.labels, "app.kubernetes.io/name": this.unit.slug, "gantry.dev/unit": this.unit.slug };
  }

  /** What the container is told (runtime/contract.ts) with the Redis transport's wiring. */
  contract(): ContainerContractInput {
    const u = this.unit;
    const i = this.inputs;
    return {
      app: this.info.app,
      stack: this.info.stack,
      specHash: i.specHash,
      kind: u.kind,
      declaration: u.name,
      unit: u.id,
      timeout: u.options.timeout,
      setupTimeout: setupTimeoutSeconds(u.options),
      retries: u.options.retries,
      maxInputs: u.concurrency.maxInputs,
      batching: u.batching,
      // KEDA scales in; a pod that exited by itself would only be restarted by its Deployment
      idleExit: null,
      stopTimeout: u.stopSeconds,
      drainSeconds: u.drainSeconds,
      healthPort: u.server ? null : HEALTH_PORT,
      httpPort: u.server ? HTTP_PORT : null,
      volumes: Object.fromEntries(u.options.volumes.map((m) => [m.mountPath, m.volume])),
      transport: {
        kind: "redis",
        url: i.redis.url,
        username: i.redisUser.name,
        namespace: i.redis.keyNamespace,
        claimIdleSeconds: u.options.timeout + CLAIM_MARGIN_SECONDS,
        resultTtlDays: RESULT_TTL_DAYS,
        scaledObjects: i.scaledObjects,
      },
    };
  }

  /** The user's `env`, the contract (which wins a name it shares with `env`), then secrets by reference. */
  private environment(): { env: k8s.types.input.core.v1.EnvVar[]; envFrom: k8s.types.input.core.v1.EnvFromSource[] } {
    const plain: Record<string, string> = { ...this.unit.options.env, ...encodeContainerEnv(this.contract()) };
    const env: k8s.types.input.core.v1.EnvVar[] = Object.keys(plain).sort().map((name) => ({ name, value: plain[name] }));
    env.push({ name: "GANTRY_REDIS_PASSWORD", valueFrom: { secretKeyRef: { name: this.inputs.redisUser.secretName, key: "password" } } });
    if (this.inputs.webTokenSecret) env.push({ name: "GANTRY_WEB_TOKEN", valueFrom: { secretKeyRef: { name: this.inputs.webTokenSecret, key: "token" } } });
    // a later secret wins a key (as on AWS)
    const byKey = new Map<string, string>();
    const envFrom: k8s.types.input.core.v1.EnvFromSource[] = [];
    for (const s of this.inputs.secrets) {
      if (s.keys === null) envFrom.push({ secretRef: { name: s.name } });
      else for (const key of s.keys) byKey.set(key, s.name);
    }
    for (const key of [...byKey.keys()].sort()) env.push({ name: key, valueFrom: { secretKeyRef: { name: byKey.get(key)!, key } } });
    return { env, envFrom };
  }

  private probe(p: Probe): k8s.types.input.core.v1.Probe {
    return { httpGet: { path: p.path, port: p.port }, periodSeconds: p.periodSeconds, failureThreshold: p.failureThreshold, timeoutSeconds: p.timeoutSeconds };
  }

  private affinity(): k8s.types.input.core.v1.Affinity | undefined {
    const a = this.inputs.affinity;
    if (!a) return undefined;
    return {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: a.required.map((matchExpressions) => ({ matchExpressions })) },
        ...(a.preferred.length ? {
          preferredDuringSchedulingIgnoredDuringExecution: a.preferred.map((p) => ({ weight: p.weight, preference: { matchExpressions: p.requirements } })),
        } : {}),
      },
    };
  }

  private createDeployment(name: string): k8s.apps.v1.Deployment {
    const u = this.unit;
    const r = u.resources;
    const quantities: Record<string, string> = { cpu: cpuQuantity(r.cpu), memory: `${r.memoryMiB}Mi`, ...(r.gpus ? { "nvidia.com/gpu": String(r.gpus) } : {}) };
    const probes = probesOf(u);
    const { env, envFrom } = this.environment();
    const podLabels = { ...this.labels, "gantry.dev/redis-client": "true", ...(u.server ? { "gantry.dev/web": "true" } : {}) };
    const volumes: k8s.types.input.core.v1.Volume[] = [
      // memory-backed: counts against the pod's memory limit, bounded by half of it
      { name: "shm", emptyDir: { medium: "Memory", sizeLimit: `${Math.floor(r.memoryMiB / 2)}Mi` } },
      { name: "sa-token", projected: { defaultMode: 0o444, sources: [
        { serviceAccountToken: { path: "token", expirationSeconds: TOKEN_SECONDS } },
        { configMap: { name: "kube-root-ca.crt", items: [{ key: "ca.crt", path: "ca.crt" }] } },
        { downwardAPI: { items: [{ path: "namespace", fieldRef: { fieldPath: "metadata.namespace" } }] } },
      ] } },
      ...u.options.volumes.map((m) => ({ name: volumeName(m.volume), persistentVolumeClaim: { claimName: this.claim(m.volume) } })),
    ];
    const mounts: k8s.types.input.core.v1.VolumeMount[] = [
      { name: "shm", mountPath: "/dev/shm" },
      { name: "sa-token", mountPath: "/var/run/secrets/kubernetes.io/serviceaccount", readOnly: true },
      ...u.options.volumes.map((m) => ({ name: volumeName(m.volume), mountPath: m.mountPath })),
    ];
    return new k8s.apps.v1.Deployment(`${name}-deployment`, {
      metadata: this.meta(u.slug, this.labels),
      spec: {
        replicas: 0,
        revisionHistoryLimit: 3,
        selector: { matchLabels: { "gantry.dev/unit": u.slug, "gantry.dev/stack": this.labels["gantry.dev/stack"], "app.kubernetes.io/part-of": this.labels["app.kubernetes.io/part-of"] } },
        // a worker's replacement needs the GPU its predecessor holds: never surge; web units keep serving
        strategy: { type: "RollingUpdate", rollingUpdate: u.server ? { maxSurge: 1, maxUnavailable: 0 } : { maxSurge: 0, maxUnavailable: 1 } },
        template: {
          metadata: { labels: podLabels, annotations: this.meta(u.slug).annotations },
          spec: {
            serviceAccountName: u.slug,
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            terminationGracePeriodSeconds: u.stopSeconds,
            // images are built for linux/amd64
            nodeSelector: { "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64" },
            ...(this.inputs.imagePullSecrets.length ? { imagePullSecrets: this.inputs.imagePullSecrets.map((n) => ({ name: n })) } : {}),
            ...(this.inputs.affinity ? { affinity: this.affinity() } : {}),
            ...(r.gpus ? { tolerations: [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }] } : {}),
            containers: [{
              name: CONTAINER_NAME,
              image: this.inputs.image,
              imagePullPolicy: "IfNotPresent",
              env,
              ...(envFrom.length ? { envFrom } : {}),
              ports: [u.server ? { name: "http", containerPort: HTTP_PORT, protocol: "TCP" } : { name: "health", containerPort: HEALTH_PORT, protocol: "TCP" }],
              resources: { requests: quantities, limits: quantities },
              startupProbe: this.probe(probes.startup),
              livenessProbe: this.probe(probes.liveness),
              readinessProbe: this.probe(probes.readiness),
              volumeMounts: mounts,
              securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
            }],
            volumes,
          },
        },
      },
    }, this.after([this.serviceAccount, ...this.inputs.dependsOn], {
      // KEDA owns the count after the first deploy
      ignoreChanges: ["spec.replicas"],
    }));
  }

  private claim(volume: string): string {
    const claim = this.inputs.claims.get(volume);
    if (!claim) throw new Error(`volume "${volume}" is not declared`);
    return claim;
  }

  private createService(name: string): k8s.core.v1.Service {
    return new k8s.core.v1.Service(`${name}-service`, {
      metadata: this.meta(this.unit.slug, this.labels),
      spec: {
        selector: { "gantry.dev/unit": this.unit.slug, "gantry.dev/stack": this.labels["gantry.dev/stack"], "app.kubernetes.io/part-of": this.labels["app.kubernetes.io/part-of"] },
        ports: [{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }],
      },
    }, this.childOpts);
  }
}

/** `0.5` -> `500m`, `2` -> `2`. */
export function cpuQuantity(cores: number): string {
  return Number.isInteger(cores) ? String(cores) : `${Math.round(cores * 1000)}m`;
}

/** The pod's name for a Volume's claim (a DNS-1123 label). */
export function volumeName(volume: string): string {
  return dnsLabel(`vol-${volume}`);
}
