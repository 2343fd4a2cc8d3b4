/**
 * gantry:aws:Secret — one Secrets Manager secret per `Secret.*` declaration, its value a JSON
 * object of key -> value (ECS injects single keys with `valueFrom: <arn>:<KEY>::`).
 *
 * - `Secret.fromName(name)`: the secret `gantry/<app>/<stack>/<name>`; its value is never in code:
 *   `gantry secret create NAME K=V --stack S` writes it, or stack config `gantry:secrets.<name>`
 *   (a secure value) sets it here.
 * - `Secret.fromDict({...})`: the values the analysis extracted, as a Pulumi secret.
 * - `Secret.fromDotenv(path)`: the file's values, read at deploy time, as a Pulumi secret.
 *
 * Only the declarations that list a secret get IAM access to it (see iam.ts).
 * A named secret still in its recovery window after `pulumi destroy` is restored and adopted at
 * the next `pulumi up` (secret-adoption.ts), so a stack can be recreated within the 7 days.
 * Cost: $0.40 per secret per month.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { SecretSpec } from "../../synth/spec.ts";
import { GantryComponent, type StackInfo } from "./component.ts";
import { ADOPTION_IGNORED_INPUTS } from "./secret-adoption.ts";

export interface SecretInputs {
  spec: SecretSpec;
  projectRoot: string;
  /** `fromDict` values from the analysis (never in the spec) */
  dictValues: Record<string, string> | undefined;
  /** stack config `gantry:secrets.<name>`, when the stack sets this secret's value */
  configValue: pulumi.Output<Record<string, string>> | undefined;
  /** a named secret restored from its recovery window at this `pulumi up` (secret-adoption.ts) */
  adoptArn?: string;
}

/** The physical name of a `Secret.fromName` secret; `gantry secret create --stack` writes here. */
export function namedSecretName(app: string, stack: string, name: string): string {
  return `gantry/${app}/${stack}/${name}`;
}

/** KEY=value lines; `#` comments; optional quotes. */
export function parseDotenv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m) continue;
    let value = m[2];
    if (/^".*"$/.test(value)) value = JSON.parse(value) as string;
    else if (/^'.*'$/.test(value)) value = value.slice(1, -1);
    else value = value.replace(/\s+#.*$/, "");
    out[m[1]] = value;
  }
  return out;
}

export class AppSecret extends GantryComponent {
  readonly secret: aws.secretsmanager.Secret;
  /** keys known before deploy (injected one by one), or null: the runtime loads the whole secret */
  readonly keys: string[] | null;

  constructor(name: string, info: StackInfo, inputs: SecretInputs, opts?: pulumi.ComponentResourceOptions) {
    const spec = inputs.spec;
    const label = spec.kind === "named" ? spec.name : spec.id;
    super("gantry:aws:Secret", name, info, { declaration: `secret:${label}`, source: spec.source }, opts);
    this.keys = spec.kind === "named" ? (spec.requiredKeys.length ? [...spec.requiredKeys] : null) : [...spec.keys];
    this.secret = this.createSecret(name, info, spec, inputs.adoptArn);
    const value = this.valueOf(inputs);
    if (value) {
      new aws.secretsmanager.SecretVersion(`${name}-value`, { secretId: this.secret.id, secretString: value }, this.childOpts);
    }
    this.registerOutputs({ arn: this.secret.arn });
  }

  private createSecret(name: string, info: StackInfo, spec: SecretSpec, adoptArn: string | undefined): aws.secretsmanager.Secret {
    if (spec.kind === "named") {
      const adopt: pulumi.CustomResourceOptions = adoptArn ? { import: adoptArn, ignoreChanges: ADOPTION_IGNORED_INPUTS } : {};
      return new aws.secretsmanager.Secret(`${name}-secret`, {
        name: namedSecretName(info.app, info.stack, spec.name),
        description: `gantry secret "${spec.name}" of app ${info.app} (stack ${info.stack}); set with: gantry secret create ${spec.name} KEY=VALUE --stack ${info.stack}`,
        recoveryWindowInDays: 7,
        tags: this.tags,
      }, { ...this.childOpts, ...adopt });
    }
    return new aws.secretsmanager.Secret(`${name}-secret`, {
      description: `gantry ${spec.kind === "dict" ? "Secret.fromDict" : `Secret.fromDotenv(${spec.path})`} of app ${info.app} (stack ${info.stack})`,
      // values come from code or a file, so nothing is lost by deleting at once
      recoveryWindowInDays: 0,
      tags: this.tags,
    }, this.childOpts);
  }

  private valueOf(inputs: SecretInputs): pulumi.Output<string> | null {
    const spec = inputs.spec;
    switch (spec.kind) {
      case "named":
        // without config, `gantry secret create` owns the value: write no version over it
        return inputs.configValue ? pulumi.secret(inputs.configValue.apply((v) => JSON.stringify(sortedObject(v)))) : null;
      case "dict": {
        if (!inputs.dictValues) throw new Error(`${spec.source.file}:${spec.source.line}:${spec.source.column}: the values of Secret.fromDict were not provided by the analysis`);
        return pulumi.secret(JSON.stringify(sortedObject(inputs.dictValues)));
      }
      case "dotenv": {
        const path = join(inputs.projectRoot, spec.path);
        if (!existsSync(path)) {
          pulumi.log.warn(`${spec.source.file}:${spec.source.line}:${spec.source.column}: ${spec.path} does not exist; the secret is created without a value`, this);
          return null;
        }
        return pulumi.secret(JSON.stringify(sortedObject(parseDotenv(readFileSync(path, "utf8")))));
      }
    }
  }
}

function sortedObject(values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.keys(values).sort().map((k) => [k, values[k]]));
}
