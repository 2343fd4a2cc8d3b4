/**
 * `gantry status <app.ts> --stack NAME`: per unit of the deployed stack, containers desired /
 * running, backlog, in flight, dead-lettered, schedules (runtime/aws/ops/status.ts); the deployed
 * spec hash against the code's, the images against the deployment record (.gantry/stacks/<stack>/
 * deployment.json, or the gantry:artifact it was promoted with); and this month's cost so far
 * (Cost Explorer, by the stack's tags) next to the plan's monthly range (the recorded plan.json).
 * A progress bar on stderr while AWS answers, when stderr is a terminal.
 */
import { specHash } from "../synth/hash.ts";
import { tagValue } from "../provider/aws/names.ts";
import type { PlanCost } from "../provider/plan.ts";
import type { StatusFlags } from "./commands/status.ts";
import { table } from "./ops-format.ts";
import { UsageError } from "./main.ts";
import { readOpsTarget } from "./ops-target.ts";
import { observeClients, type ObserveDeps } from "./observe-clients.ts";
import type { CostSoFar, UnitStatus } from "../runtime/aws/ops/status.ts";

export interface StackStatus {
  app: string;
  stack: string;
  region: string | null;
  code: { specHash: string };
  /** the spec hashes the units' task definitions carry (one, unless a deploy is half done) */
  deployedSpecHashes: string[];
  /** what the project recorded at its last deploy (null: no record on this machine) */
  record: { specHash: string; images: Record<string, string>; deployedAt: string | null; source: string } | null;
  units: UnitStatus[];
  cost: (CostSoFar & { plan: PlanCost["total"] | null; planDeclarations: Record<string, PlanCost["total"]> }) | { unavailable: string; plan: PlanCost["total"] | null } | null;
}

export async function awsStatus(app: string, flags: StatusFlags & { stack: string }, deps: ObserveDeps = {}): Promise<void> {
  const out = deps.out ?? ((t: string) => void process.stdout.write(t));
  const err = deps.err ?? ((t: string) => void process.stderr.write(t));
  const target = await readOpsTarget(app, flags.stack, flags.region, err, { name: "status", kubernetes: true });
  if (!target) return;
  if (target.kubernetes) return (await import("./kubernetes-ops.ts")).kubernetesStatus(target, target.kubernetes, flags, { out, err });
  if (flags.redisUrl !== undefined) throw new UsageError(`--redis-url is for kubernetes stacks; stack ${target.stack} deploys to aws`);
  const clients = await observeClients(target.region, deps.clients);
  const now = deps.now?.() ?? Date.now();
  const { AwsAccessError } = await import("../runtime/aws/access.ts");
  const { readUnitStatuses, costSoFar } = await import("../runtime/aws/ops/status.ts");
  const appName = target.spec.app.name;
  const steps = target.units.length * 3 + target.units.filter((u) => u.schedule).length + (flags.cost === false ? 0 : 1);
  const progress = await progressBar(deps.progress ?? !!process.stderr.isTTY, steps, `stack ${target.stack}`);
  try {
    const units = await readUnitStatuses(clients, { app: appName, stack: target.stack },
      target.units.map((u) => ({ unit: u.id, slug: u.slug, name: u.name, schedule: u.schedule })),
      { now, onStep: (what) => progress.tick(what) });
    const recordedPlan = await readPlan(target.projectRoot, target.stack);
    let cost: StackStatus["cost"] = null;
    if (flags.cost !== false) {
      try {
        const c = await costSoFar(clients.costExplorer, { app: tagValue(appName), stack: tagValue(target.stack) }, now);
        cost = { ...c, plan: recordedPlan?.cost?.total ?? null, planDeclarations: Object.fromEntries((recordedPlan?.cost?.declarations ?? []).map((d) => [d.declaration, d.cost])) };
      } catch (e) {
        if (!(e instanceof AwsAccessError)) throw e;
        cost = { unavailable: e.message, plan: recordedPlan?.cost?.total ?? null };
      } finally {
        progress.tick("cost");
      }
    }
    progress.stop();
    const status: StackStatus = {
      app: appName,
      stack: target.stack,
      region: target.region ?? null,
      code: { specHash: specHash(target.spec) },
      deployedSpecHashes: [...new Set(units.map((u) => u.specHash).filter((h): h is string => h !== null))].sort(),
      record: await readRecord(target.projectRoot, target.stack),
      units,
      cost,
    };
    out(flags.json ? `${JSON.stringify(status, null, 2)}\n` : formatStackStatus(status));
  } catch (e) {
    progress.stop();
    if (!(e instanceof AwsAccessError)) throw e;
    err(`gantry status: ${e.message}\n`);
    process.exitCode = 1;
  }
}

