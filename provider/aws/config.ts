/**
 * The AWS target's own stack config (besides the keys every target reads, provider/config.ts):
 *
 *   gantry:network: { vpcId: vpc-1, privateSubnetIds: [subnet-a, subnet-b], publicSubnetIds: [...] }
 *                  # or { cidr: 10.20.0.0/16 } for a new VPC (default 10.0.0.0/16)
 *   gantry:certificateArn: arn:aws:acm:...   # HTTPS on the load balancer of webApp/webServer
 *   gantry:logRetentionDays: 30
 *   gantry:volumes: { weights: { fileSystemId: fs-123 } }   # existing EFS for createIfMissing: false
 */
import { z } from "zod";
import type { StackConfigReader } from "../config.ts";

export type NetworkConfig =
  | { kind: "existing"; vpcId: string; privateSubnetIds: string[]; publicSubnetIds: string[] }
  | { kind: "new"; cidr: string };

export interface AwsSettings {
  network: NetworkConfig;
  certificateArn: string | null;
  logRetentionDays: number;
  volumes: Record<string, { fileSystemId: string }>;
}

const ExistingNetwork = z.object({
  vpcId: z.string().min(1),
  privateSubnetIds: z.array(z.string()).min(2, "at least two private subnets (two availability zones)"),
  publicSubnetIds: z.array(z.string()).min(1),
}).strict();
const NewNetwork = z.object({ cidr: z.string().regex(/^\d+\.\d+\.\d+\.\d+\/16$/, "a /16 such as 10.0.0.0/16").default("10.0.0.0/16") }).strict();

const VolumesInput = z.record(z.string(), z.object({ fileSystemId: z.string().regex(/^fs-[0-9a-f]+$/) }).strict());

/** CloudWatch Logs accepts only these retention periods. */
const RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

export function readAwsSettings(reader: StackConfigReader): AwsSettings {
  let network: NetworkConfig = { kind: "new", cidr: "10.0.0.0/16" };
  const rawNetwork = reader.getObject("network");
  if (rawNetwork !== undefined) {
    // which of the two forms is meant shows in vpcId, so problems name that form's keys
    const existing = typeof rawNetwork === "object" && rawNetwork !== null && "vpcId" in rawNetwork;
    const parsed = existing ? reader.parse("network", ExistingNetwork, rawNetwork) : reader.parse("network", NewNetwork, rawNetwork);
    if (parsed && "vpcId" in parsed) network = { kind: "existing", ...parsed };
    else if (parsed) network = { kind: "new", cidr: parsed.cidr };
  }
  const retention = reader.getNumber("logRetentionDays") ?? 30;
  if (!RETENTION_DAYS.includes(retention)) reader.problem("logRetentionDays", `${retention} is not a CloudWatch retention (${RETENTION_DAYS.join(", ")})`);
  const volumes = reader.parse("volumes", VolumesInput, reader.getObject("volumes") ?? {}) ?? {};
  return { network, certificateArn: reader.get("certificateArn") ?? null, logRetentionDays: retention, volumes };
}
