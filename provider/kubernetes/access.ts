/**
 * gantry:k8s:Access — least privilege inside the cluster:
 * - `updateAutoscaler`: a Role that may get and patch exactly the app's ScaledObjects (by
 *   `resourceNames`), bound to every unit's ServiceAccount (as on AWS, any unit may change any unit
 *   of its app); nothing else in the Kubernetes API;
 * - NetworkPolicy: every pod of the namespace refuses ingress by default; the Redis pod admits
 *   only gantry's own client pods (label `gantry.dev/redis-client`) and KEDA's namespace
 *   (`gantry:kubernetes.kedaNamespace`), on 6379; web pods (the gateway, webApp/webServer units)
 *   admit HTTP on their port, from anywhere (the Gateway's data plane runs in its own namespace).
 *   Egress stays open: user code calls out (model hubs, APIs). A CNI that does not enforce
 *   NetworkPolicy (kubenet, plain flannel) ignores all of it.
 */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { KubeComponent, type StackInfo } from "./component.ts";
import { REDIS_PORT, stackSelector } from "./redis.ts";
import { HTTP_PORT } from "./units.ts";

export interface AccessInputs {
  /** the unit ServiceAccounts and ScaledObjects (the same names) */
  units: string[];
  /** the stack deploys Redis in the namespace */
  redisInNamespace: boolean;
  web: boolean;
  kedaNamespace: string;
  labels: Record<string, string>;
}

export class Access extends KubeComponent {
  constructor(name: string, info: StackInfo, inputs: AccessInputs, opts?: pulumi.ComponentResourceOptions) {
    super("gantry:k8s:Access", name, info, null, opts);
    const stack = stackSelector(inputs.labels);
    if (inputs.units.length) {
      new k8s.rbac.v1.Role(`${name}-autoscaler`, {
        metadata: this.meta("gantry-autoscaler", inputs.labels),
        rules: [{ apiGroups: ["keda.sh"], resources: ["scaledobjects"], resourceNames: [...inputs.units].sort(), verbs: ["get", "patch"] }],
      }, this.childOpts);
      new k8s.rbac.v1.RoleBinding(`${name}-autoscaler`, {
        metadata: this.meta("gantry-autoscaler", inputs.labels),
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "gantry-autoscaler" },
        subjects: [...inputs.units].sort().map((sa) => ({ kind: "ServiceAccount", name: sa, namespace: info.namespace })),
      }, this.childOpts);
    }
    new k8s.networking.v1.NetworkPolicy(`${name}-default-deny`, {
      metadata: this.meta("default-deny-ingress", inputs.labels),
      spec: { podSelector: {}, policyTypes: ["Ingress"] },
    }, this.childOpts);
    if (inputs.redisInNamespace) {
      new k8s.networking.v1.NetworkPolicy(`${name}-redis`, {
        metadata: this.meta("redis-clients", inputs.labels),
        spec: {
          podSelector: { matchLabels: { "gantry.dev/role": "redis", ...stack } },
          policyTypes: ["Ingress"],
          ingress: [{
            from: [
              { podSelector: { matchLabels: { "gantry.dev/redis-client": "true", ...stack } } },
              { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": inputs.kedaNamespace } } },
            ],
            ports: [{ protocol: "TCP", port: REDIS_PORT }],
          }],
        },
      }, this.childOpts);
    }
    if (inputs.web) {
      new k8s.networking.v1.NetworkPolicy(`${name}-web`, {
        metadata: this.meta("web-ingress", inputs.labels),
        spec: {
          podSelector: { matchLabels: { "gantry.dev/web": "true", ...stack } },
          policyTypes: ["Ingress"],
          ingress: [{ ports: [{ protocol: "TCP", port: HTTP_PORT }] }],
        },
      }, this.childOpts);
    }
    this.registerOutputs({});
  }
}