const short = (hash: string) => hash.replace(/^sha256:/, "").slice(0, 12);
const usd = (n: number) => `$${n.toFixed(2)}`;

export function formatStackStatus(s: StackStatus): string {
  let text = `${s.app}, stack ${s.stack}${s.region ? ` (${s.region})` : ""}\n`;
  const deployed = s.deployedSpecHashes;
  const code = s.code.specHash;
  if (deployed.length === 0) text += `  spec: code ${short(code)}; nothing deployed found\n`;
  else if (deployed.length === 1 && deployed[0] === code) text += `  spec: ${short(code)}, deployed = code\n`;
  else if (deployed.length === 1) text += `  spec: deployed ${short(deployed[0])}, code ${short(code)}: the code changed since the deploy (gantry deploy --stack ${s.stack} to roll it out)\n`;
  else text += `  spec: units run ${deployed.map(short).join(", ")} (a deploy in progress or interrupted), code ${short(code)}\n`;

  const rows = [["UNIT", "DESIRED", "RUNNING", "PENDING", "BACKLOG", "IN FLIGHT", "DEAD-LETTERED", "DEPLOYMENT"]];
  const dash = "-";
  for (const u of s.units) {
    const sv = u.service;
    const q = u.queues;
    const deployment = !u.deployed ? "not deployed" : [sv?.rollout ?? sv?.status, u.revision !== null ? `rev ${u.revision}` : null].filter(Boolean).join(", ");
    rows.push([u.unit, sv ? String(sv.desired) : dash, sv ? String(sv.running) : dash, sv ? String(sv.pending) : dash,
      q ? String(q.backlog) : dash, q ? String(q.inFlight) : dash, q ? String(q.deadLettered) : dash, deployment || dash]);
  }
  text += `\n${table(rows)}`;
  const dead = s.units.filter((u) => (u.queues?.deadLettered ?? 0) > 0);
  if (dead.length) text += `  dead-lettered inputs: gantry redrive <app.ts> --stack ${s.stack} --function ${dead[0].unit} --dry-run\n`;

  const scheduled = s.units.filter((u) => u.schedule);
  if (scheduled.length) {
    const srows = [["SCHEDULE", "AWS SCHEDULE", "STATE", "LAST RUN", "NEXT RUN"]];
    for (const u of scheduled) {
      const sc = u.schedule!;
      const last = sc.last ? `${sc.last.at} ${sc.last.status ?? "no call recorded"}` : dash;
      if (sc.schedules.length === 0) srows.push([u.unit, "none found", dash, last, dash]);
      for (const [i, d] of sc.schedules.entries()) {
        srows.push([i === 0 ? u.unit : "", `${d.name}: ${d.expression} (${d.timezone})`, d.state, i === 0 ? last : "", i === 0 ? sc.next ?? dash : ""]);
      }
    }
    text += `\n${table(srows)}`;
  }

  const images = [...new Set(s.units.map((u) => u.image).filter((i): i is string => i !== null))];
  if (images.length) {
    const recorded = new Set(Object.values(s.record?.images ?? {}));
    text += `\n  images:\n`;
    for (const image of images) {
      const who = s.units.filter((u) => u.image === image).map((u) => u.unit).join(", ");
      const vs = !s.record ? "no deployment record here to compare" : recorded.has(image) ? `= ${s.record.source}` : `not in ${s.record.source}`;
      text += `    ${image}  (${who}; ${vs})\n`;
    }
  }
  if (s.record && s.record.specHash !== code) text += `  ${s.record.source}: spec ${short(s.record.specHash)}${s.record.deployedAt ? `, deployed ${s.record.deployedAt}` : ""}\n`;

  const c = s.cost;
  if (c) {
    const plan = c.plan ? `; plan: floor ${usd(c.plan.floor)}, expected ${usd(c.plan.expected)}, ceiling ${usd(c.plan.ceiling)} a month` : "; no recorded plan to compare (gantry synth <app.ts> --stack " + s.stack + " records one)";
    if ("unavailable" in c) text += `\n  cost so far: not available (${c.unavailable})${plan}\n`;
    else {
      text += `\n  cost so far this month (${c.start} to ${c.end}, ${c.estimated ? "estimated, " : ""}Cost Explorer by tags gantry:app and gantry:stack): ${usd(c.total)}${plan}\n`;
      const parts = Object.entries(c.byDeclaration).sort(([a], [b]) => a.localeCompare(b)).map(([d, amount]) => {
        const range = c.planDeclarations[d];
        return `${d || "shared"} ${usd(amount)}${range ? ` (plan ${usd(range.floor)}-${usd(range.ceiling)})` : ""}`;
      });
      if (parts.length) text += `    ${parts.join(", ")}\n`;
      if (c.total === 0) text += `    (zero: if the stack has run, activate gantry:app and gantry:stack as cost allocation tags in the Billing console; Cost Explorer lags up to a day)\n`;
    }
  }
  const problems = s.units.flatMap((u) => u.problems.map((p) => `${u.unit}: ${p}`));
  if (problems.length) text += `\n  not read:\n${problems.map((p) => `    ${p}\n`).join("")}`;
  return text;
}

