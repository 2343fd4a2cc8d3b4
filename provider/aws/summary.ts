/**
 * The AWS plan for people: per declaration what it runs on (GPU, instance type, task size), how it
 * scales, its schedules and endpoints; then the shared infrastructure.
 */
import { webAccess } from "../../synth/units.ts";
import type { Plan } from "../plan.ts";
import { backlogExpression } from "./autoscaling.ts";
import { formatSource } from "./component.ts";
import { visibilityTimeout } from "./function-queue.ts";
import { scheduleExpressions } from "./schedule.ts";
import { capacityGroupsOf, DEFAULT_MAX_CONTAINERS, maxContainersOf, minContainersOf, unitsOf, type Unit } from "./units.ts";

function gib(mib: number): string {
  const g = mib / 1024;
  return `${Number.isInteger(g) ? g : g.toFixed(1)} GiB`;
}

function gpuText(unit: Unit): string {
  const gpu = unit.options.gpu;
  if (!gpu) return "none (CPU)";
  const shapes = [gpu, ...gpu.fallbacks].map((s) => `${s.type}${s.count > 1 ? ` x${s.count}` : ""}`);
  return shapes.length > 1 ? `${shapes[0]} (then ${shapes.slice(1).join(", then ")})` : shapes[0];
}

function row(label: string, value: string): string {
  return `    ${label.padEnd(11)} ${value}`;
}

/** The AWS target's lines of the `gantry synth` summary (plan/summary.ts adds the header, cost and totals). */
export function summarizeAwsPlan(plan: Plan): string[] {
  const units = unitsOf(plan.spec);
  const groups = capacityGroupsOf(units);
  const endpoints = (plan.outputs.endpoints ?? {}) as Record<string, string>;
  const webApps = (plan.outputs.webApps ?? {}) as Record<string, string>;
  const count = new Map<string, number>();
  for (const r of plan.resources) if (r.declaration && !r.type.startsWith("gantry:")) count.set(r.declaration, (count.get(r.declaration) ?? 0) + 1);
  const lines: string[] = [];
  for (const unit of units) {
    const group = groups.find((g) => g.key === unit.capacity)!;
    const kind = unit.variantOf ? `variant of ${unit.variantOf}` : unit.kind;
    lines.push(`  ${unit.id}  (${kind}, ${formatSource(unit.source)})`);
    lines.push(row("GPU", gpuText(unit)));
    lines.push(row("instances", `${group.instances.map((i) => i.instanceType).join(" > ")}${unit.options.spot ? " (spot)" : " (on-demand)"}, group ${group.key}`));
    lines.push(row("task", `${unit.task.cpuUnits / 1024} vCPU, ${gib(unit.task.memoryMiB)}${unit.task.gpus ? `, ${unit.task.gpus} GPU` : ""}, timeout ${unit.options.timeout}s`));
    const max = unit.options.maxContainers === null ? `${maxContainersOf(unit)} (maxContainers not set; gantry's cap is ${DEFAULT_MAX_CONTAINERS})` : String(maxContainersOf(unit));
    const scaling = unit.server
      ? `${minContainersOf(unit)}..${max} containers on requests per target`
      : `${minContainersOf(unit)}..${max} containers on ${backlogExpression(unit)} = ${unit.concurrency.targetInputs}`;
    const inputs = `${unit.concurrency.maxInputs} input${unit.concurrency.maxInputs === 1 ? "" : "s"} per container`;
    lines.push(row("scaling", `${scaling}; ${inputs}; scale-in after ${unit.options.scaledownWindow}s`));
    lines.push(row("queue", `retries ${unit.options.retries.maxRetries}, then dead-letter; visibility ${visibilityTimeout(unit.options.timeout)}s`));
    if (unit.options.volumes.length) lines.push(row("volumes", unit.options.volumes.map((v) => `${v.mountPath} <- ${v.volume} (EFS)`).join(", ")));
    if (unit.options.secrets.length) {
      lines.push(row("secrets", unit.options.secrets.map((id) => {
        const s = plan.spec.secrets.find((x) => x.id === id);
        if (!s) return id;
        const keys = s.kind === "named" ? s.requiredKeys : s.keys;
        return `${s.kind === "named" ? s.name : id}${keys.length ? ` (${keys.join(", ")})` : ""}`;
      }).join(", ")));
    }
    if (unit.schedule) {
      const sched = unit.schedule;
      const from = sched.kind === "cron" ? `"${sched.expression}" ${sched.timezone}` : `every ${sched.seconds}s`;
      lines.push(row("schedule", `${from} -> ${scheduleExpressions(sched).map((e) => e.expression).join(" + ")}`));
    }
    for (const e of unit.endpoints) {
      const key = `${e.web.method} ${e.path}`;
      lines.push(row("endpoint", `${key}  ${webAccess(e.web)}${e.web.docs ? ", docs" : ""}  ${endpoints[key] ?? ""}`.trimEnd()));
    }
    if (unit.server) lines.push(row("web", `${unit.server.kind === "server" ? `webServer :${unit.server.port}` : "webApp"} ${webAccess(unit.server)}  ${webApps[unit.id] ?? ""}`.trimEnd()));
    lines.push(row("resources", String(count.get(unit.id) ?? 0)));
    lines.push("");
  }
  const shared = plan.resources.filter((r) => r.declaration === null && !r.type.startsWith("gantry:")).length;
  const others = plan.resources.filter((r) => r.declaration !== null && !units.some((u) => u.id === r.declaration) && !r.type.startsWith("gantry:")).length;
  lines.push("  shared");
  lines.push(row("capacity", groups.map((g) => `${g.key} for ${g.units.join(", ")}: ${g.instances.map((i) => i.instanceType).join(" > ")}, 0..${g.maxInstances} instances`).join("; ")));
  lines.push(row("state", [
    ...plan.spec.volumes.map((v) => `volume ${v.name}`),
    ...plan.spec.secrets.map((s) => `secret ${s.kind === "named" ? s.name : s.id}`),
    ...plan.spec.dicts.map((d) => `dict ${d.name}`),
    ...plan.spec.queues.map((q) => `queue ${q.name}`),
  ].join(", ") || "none"));
  const artifact = plan.outputs.artifact as { fromStack: string } | undefined;
  if (artifact) {
    // a promoted stack (gantry:artifact) builds nothing: say which digests it runs
    const refs = Object.entries((plan.outputs.images ?? {}) as Record<string, string>).map(([id, ref]) => `${id} = ${ref}`);
    lines.push(row("images", `promoted from stack ${artifact.fromStack}, not built: ${refs.join(", ")}`));
  }
  lines.push(row("resources", `${shared} shared (network, cluster, capacity, call state, web) + ${others} for volumes, secrets, dicts, queues, images`));
  lines.push("");
  return lines;
}
