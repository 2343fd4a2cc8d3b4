/**
 * Every manifest of a Kubernetes plan checked twice:
 *
 * 1. against the real schemas: `kubernetes-models` (core, apps, batch, networking, rbac) and
 *    `@kubernetes-models/keda`, `/karpenter`, `/gateway-api` (`new Kind(manifest).validate()`);
 * 2. a strict pass for what those schemas let through:
 *    - unknown fields: the schemas ignore properties they do not declare (an API server with
 *      strict field validation refuses them). A field is known when the schema checks it: each
 *      field of the manifest is replaced in turn by a value of the wrong type, and a field whose
 *      replacement still validates is one the schema does not know;
 *    - object names: DNS-1123 labels (Services: DNS-1035, starting with a letter), CronJobs at most
 *      52 characters (their Jobs append 11);
 *    - label keys and values (at most 63 characters, alphanumeric at both ends), annotation keys;
 *    - container, volume and port names (IANA service names: at most 15 characters);
 *    - KEDA: at least one trigger, 1 <= maxReplicaCount, minReplicaCount <= maxReplicaCount, named
 *      triggers when scalingModifiers reads them by name.
 *
 * Plan values that stand for something the plan hides ("[secret]") are replaced by a value of
 * the shape the field takes before validation.
 */
import { ConfigMap, Namespace, PersistentVolumeClaim, Secret, Service, ServiceAccount } from "kubernetes-models/v1";
import { Deployment, StatefulSet } from "kubernetes-models/apps/v1";
import { CronJob, Job } from "kubernetes-models/batch/v1";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { Role, RoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1";
import { ScaledObject, TriggerAuthentication } from "@kubernetes-models/keda/keda.sh/v1alpha1";
import { NodePool } from "@kubernetes-models/karpenter/karpenter.sh/v1";
import { HTTPRoute } from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1";
import type { Plan, PlanResource } from "../../../provider/plan.ts";

interface Validatable {
  validate(): void;
}
type ModelClass = new (data: any) => Validatable;

/** Plan type -> the model that validates its manifest. */
export const MODELS: Record<string, ModelClass> = {
  "kubernetes:core/v1:Namespace": Namespace,
  "kubernetes:core/v1:ConfigMap": ConfigMap,
  "kubernetes:core/v1:Secret": Secret,
  "kubernetes:core/v1:Service": Service,
  "kubernetes:core/v1:ServiceAccount": ServiceAccount,
  "kubernetes:core/v1:PersistentVolumeClaim": PersistentVolumeClaim,
  "kubernetes:apps/v1:Deployment": Deployment,
  "kubernetes:apps/v1:StatefulSet": StatefulSet,
  "kubernetes:batch/v1:CronJob": CronJob,
  "kubernetes:batch/v1:Job": Job,
  "kubernetes:networking.k8s.io/v1:NetworkPolicy": NetworkPolicy,
  "kubernetes:rbac.authorization.k8s.io/v1:Role": Role,
  "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding": RoleBinding,
  "kubernetes:keda.sh/v1alpha1:ScaledObject": ScaledObject,
  "kubernetes:keda.sh/v1alpha1:TriggerAuthentication": TriggerAuthentication,
  "kubernetes:karpenter.sh/v1:NodePool": NodePool,
  "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute": HTTPRoute,
};

/** The manifests of a plan: its resources that are Kubernetes objects. */
export function manifestsOf(plan: Plan): PlanResource[] {
  return plan.resources.filter((r) => r.type.startsWith("kubernetes:"));
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The manifest as the cluster would get it: what the plan shows as "[secret]" given a shape. */
export function unmasked(inputs: Record<string, unknown>): Record<string, Json> {
  const copy = structuredClone(inputs) as Record<string, Json>;
  for (const key of ["data", "stringData"]) if (copy[key] === "[secret]") copy[key] = {};
  for (const [key, value] of Object.entries(copy)) {
    if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) if (v === "[secret]" && (key === "data" || key === "stringData")) value[k] = "x";
    }
  }
  return copy;
}

function schemaErrors(model: ModelClass, manifest: Record<string, Json>): Array<{ instancePath: string; message?: string }> {
  try {
    new model(manifest).validate();
    return [];
  } catch (err) {
    const errors = (err as { errors?: Array<{ instancePath: string; message?: string }> }).errors;
    if (!errors) throw err;
    return errors;
  }
}

/** JSON pointer of a path (`/spec/template/spec/containers/0/env`). */
function pointer(path: Array<string | number>): string {
  return path.map((p) => `/${String(p).replace(/~/g, "~0").replace(/\//g, "~1")}`).join("");
}