async function readPlan(root: string, stack: string) {
  const { readRecordedPlan } = await import("../policy/promote/records.ts");
  try {
    return readRecordedPlan(root, stack);
  } catch {
    return null;
  }
}

async function readRecord(root: string, stack: string): Promise<StackStatus["record"]> {
  const { readDeployment } = await import("../policy/promote/records.ts");
  try {
    const d = readDeployment(root, stack);
    if (d) return { specHash: d.specHash, images: d.images, deployedAt: d.deployedAt ?? null, source: `.gantry/stacks/${stack}/deployment.json` };
  } catch {
    // an unreadable record compares as none
  }
  try {
    const { readStackConfig } = await import("../provider/plan/stack-config.ts");
    const { parseArtifactConfig, ARTIFACT_KEY } = await import("../provider/artifact.ts");
    const artifact = parseArtifactConfig(readStackConfig(root, stack).values[ARTIFACT_KEY], `Pulumi.${stack}.yaml`);
    if (artifact) return { specHash: artifact.specHash, images: artifact.images, deployedAt: null, source: `gantry:artifact of Pulumi.${stack}.yaml` };
  } catch {
    // no artifact either
  }
  return null;
}

interface Progress {
  tick(what: string): void;
  stop(): void;
}

/** cli-progress on stderr when it is a terminal; nothing otherwise (CI logs, pipes, tests). */
async function progressBar(enabled: boolean, total: number, label: string): Promise<Progress> {
  if (!enabled || total === 0) return { tick: () => {}, stop: () => {} };
  const { SingleBar, Presets } = (await import("cli-progress")).default;
  const bar = new SingleBar({ format: `reading ${label} {bar} {value}/{total} {step}`, stream: process.stderr, clearOnComplete: true, hideCursor: true }, Presets.shades_classic);
  bar.start(total, 0, { step: "" });
  let stopped = false;
  return {
    tick: (what) => bar.increment(1, { step: what }),
    stop: () => {
      if (stopped) return;
      stopped = true;
      bar.stop();
    },
  };
}
