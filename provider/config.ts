/**
 * Stack config under the `gantry:` namespace, as `pulumi config` and `Pulumi.<stack>.yaml` hold it.
 * The keys every target reads:
 *
 *   gantry:app: examples/llm/app.ts          # the app file, relative to the project root
 *   gantry:target: aws                       # a name in the target registry (provider/target.ts)
 *   gantry:overrides: { LlamaInference: { gpu: T4, maxContainers: 2 } }
 *   gantry:webToken: (secret)                # bearer token of private endpoints
 *   gantry:secrets: (secret) { huggingface-token: { HF_TOKEN: ... } }
 *
 * A target reads its own settings through a StackConfigReader (AWS: provider/aws/config.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { ConfigError } from "./errors.ts";

export interface GantryConfig {
  app: string | undefined;
  /** `gantry:target`, default aws; the registry checks the name */
  target: string;
  overrides: unknown;
  webToken: pulumi.Output<string> | null;
  /** `gantry:secrets`: secret name -> its key/values, each a Pulumi secret */
  secrets: Record<string, pulumi.Output<Record<string, string>>>;
}

export const DEFAULT_TARGET = "aws";

export function stackFile(): string {
  return `Pulumi.${pulumi.getStack()}.yaml`;
}

/**
 * The stack's `gantry:` config as a target reads it: values by key, and every problem collected
 * (never thrown one by one) as `Pulumi.<stack>.yaml: gantry:<key>.<path>: message`.
 */
export class StackConfigReader {
  readonly file = stackFile();
  readonly problems: string[] = [];
  private readonly config = new pulumi.Config("gantry");

  get(key: string): string | undefined {
    return this.config.get(key);
  }

  getNumber(key: string): number | undefined {
    try {
      return this.config.getNumber(key);
    } catch {
      this.problem(key, `"${this.config.get(key)}" is not a number`);
      return undefined;
    }
  }

  getSecret(key: string): pulumi.Output<string> | undefined {
    return this.config.getSecret(key);
  }

  /** A structured value (a YAML/JSON map or list); a value that does not parse is a problem. */
  getObject(key: string): unknown {
    try {
      return this.config.getObject<unknown>(key);
    } catch {
      this.problem(key, "not valid JSON/YAML");
      return undefined;
    }
  }

  /** `key`'s structured value checked by `schema`; undefined (with each issue as a problem) when it fails. */
  parse<S extends z.ZodType>(key: string, schema: S, value: unknown = this.getObject(key)): z.infer<S> | undefined {
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues) this.problem([key, ...issue.path.map(String)].join("."), issue.message);
    return undefined;
  }

  problem(keyPath: string, message: string): void {
    this.problems.push(`${this.file}: gantry:${keyPath}: ${message}`);
  }

  /** Throws ConfigError with every problem collected so far. */
  throwIfProblems(): void {
    if (this.problems.length) throw new ConfigError([...this.problems]);
  }
}

/** Reads the keys every target shares; problems go to the reader. */
export function readGantryConfig(reader: StackConfigReader): GantryConfig {
  return {
    app: reader.get("app"),
    target: reader.get("target") ?? DEFAULT_TARGET,
    overrides: reader.getObject("overrides"),
    webToken: reader.getSecret("webToken") ?? null,
    secrets: readSecrets(reader),
  };
}

/**
 * `gantry:secrets` is read raw (not through `Config.getSecretObject`) because which secrets have a
 * value must be known while resources are declared; every value is wrapped as a secret at once.
 */
function readSecrets(reader: StackConfigReader): Record<string, pulumi.Output<Record<string, string>>> {
  const raw = pulumi.runtime.getConfig("gantry:secrets");
  if (raw === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    reader.problem("secrets", "expected a map of secret name to { KEY: value }");
    return {};
  }
  const checked = z.record(z.string(), z.record(z.string(), z.string())).safeParse(parsed);
  if (!checked.success) {
    reader.problem("secrets", "expected a map of secret name to { KEY: value } (set values with pulumi config set --secret --path 'gantry:secrets.NAME.KEY' VALUE)");
    return {};
  }
  return Object.fromEntries(Object.entries(checked.data).map(([name, values]) => [name, pulumi.secret(values)]));
}
