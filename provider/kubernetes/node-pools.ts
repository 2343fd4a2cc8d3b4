/**
 * gantry:k8s:NodePools — with `gantry:kubernetes.nodePools: karpenter`, one `karpenter.sh/v1
 * NodePool` per GPU shape list and capacity type (the units that share one share it), so a pending
 * GPU pod gets a node and an empty node goes away:
 * - requirements: the GPU names of the list (Karpenter's `karpenter.k8s.aws/instance-gpu-name`;
 *   each pod's own affinity narrows further, e.g. A100 40 vs 80 GB), `karpenter.sh/capacity-type`
 *   spot or on-demand from `spot`, Linux on amd64 (the images are built for linux/amd64);
 * - taint `nvidia.com/gpu=true:NoSchedule`, so only GPU pods (which tolerate it) land there;
 * - `limits["nvidia.com/gpu"]` = Σ maxContainers × GPUs per pod of its units: the pool can never
 *   hold more GPUs than the units may use, which bounds spend;
 * - `disruption.consolidationPolicy: WhenEmpty`: a node is removed once its pods are gone (KEDA
 *   already waited `scaledownWindow`), never while an input runs;
 * - `nodeClassRef` to the user's node class (`gantry:kubernetes.nodeClass`, e.g. an EC2NodeClass
 *   with the GPU AMI family).
 *
 * Cost: the GPU nodes while pods run, up to the limit.
 */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { KubeComponent, type StackInfo } from "./component.ts";
import { gpuRequirements } from "./gpu-labels.ts";
import { dnsLabel } from "./names.ts";
import type { DeclarationRef } from "../source.ts";
import { sharedOrigin } from "../source.ts";
import type { Unit } from "./units.ts";

/** seconds a node stays empty before Karpenter removes it */
export const CONSOLIDATE_AFTER = "60s";

export interface NodePoolPlan {
  key: string;
  /** cluster-scoped: unique per namespace */
  name: string;
  units: Unit[];
  gpuNames: string[];
  spot: boolean;
  gpuLimit: number;
}

export function nodePoolsOf(units: Unit[], namespace: string): NodePoolPlan[] {
  const pools = new Map<string, NodePoolPlan>();
  for (const u of units) {
    if (!u.pool) continue;
    let pool = pools.get(u.pool);
    if (!pool) {
      const names = new Set<string>();
      for (const shape of u.shapes) for (const r of gpuRequirements("karpenter", shape) ?? []) if (r.key.endsWith("instance-gpu-name")) r.values.forEach((v) => names.add(v));
      pool = { key: u.pool, name: dnsLabel(`${namespace}-${u.pool}`), units: [], gpuNames: [...names].sort(), spot: u.options.spot, gpuLimit: 0 };
      pools.set(u.pool, pool);
    }
    pool.units.push(u);
    pool.gpuLimit += u.scaling.maxContainers * u.resources.gpus;
  }
  return [...pools.values()].sort((a, b) => (a.key < b.key ? -1 : 1));
}

export class NodePools extends KubeComponent {
  constructor(name: string, info: StackInfo, pool: NodePoolPlan, nodeClass: { group: string; kind: string; name: string }, labels: Record<string, string>, opts?: pulumi.ComponentResourceOptions) {
    const refs: DeclarationRef[] = pool.units.map((u) => ({ declaration: u.id, source: u.source }));
    super("gantry:k8s:NodePool", name, info, sharedOrigin(refs), opts);
    new k8s.apiextensions.CustomResource(`${name}-nodepool`, {
      apiVersion: "karpenter.sh/v1",
      kind: "NodePool",
      metadata: this.meta(pool.name, labels, { cluster: true }),
      spec: {
        template: {
          metadata: { labels: { "gantry.dev/pool": pool.key } },
          spec: {
            nodeClassRef: nodeClass,
            requirements: [
              { key: "karpenter.k8s.aws/instance-gpu-name", operator: "In", values: pool.gpuNames },
              { key: "karpenter.sh/capacity-type", operator: "In", values: [pool.spot ? "spot" : "on-demand"] },
              { key: "kubernetes.io/os", operator: "In", values: ["linux"] },
              { key: "kubernetes.io/arch", operator: "In", values: ["amd64"] },
            ],
            taints: [{ key: "nvidia.com/gpu", value: "true", effect: "NoSchedule" }],
          },
        },
        limits: { "nvidia.com/gpu": String(pool.gpuLimit) },
        disruption: { consolidationPolicy: "WhenEmpty", consolidateAfter: CONSOLIDATE_AFTER },
      },
    }, this.childOpts);
    this.registerOutputs({ name: pool.name });
  }
}