function setAt(root: Json, path: Array<string | number>, value: Json): void {
  let node = root as any;
  for (const p of path.slice(0, -1)) node = node[p];
  node[path[path.length - 1]] = value;
}

/** A value no schema of the original's kind accepts: an object for scalars and arrays, a string for objects. */
function wrongTypeFor(value: Json): Json {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? "\u0000not-an-object" : { "\u0000": "not-a-scalar" };
}

/** Paths of every object property in the manifest (not array indices themselves, but what is inside them). */
function propertyPaths(value: Json, path: Array<string | number> = []): Array<Array<string | number>> {
  const out: Array<Array<string | number>> = [];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...propertyPaths(v, [...path, i])));
  else if (typeof value === "object" && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      out.push([...path, k]);
      out.push(...propertyPaths(v, [...path, k]));
    }
  }
  return out;
}

/** Fields of the manifest the schema does not check (unknown to it), as JSON pointers. */
export function unknownFields(model: ModelClass, manifest: Record<string, Json>): string[] {
  const unknown: string[] = [];
  for (const path of propertyPaths(manifest)) {
    // inside a field already found unknown, every field is unknown too: report the outermost
    const at = pointer(path);
    if (unknown.some((u) => at.startsWith(`${u}/`))) continue;
    const probe = structuredClone(manifest);
    let original: any = probe;
    for (const p of path) original = original[p];
    setAt(probe, path, wrongTypeFor(original as Json));
    if (!schemaErrors(model, probe).some((e) => e.instancePath === at || e.instancePath.startsWith(`${at}/`))) unknown.push(at);
  }
  return unknown;
}

