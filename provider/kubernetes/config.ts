/**
 * The Kubernetes target's stack config, one key `gantry:kubernetes` (besides the keys every target
 * reads, provider/config.ts). Every field has a default, so `gantry synth --target kubernetes`
 * works on an empty stack:
 *
 *   gantry:kubernetes:
 *     namespace: gantry-llm-prod          # default gantry-<app>-<stack>, created by the stack
 *     createNamespace: true               # false: the namespace exists (RBAC by the platform team)
 *     gpuLabels: karpenter                # karpenter | gke | gfd: which node labels name a GPU type
 *     nodePools: none                     # karpenter: a Karpenter NodePool per GPU shape
 *     nodeClass: { group: karpenter.k8s.aws, kind: EC2NodeClass, name: default }
 *     storageClass: efs-sc                # ReadWriteMany class of Volume claims
 *     registry: 123456789012.dkr.ecr.us-east-1.amazonaws.com/llm   # where images are pushed
 *     imagePullSecrets: [regcred]
 *     redis: { deploy: { storage: 10Gi, storageClass: gp3 } }      # the default: the stack runs one
 *     redis: { url: rediss://redis.internal:6380, credentialsSecret: redis-admin }  # or an existing server
 *     gateway: { name: public, namespace: gateway-system, sectionName: https }     # Gateway API parent
 *     hostnames: [api.example.com]
 *     kedaNamespace: keda                 # where KEDA's operator runs (NetworkPolicy to Redis)
 *
 * The per-unit Redis passwords are derived from the stack secret `gantry:redisSecret`
 * (`pulumi config set --secret gantry:redisSecret $(openssl rand -hex 32)`), never from code.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import type { StackConfigReader } from "../config.ts";
import { GPU_LABEL_PROFILES, type GpuLabelProfile } from "./gpu-labels.ts";

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const dnsLabel = z.string().regex(DNS_LABEL, "a DNS-1123 label: lowercase letters, digits and '-', at most 63 characters");
/** Kubernetes quantities of bytes (10Gi, 500M) */
const quantity = z.string().regex(/^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/, "a Kubernetes quantity such as 10Gi");

export const DEFAULT_REDIS_IMAGE = "redis:7.4-alpine";

const DeployedRedis = z.object({
  deploy: z.object({
    storage: quantity.default("10Gi"),
    /** the PVC's class (ReadWriteOnce is enough); default: the cluster's default class */
    storageClass: dnsLabel.optional(),
    image: z.string().min(1).default(DEFAULT_REDIS_IMAGE),
    /** `maxmemory`; keep below the pod's memory limit */
    memory: quantity.default("2Gi"),
  }).strict(),
}).strict();

const ExistingRedis = z.object({
  /** redis:// or rediss:// host:port, without credentials (they live in credentialsSecret) */
  url: z.string().regex(/^rediss?:\/\/[^@/\s:]+(:\d+)?(\/\d+)?$/, "a redis:// or rediss:// URL with host[:port] and no credentials"),
  /**
   * a Secret in the namespace with `password` (and optionally `username`) of a user allowed to run
   * ACL SETUSER: the stack's Job creates the per-unit users with it
   */
  credentialsSecret: dnsLabel,
}).strict();

const NodeClass = z.object({ group: z.string().min(1), kind: z.string().min(1), name: dnsLabel }).strict();

const GatewayParent = z.object({ name: dnsLabel, namespace: dnsLabel.optional(), sectionName: z.string().min(1).optional() }).strict();

const KubernetesInput = z.object({
  namespace: dnsLabel.optional(),
  createNamespace: z.boolean().default(true),
  gpuLabels: z.enum(Object.keys(GPU_LABEL_PROFILES) as [GpuLabelProfile, ...GpuLabelProfile[]]).default("karpenter"),
  nodePools: z.enum(["none", "karpenter"]).default("none"),
  nodeClass: NodeClass.default({ group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "default" }),
  storageClass: dnsLabel.optional(),
  registry: z.string().regex(/^[a-z0-9.-]+(:\d+)?(\/[a-z0-9._/-]+)?$/, "a registry and repository prefix such as ghcr.io/acme/app").optional(),
  imagePullSecrets: z.array(dnsLabel).default([]),
  // checked on its own (readRedis): which of the two forms is meant shows in its keys
  redis: z.unknown().optional(),
  gateway: GatewayParent.default({ name: "gantry" }),
  hostnames: z.array(z.string().min(1)).default([]),
  kedaNamespace: dnsLabel.default("keda"),
}).strict();

