/**
 * What `gantry app list` reads: the project's stack records (policy/promote/records.ts), its
 * Pulumi stack files (provider/plan/stack-config.ts), and the running `gantry serve` servers'
 * records (runtime/serve/record.ts). Local files only.
 */
import { existsSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { findProjectRoot } from "../synth/analyze/analyze.ts";
import { readStackConfig } from "../provider/plan/stack-config.ts";
import { readDeployment, readRecordedPlan } from "../policy/promote/records.ts";
import { listRecords, type ServerRecord } from "../runtime/serve/record.ts";

export interface ListedStack {
  stack: string;
  /** the app's name (from the recorded plan), else null */
  app: string | null;
  /** gantry:app of the stack files: the app file */
  appFile: string | null;
  target: string;
  region: string | null;
  specHash: string | null;
  deployed: boolean;
  deployedAt: string | null;
  /** problems reading its records (a corrupt plan.json) */
  notes: string[];
}

export interface AppListing {
  root: string;
  stacks: ListedStack[];
  servers: Array<Omit<ServerRecord, "token">>;
}

export function listApps(cwd: string): AppListing {
  const root = findProjectRoot(resolve(cwd));
  const names = new Set<string>();
  const recorded = join(root, ".gantry", "stacks");
  if (existsSync(recorded)) for (const e of readdirSync(recorded, { withFileTypes: true })) if (e.isDirectory()) names.add(e.name);
  for (const f of readdirSync(root)) {
    const m = /^Pulumi\.(.+)\.yaml$/.exec(f);
    if (m) names.add(m[1]);
  }
  const stacks = [...names].sort().map((stack): ListedStack => {
    const notes: string[] = [];
    const config = readStackConfig(root, stack).values;
    const read = <T>(f: () => T | null): T | null => {
      try {
        return f();
      } catch (e) {
        notes.push((e as Error).message);
        return null;
      }
    };
    const plan = read(() => readRecordedPlan(root, stack));
    const deployment = read(() => readDeployment(root, stack));
    return {
      stack,
      app: deployment?.app ?? plan?.app ?? null,
      appFile: config["gantry:app"] ?? null,
      target: config["gantry:target"] ?? plan?.target ?? "aws",
      region: config["aws:region"] ?? null,
      specHash: deployment?.specHash ?? plan?.specHash ?? null,
      deployed: deployment !== null,
      deployedAt: deployment?.deployedAt ?? null,
      notes,
    };
  });
  const stateDir = process.env.GANTRY_STATE_DIR ? resolve(process.env.GANTRY_STATE_DIR) : join(root, ".gantry");
  const servers = listRecords(stateDir).map(({ token: _token, ...rest }) => rest);
  return { root, stacks, servers };
}
