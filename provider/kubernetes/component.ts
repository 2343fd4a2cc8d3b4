/**
 * The base of every gantry:k8s:* component: like the AWS one (provider/aws/component.ts) it
 * records where in user code it comes from, so the offline plan puts a source location on every
 * resource, and it hands its children the metadata that carries the same location into the
 * cluster: labels (app, stack, unit; values ≤ 63 characters, as Kubernetes requires) and
 * annotations (declaration and `file:line:col`, which labels cannot hold).
 */
import * as pulumi from "@pulumi/pulumi";
import type { SourceLocation } from "../../synth/spec.ts";
import { appOrigin, formatSource, recordOrigin, type DeclarationRef, type ResourceOrigin } from "../source.ts";
import { labelValue } from "./names.ts";

export { formatSource, type DeclarationRef, type ResourceOrigin } from "../source.ts";

export interface StackInfo {
  app: string;
  stack: string;
  /** where `new App(…)` is: the source of what the whole app shares */
  source: SourceLocation;
  /** the namespace every object of the stack lives in */
  namespace: string;
  /** what every object waits for (the Namespace, when the stack creates it) */
  dependsOn: pulumi.Resource[];
}

export const MANAGED_BY = "gantry";

/** Labels every object of the stack carries (and selectors may use). */
export function stackLabels(info: Pick<StackInfo, "app" | "stack">): Record<string, string> {
  return {
    "app.kubernetes.io/managed-by": MANAGED_BY,
    "app.kubernetes.io/part-of": labelValue(info.app),
    "gantry.dev/stack": labelValue(info.stack),
  };
}

/** Annotations that say where an object comes from. */
export function originAnnotations(origin: ResourceOrigin): Record<string, string> {
  const out: Record<string, string> = { "gantry.dev/source": formatSource(origin.source) };
  if (origin.declaration !== null) out["gantry.dev/declaration"] = origin.declaration;
  if (origin.serves) out["gantry.dev/serves"] = origin.serves.join(" ");
  return out;
}

export interface Meta {
  name: string;
  namespace?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export abstract class KubeComponent extends pulumi.ComponentResource {
  protected readonly childOpts: pulumi.CustomResourceOptions;
  protected readonly origin: ResourceOrigin;

  constructor(type: string, name: string, protected readonly info: StackInfo, ref: DeclarationRef | ResourceOrigin | null, opts?: pulumi.ComponentResourceOptions) {
    super(type, name, {}, opts);
    this.origin = ref ?? appOrigin(info.source);
    this.childOpts = { parent: this, dependsOn: info.dependsOn };
    this.urn.apply((urn) => recordOrigin(urn, this.origin));
  }

  /** Child options that also wait for `extra`. */
  protected after(extra: pulumi.Resource[], more: pulumi.CustomResourceOptions = {}): pulumi.CustomResourceOptions {
    return { ...this.childOpts, ...more, dependsOn: [...this.info.dependsOn, ...extra] };
  }

  /** Object metadata in the stack's namespace (`cluster: true` for cluster-scoped objects). */
  protected meta(name: string, labels: Record<string, string> = {}, options: { cluster?: boolean; annotations?: Record<string, string> } = {}): Meta {
    return {
      name,
      ...(options.cluster ? {} : { namespace: this.info.namespace }),
      labels: sorted({ ...stackLabels(this.info), ...labels }),
      annotations: sorted({ ...originAnnotations(this.origin), ...options.annotations }),
    };
  }
}

export function sorted<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.keys(record).sort().map((k) => [k, record[k]]));
}