const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS_1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const IANA_SVC_NAME = /^(?=.*[a-z])[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

function checkKey(key: string, what: string, problems: string[]): void {
  const [prefix, name] = key.includes("/") ? key.split("/", 2) : [null, key];
  if (prefix !== null && (prefix.length > 253 || !DNS_1123_SUBDOMAIN.test(prefix))) problems.push(`${what} key "${key}": prefix is not a DNS subdomain`);
  if (name.length > 63 || !QUALIFIED_NAME.test(name)) problems.push(`${what} key "${key}": name is not a qualified name of at most 63 characters`);
}

function checkLabels(labels: Record<string, string> | undefined, where: string, problems: string[]): void {
  for (const [k, v] of Object.entries(labels ?? {})) {
    checkKey(k, `${where} label`, problems);
    if (v.length > 63 || !LABEL_VALUE.test(v)) problems.push(`${where} label ${k}="${v}": not a label value (at most 63 characters, alphanumeric at both ends)`);
  }
}

function checkMetadata(meta: any, where: string, problems: string[]): void {
  if (!meta) return;
  checkLabels(meta.labels, where, problems);
  for (const k of Object.keys(meta.annotations ?? {})) checkKey(k, `${where} annotation`, problems);
}

function checkPodSpec(pod: any, where: string, problems: string[], claimTemplates: string[] = []): void {
  if (!pod) return;
  const names = new Set<string>();
  for (const c of [...(pod.initContainers ?? []), ...(pod.containers ?? [])]) {
    if (!DNS_1123_LABEL.test(c.name) || c.name.length > 63) problems.push(`${where}: container name "${c.name}" is not a DNS-1123 label`);
    if (names.has(c.name)) problems.push(`${where}: two containers named "${c.name}"`);
    names.add(c.name);
    for (const p of c.ports ?? []) if (p.name !== undefined && (p.name.length > 15 || !IANA_SVC_NAME.test(p.name))) problems.push(`${where}: port name "${p.name}" is not an IANA service name (at most 15 characters)`);
    for (const e of c.env ?? []) if (!ENV_NAME.test(e.name)) problems.push(`${where}: env name "${e.name}" is not valid`);
    const mounts = new Set([...(pod.volumes ?? []).map((v: any) => v.name), ...claimTemplates]);
    for (const m of c.volumeMounts ?? []) if (!mounts.has(m.name)) problems.push(`${where}: volume mount "${m.name}" names no volume of the pod`);
    for (const probe of ["startupProbe", "livenessProbe", "readinessProbe"]) {
      const port = c[probe]?.httpGet?.port ?? c[probe]?.tcpSocket?.port;
      if (typeof port === "string" && !(c.ports ?? []).some((p: any) => p.name === port)) problems.push(`${where}: ${probe} port "${port}" names no container port`);
    }
  }
  for (const v of pod.volumes ?? []) if (!DNS_1123_LABEL.test(v.name) || v.name.length > 63) problems.push(`${where}: volume name "${v.name}" is not a DNS-1123 label`);
}

/** What the schemas let through (see the file comment). */
export function strictProblems(r: PlanResource): string[] {
  const m = r.inputs as any;
  const where = `${m.kind} ${m.metadata?.name ?? "?"}`;
  const problems: string[] = [];
  const name: string = m.metadata?.name ?? "";
  const kind: string = m.kind;
  const nameRule = kind === "Service" ? DNS_1035_LABEL : DNS_1123_LABEL;
  if (name.length > 63 || !nameRule.test(name)) problems.push(`${where}: name is not a ${kind === "Service" ? "DNS-1035" : "DNS-1123"} label of at most 63 characters`);
  if (kind === "CronJob" && name.length > 52) problems.push(`${where}: a CronJob name has at most 52 characters`);
  if (m.metadata?.namespace !== undefined && !DNS_1123_LABEL.test(m.metadata.namespace)) problems.push(`${where}: namespace "${m.metadata.namespace}" is not a DNS-1123 label`);
  checkMetadata(m.metadata, where, problems);
  const templates = kind === "CronJob" ? [m.spec?.jobTemplate, m.spec?.jobTemplate?.spec?.template] : [m.spec?.template];
  for (const t of templates) checkMetadata(t?.metadata, `${where} template`, problems);
  for (const claim of m.spec?.volumeClaimTemplates ?? []) checkMetadata(claim.metadata, `${where} claim template`, problems);
  const pod = kind === "CronJob" ? m.spec?.jobTemplate?.spec?.template?.spec : m.spec?.template?.spec;
  checkPodSpec(pod, where, problems, (m.spec?.volumeClaimTemplates ?? []).map((c: any) => c.metadata?.name));
  if (kind === "Deployment" || kind === "StatefulSet") {
    const selector = m.spec?.selector?.matchLabels ?? {};
    const labels = m.spec?.template?.metadata?.labels ?? {};
    for (const [k, v] of Object.entries(selector)) if (labels[k] !== v) problems.push(`${where}: selector ${k}=${String(v)} does not match the pod template's labels`);
  }
  if (kind === "Service") for (const p of m.spec?.ports ?? []) if (p.name !== undefined && !DNS_1123_LABEL.test(p.name)) problems.push(`${where}: port name "${p.name}" is not a DNS-1123 label`);
  if (kind === "ScaledObject") {
    const s = m.spec ?? {};
    if (!Array.isArray(s.triggers) || s.triggers.length === 0) problems.push(`${where}: a ScaledObject needs at least one trigger`);
    if (!(s.maxReplicaCount >= 1)) problems.push(`${where}: maxReplicaCount must be at least 1`);
    if (s.minReplicaCount > s.maxReplicaCount) problems.push(`${where}: minReplicaCount above maxReplicaCount`);
    if (s.advanced?.scalingModifiers) {
      const names = new Set((s.triggers ?? []).map((t: any) => t.name));
      const used: string[] = String(s.advanced.scalingModifiers.formula).match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? [];
      for (const id of used) if (!names.has(id)) problems.push(`${where}: the formula reads "${id}", which is no trigger's name`);
      if (s.advanced.scalingModifiers.target === undefined) problems.push(`${where}: scalingModifiers needs a target`);
    }
  }
  if (kind === "HTTPRoute") {
    const rules = m.spec?.rules ?? [];
    if (rules.length > 16) problems.push(`${where}: at most 16 rules`);
    for (const rule of rules) if ((rule.matches ?? []).length > 64) problems.push(`${where}: at most 64 matches a rule`);
  }
  return problems;
}

/** Every problem of every manifest of the plan: schema errors, unknown fields, the strict pass. */
export function manifestProblems(plan: Plan): string[] {
  const problems: string[] = [];
  for (const r of manifestsOf(plan)) {
    const model = MODELS[r.type];
    if (!model) {
      problems.push(`${r.name}: no schema for ${r.type}`);
      continue;
    }
    const manifest = unmasked(r.inputs);
    const where = `${r.type} ${r.name}`;
    for (const e of schemaErrors(model, manifest)) problems.push(`${where}: schema: ${e.instancePath || "/"} ${e.message ?? ""}`.trimEnd());
    for (const path of unknownFields(model, manifest)) problems.push(`${where}: unknown field ${path}`);
    for (const p of strictProblems(r)) problems.push(`${where}: ${p}`);
  }
  return problems;
}
