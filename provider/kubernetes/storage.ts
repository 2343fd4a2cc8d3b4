/**
 * gantry:k8s:Volume — a `Volume.fromName` as a PersistentVolumeClaim, `ReadWriteMany` so every pod
 * of every unit that mounts it shares one file system (EFS CSI with `provisioningMode: efs-ap`,
 * GKE Filestore, an NFS CSI driver: the storage class from `gantry:kubernetes.storageClass`, else
 * the cluster's default, which must then support RWX). The claim outlives `pulumi destroy`
 * (`retainOnDelete`): the data is the user's. `createIfMissing: false` declares nothing and binds
 * the claim of that name, which must exist in the namespace.
 *
 * Cost: the storage class's (EFS: $0.30/GB-month standard).
 */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { VolumeSpec } from "../../synth/spec.ts";
import { KubeComponent, type StackInfo } from "./component.ts";
import { dnsLabel } from "./names.ts";

/** RWX claims are sized by what the class bills, not by this request (EFS ignores it). */
export const CLAIM_REQUEST = "100Gi";

/** The claim's name: the volume's name as a DNS-1123 label. */
export function claimName(volume: string): string {
  return dnsLabel(volume);
}

export class AppVolume extends KubeComponent {
  readonly claimName: string;

  constructor(name: string, info: StackInfo, spec: VolumeSpec, storageClass: string | null, labels: Record<string, string>, opts?: pulumi.ComponentResourceOptions) {
    super("gantry:k8s:Volume", name, info, { declaration: `volume:${spec.name}`, source: spec.source }, opts);
    this.claimName = claimName(spec.name);
    if (spec.createIfMissing) {
      new k8s.core.v1.PersistentVolumeClaim(`${name}-claim`, {
        metadata: this.meta(this.claimName, { ...labels, "gantry.dev/volume": dnsLabel(spec.name) }),
        spec: {
          accessModes: ["ReadWriteMany"],
          ...(storageClass ? { storageClassName: storageClass } : {}),
          resources: { requests: { storage: CLAIM_REQUEST } },
        },
      }, { ...this.childOpts, retainOnDelete: true });
    }
    this.registerOutputs({ claimName: this.claimName });
  }
}
