/**
 * Stack config under the `gantry:` namespace, as `pulumi config` and `Pulumi.<stack>.yaml` hold it:
 *
 *   gantry:app: examples/llm/app.ts          # the app file, relative to the project root
 *   gantry:target: aws
 *   gantry:overrides: { LlamaInference: { gpu: T4, maxContainers: 2 } }
 *   gantry:network: { vpcId: vpc-1, privateSubnetIds: [subnet-a, subnet-b], publicSubnetIds: [...] }
 *                  # or { cidr: 10.20.0.0/16 } for a new VPC (default 10.0.0.0/16)
 *   gantry:certificateArn: arn:aws:acm:...   # HTTPS on the load balancer of webApp/webServer
 *   gantry:logRetentionDays: 30
 *   gantry:volumes: { weights: { fileSystemId: fs-123 } }   # existing EFS for createIfMissing: false
 *   gantry:webToken: (secret)                # bearer token of private endpoints
 *   gantry:secrets: (secret) { huggingface-token: { HF_TOKEN: ... } }
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { ConfigError } from "./overrides.ts";

export type NetworkConfig =
  | { kind: "existing"; vpcId: string; privateSubnetIds: string[]; publicSubnetIds: string[] }
  | { kind: "new"; cidr: string };

export interface GantryConfig {
  app: string | undefined;
  target: "aws" | "kubernetes";
  overrides: unknown;
  network: NetworkConfig;
  certificateArn: string | null;
  logRetentionDays: number;
  volumes: Record<string, { fileSystemId: string }>;
  webToken: pulumi.Output<string> | null;
  /** `gantry:secrets`: secret name -> its key/values, each a Pulumi secret */
  secrets: Record<string, pulumi.Output<Record<string, string>>>;
}

const NetworkInput = z.union([
  z.object({
    vpcId: z.string().min(1),
    privateSubnetIds: z.array(z.string()).min(2, "at least two private subnets (two availability zones)"),
    publicSubnetIds: z.array(z.string()).min(1),
  }).strict(),
  z.object({ cidr: z.string().regex(/^\d+\.\d+\.\d+\.\d+\/16$/, "a /16 such as 10.0.0.0/16").default("10.0.0.0/16") }).strict(),
]);

/** CloudWatch Logs accepts only these retention periods. */
const RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

export function stackFile(): string {
  return `Pulumi.${pulumi.getStack()}.yaml`;
}

function getObject(config: pulumi.Config, key: string, problems: string[]): unknown {
  try {
    return config.getObject<unknown>(key);
  } catch {
    problems.push(`${stackFile()}: gantry:${key}: not valid JSON/YAML`);
    return undefined;
  }
}

/** Reads and checks the `gantry:` config of the current stack; throws ConfigError with every problem. */
export function readGantryConfig(): GantryConfig {
  const config = new pulumi.Config("gantry");
  const problems: string[] = [];
  const file = stackFile();
  const target = config.get("target") ?? "aws";
  if (target !== "aws" && target !== "kubernetes") problems.push(`${file}: gantry:target: "${target}" is not one of aws, kubernetes`);

  let network: NetworkConfig = { kind: "new", cidr: "10.0.0.0/16" };
  const rawNetwork = getObject(config, "network", problems);
  if (rawNetwork !== undefined) {
    const parsed = NetworkInput.safeParse(rawNetwork);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) problems.push(`${file}: gantry:network${issue.path.length ? `.${issue.path.join(".")}` : ""}: ${issue.message}`);
    } else if ("vpcId" in parsed.data) network = { kind: "existing", ...parsed.data };
    else network = { kind: "new", cidr: parsed.data.cidr };
  }

  const retention = config.getNumber("logRetentionDays") ?? 30;
  if (!RETENTION_DAYS.includes(retention)) problems.push(`${file}: gantry:logRetentionDays: ${retention} is not a CloudWatch retention (${RETENTION_DAYS.join(", ")})`);

  const volumes = z.record(z.string(), z.object({ fileSystemId: z.string().regex(/^fs-[0-9a-f]+$/) }).strict())
    .safeParse(getObject(config, "volumes", problems) ?? {});
  if (!volumes.success) for (const issue of volumes.error.issues) problems.push(`${file}: gantry:volumes.${issue.path.join(".")}: ${issue.message}`);

  const secrets = readSecrets(problems);
  if (problems.length) throw new ConfigError(problems);
  return {
    app: config.get("app"),
    target: target as "aws" | "kubernetes",
    overrides: getObject(config, "overrides", problems),
    network,
    certificateArn: config.get("certificateArn") ?? null,
    logRetentionDays: retention,
    volumes: volumes.success ? volumes.data : {},
    webToken: config.getSecret("webToken") ?? null,
    secrets,
  };
}

/**
 * `gantry:secrets` is read raw (not through `Config.getSecretObject`) because which secrets have a
 * value must be known while resources are declared; every value is wrapped as a secret at once.
 */
function readSecrets(problems: string[]): Record<string, pulumi.Output<Record<string, string>>> {
  const raw = pulumi.runtime.getConfig("gantry:secrets");
  if (raw === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    problems.push(`${stackFile()}: gantry:secrets: expected a map of secret name to { KEY: value }`);
    return {};
  }
  const checked = z.record(z.string(), z.record(z.string(), z.string())).safeParse(parsed);
  if (!checked.success) {
    problems.push(`${stackFile()}: gantry:secrets: expected a map of secret name to { KEY: value } (set values with pulumi config set --secret --path 'gantry:secrets.NAME.KEY' VALUE)`);
    return {};
  }
  return Object.fromEntries(Object.entries(checked.data).map(([name, values]) => [name, pulumi.secret(values)]));
}
