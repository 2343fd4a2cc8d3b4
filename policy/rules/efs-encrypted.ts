/**
 * Volumes are encrypted: every EFS file system at rest (`encrypted: true`) and every task's EFS
 * volume in transit (`transitEncryption: ENABLED`). Needs the plan; with a spec alone it has nothing to check.
 */
import { z } from "zod";
import type { PlanResource } from "../../provider/plan.ts";
import type { Finding, GantryPolicy } from "../types.ts";

const Config = z.strictObject({
  requireTransitEncryption: z.boolean().default(true),
});
type Config = z.infer<typeof Config>;

export const efsEncrypted: GantryPolicy<Config> = {
  name: "efs-encrypted",
  description: "EFS file systems are encrypted at rest, and tasks mount them with transit encryption.",
  defaultLevel: "mandatory",
  config: Config,
  validate(ctx, config) {
    const findings: Finding[] = [];
    for (const r of ctx.resources) {
      if (r.type === "aws:efs/fileSystem:FileSystem" && r.inputs.encrypted !== true) {
        findings.push(at(r, `EFS file system ${r.name} is not encrypted at rest; set encrypted: true`));
      }
      if (config.requireTransitEncryption && r.type === "aws:ecs/taskDefinition:TaskDefinition") {
        for (const v of volumesOf(r)) {
          const efs = v.efsVolumeConfiguration as Record<string, unknown> | undefined;
          if (efs && efs.transitEncryption !== "ENABLED") {
            findings.push(at(r, `task definition ${r.name} mounts EFS volume ${String(v.name ?? "?")} without transit encryption; set transitEncryption: ENABLED`));
          }
        }
      }
    }
    return findings;
  },
};

function volumesOf(r: PlanResource): Record<string, unknown>[] {
  const v = r.inputs.volumes;
  return Array.isArray(v) ? v.filter((x): x is Record<string, unknown> => !!x && typeof x === "object") : [];
}

function at(r: PlanResource, message: string): Finding {
  return { message, declaration: r.declaration, source: r.source, urn: r.urn };
}