export type RedisSettings =
  | { kind: "deploy"; storage: string; storageClass: string | null; image: string; memory: string }
  | { kind: "existing"; url: string; credentialsSecret: string };

export interface KubernetesSettings {
  /** null: gantry-<app>-<stack>, decided when the app name is known */
  namespace: string | null;
  createNamespace: boolean;
  gpuLabels: GpuLabelProfile;
  nodePools: "none" | "karpenter";
  nodeClass: { group: string; kind: string; name: string };
  storageClass: string | null;
  /** null: not set; images then go to localhost:5000/<app> (a note says so) */
  registry: string | null;
  imagePullSecrets: string[];
  redis: RedisSettings;
  gateway: { name: string; namespace: string | null; sectionName: string | null };
  hostnames: string[];
  kedaNamespace: string;
  /** `gantry:redisSecret`: seed of every Redis user's password; null: users stay disabled */
  redisSecret: pulumi.Output<string> | null;
}

const DEFAULT_REDIS: RedisSettings = { kind: "deploy", storage: "10Gi", storageClass: null, image: DEFAULT_REDIS_IMAGE, memory: "2Gi" };

/** `redis`: `{ url, credentialsSecret }` (a server the platform runs) or `{ deploy: {...} }` (the default). */
function readRedis(reader: StackConfigReader, raw: unknown): RedisSettings {
  if (raw === undefined) return DEFAULT_REDIS;
  const existing = typeof raw === "object" && raw !== null && ("url" in raw || "credentialsSecret" in raw);
  if (existing) {
    const parsed = reader.parse("kubernetes.redis", ExistingRedis, raw);
    return parsed ? { kind: "existing", url: parsed.url, credentialsSecret: parsed.credentialsSecret } : DEFAULT_REDIS;
  }
  if (typeof raw !== "object" || raw === null || !("deploy" in raw)) {
    reader.problem("kubernetes.redis", "expected { url: redis://host:port, credentialsSecret: <Secret name> } for an existing server, or { deploy: { storage, storageClass, memory } } for one the stack runs");
    return DEFAULT_REDIS;
  }
  const parsed = reader.parse("kubernetes.redis", DeployedRedis, raw);
  return parsed ? { kind: "deploy", storage: parsed.deploy.storage, storageClass: parsed.deploy.storageClass ?? null, image: parsed.deploy.image, memory: parsed.deploy.memory } : DEFAULT_REDIS;
}

export function readKubernetesSettings(reader: StackConfigReader): KubernetesSettings {
  const raw = reader.getObject("kubernetes") ?? {};
  const parsed = reader.parse("kubernetes", KubernetesInput, raw);
  const input = parsed ?? KubernetesInput.parse({});
  if (parsed && input.nodePools === "karpenter" && input.gpuLabels !== "karpenter") {
    // a NodePool's requirements must name labels Karpenter itself puts on the nodes it launches
    reader.problem("kubernetes.nodePools", `karpenter node pools select GPUs by Karpenter's own labels: set gpuLabels: karpenter (it is ${input.gpuLabels})`);
  }
  // read from the raw value, so its problems show even when another key is wrong
  const redis = readRedis(reader, typeof raw === "object" && raw !== null ? (raw as { redis?: unknown }).redis : undefined);
  return {
    namespace: input.namespace ?? null,
    createNamespace: input.createNamespace,
    gpuLabels: input.gpuLabels,
    nodePools: input.nodePools,
    nodeClass: input.nodeClass,
    storageClass: input.storageClass ?? null,
    registry: input.registry ?? null,
    imagePullSecrets: input.imagePullSecrets,
    redis,
    gateway: { name: input.gateway.name, namespace: input.gateway.namespace ?? null, sectionName: input.gateway.sectionName ?? null },
    hostnames: input.hostnames,
    kedaNamespace: input.kedaNamespace,
    redisSecret: reader.getSecret("redisSecret") ?? null,
  };
}
