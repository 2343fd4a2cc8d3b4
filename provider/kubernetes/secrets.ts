/**
 * gantry:k8s:Secret — a `Secret` of the app as a `core/v1 Secret` in the namespace. Values never
 * come from code or the plan: `fromName` takes them from the stack's `gantry:secrets.<name>`
 * (encrypted in the stack file) or, without it, the Secret is the user's own
 * (`kubectl create secret generic <name> --from-literal=KEY=...` in the namespace) and the stack
 * declares nothing; `fromDict` values come from the analysis, `fromDotenv` from the file at deploy
 * time. The plan shows every value as "[secret]".
 *
 * Pods get each known key (`requiredKeys`, or every key of a dict/dotenv secret) as its own
 * variable (`secretKeyRef`: a missing key keeps the pod from starting, which is what
 * `requiredKeys` asks for), and a `fromName` secret without `requiredKeys` whole (`envFrom`).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { SecretSpec } from "../../synth/spec.ts";
import { parseDotenv } from "../aws/secrets.ts";
import { KubeComponent, formatSource, type StackInfo } from "./component.ts";
import { dnsLabel } from "./names.ts";
import type { SecretRef } from "./workload.ts";

export interface SecretInputs {
  spec: SecretSpec;
  projectRoot: string;
  dictValues: Record<string, string> | undefined;
  configValue: pulumi.Output<Record<string, string>> | undefined;
  labels: Record<string, string>;
}

/** The Kubernetes Secret's name: a `fromName` secret keeps its name, the others `secret-<id>`. */
export function secretName(spec: SecretSpec): string {
  return dnsLabel(spec.kind === "named" ? spec.name : `secret-${spec.id}`);
}

export class AppSecret extends KubeComponent {
  readonly ref: SecretRef;
  /** null: the user's own Secret (not managed by the stack) */
  readonly secret: k8s.core.v1.Secret | null;

  constructor(name: string, info: StackInfo, inputs: SecretInputs, opts?: pulumi.ComponentResourceOptions) {
    const spec = inputs.spec;
    super("gantry:k8s:Secret", name, info, { declaration: `secret:${spec.kind === "named" ? spec.name : spec.id}`, source: spec.source }, opts);
    const keys = spec.kind === "named" ? (spec.requiredKeys.length ? [...spec.requiredKeys] : null) : [...spec.keys];
    this.ref = { name: secretName(spec), keys };
    const values = this.valuesOf(inputs);
    this.secret = values ? new k8s.core.v1.Secret(`${name}-secret`, {
      metadata: this.meta(this.ref.name, inputs.labels),
      type: "Opaque",
      stringData: pulumi.secret(values),
    }, this.childOpts) : null;
    this.registerOutputs({ name: this.ref.name });
  }

  private valuesOf(inputs: SecretInputs): pulumi.Input<Record<string, string>> | null {
    const spec = inputs.spec;
    switch (spec.kind) {
      case "named":
        return inputs.configValue ?? null;
      case "dict":
        if (!inputs.dictValues) throw new Error(`${formatSource(spec.source)}: the values of Secret.fromDict were not provided by the analysis`);
        return inputs.dictValues;
      case "dotenv": {
        const path = join(inputs.projectRoot, spec.path);
        if (!existsSync(path)) {
          pulumi.log.warn(`${formatSource(spec.source)}: ${spec.path} does not exist; the Secret is created without values`, this);
          return {};
        }
        return parseDotenv(readFileSync(path, "utf8"));
      }
    }
  }
}
