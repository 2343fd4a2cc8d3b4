/**
 * `gantry spec <app.ts> [--json]`: what the static analysis understood, as a readable summary or
 * as the JSON spec; diagnostics go to stderr. Exit 1 on errors, 2 when the file does not exist.
 */
import { existsSync, statSync } from "node:fs";
import type { Command } from "commander";
import { analyzeApp, formatDiagnostics, specHash, summarizeDiagnostics } from "../../synth/index.ts";
import { formatGpuShape } from "../../synth/gpu.ts";
import type { AppSpec, ClassSpec, DeclarationOptions, FunctionSpec, ImageSpec, WebSpec } from "../../synth/spec.ts";
import { UsageError } from "../main.ts";

export function register(program: Command): void {
  program
    .command("spec")
    .description("show the app spec the static analysis finds in an app file, with every diagnostic")
    .argument("<app>", "the app file, e.g. examples/hello/app.ts")
    .option("--json", "print the spec as JSON (2-space indent, stable key order)")
    .action((app: string, options: { json?: boolean }) => {
      if (!existsSync(app) || !statSync(app).isFile()) throw new UsageError(`no such file: ${app}`);
      const result = analyzeApp(app);
      if (result.diagnostics.length) {
        const color = !!process.stderr.isTTY && !process.env.NO_COLOR;
        process.stderr.write(formatDiagnostics(result.diagnostics, { color, cwd: process.cwd() }));
        process.stderr.write(`\n${summarizeDiagnostics(result.diagnostics)}\n`);
      }
      if (!result.spec) {
        process.exitCode = 1;
        return;
      }
      process.stdout.write(options.json ? `${JSON.stringify(result.spec, null, 2)}\n` : summarize(result.spec));
    });
}

/** The human-readable summary: one block per kind of declaration. */
export function summarize(spec: AppSpec): string {
  const out: string[] = [`app ${spec.app.name}  (${spec.entry})`, `spec ${specHash(spec)}`];
  const section = (title: string, lines: string[]) => {
    if (lines.length) out.push("", `${title} (${lines.filter((l) => !l.startsWith("    ")).length})`, ...lines);
  };
  section("functions", spec.functions.flatMap((f) => [
    `  ${f.name}  ${where(f.source)}`,
    `    ${[...webPart(f.web), ...schedulePart(f), ...optionParts(f.options)].join(" · ") || "defaults"}`,
  ]));
  section("classes", spec.classes.flatMap(classLines));
  section("entrypoints", spec.entrypoints.map((e) => `  ${e.name}  ${where(e.source)}`));
  section("images", spec.images.map(imageLine));
  section("volumes", spec.volumes.map((v) => `  ${v.name}${v.createIfMissing ? " (created if missing)" : ""}`));
  section("secrets", spec.secrets.map((s) => {
    const keys = s.kind === "named" ? s.requiredKeys : s.keys;
    const what = s.kind === "named" ? s.name : s.kind === "dict" ? `${s.id} (from a dict)` : `${s.id} (from ${s.path})`;
    return `  ${what}${keys.length ? `  keys ${keys.join(", ")}` : ""}`;
  }));
  // who may use it on AWS (synth/analyze/state-use.ts; provider/aws/iam.ts grants it to them only)
  const users = (d: AppSpec["dicts"][number]) => (d.usedBy === undefined ? "every declaration" : d.usedBy.join(", ") || "no declaration");
  section("dicts", spec.dicts.map((d) => `  ${d.name}${d.createIfMissing ? " (created if missing)" : ""}  used by ${users(d)}`));
  section("queues", spec.queues.map((q) => `  ${q.name}${q.createIfMissing ? " (created if missing)" : ""}  used by ${users(q)}`));
  return `${out.join("\n")}\n`;
}

function classLines(c: ClassSpec): string[] {
  const lines = [`  ${c.name}  ${where(c.source)}`];
  const parts = optionParts(c.options);
  if (c.concurrency) parts.push(`concurrent ${c.concurrency.maxInputs} (target ${c.concurrency.targetInputs})`);
  lines.push(`    ${parts.join(" · ") || "defaults"}`);
  if (c.parameters.length) {
    lines.push(`    parameters ${c.parameters.map((p) => `${p.name}: ${p.type}${p.required ? "" : ` = ${JSON.stringify(p.default)}`}`).join(", ")}`);
  }
  for (const m of c.methods) {
    const extra = [...(m.batched ? [`batched ${m.batched.maxBatchSize} / ${m.batched.waitMs} ms`] : []), ...webPart(m.web)];
    lines.push(`    method ${m.name}(${m.params.map((p) => `${p.name}: ${p.type}`).join(", ")})${extra.length ? `  ${extra.join(" · ")}` : ""}`);
  }
  if (c.enter.length) lines.push(`    enter ${c.enter.map((h) => (h.snap ? `${h.name} (snap)` : h.name)).join(", ")}`);
  if (c.exit.length) lines.push(`    exit ${c.exit.map((h) => h.name).join(", ")}`);
  for (const v of c.variants) lines.push(`    variant ${v.id}`);
  return lines;
}

function optionParts(o: DeclarationOptions): string[] {
  const parts: string[] = [];
  if (o.gpu) parts.push(`gpu ${[o.gpu, ...o.gpu.fallbacks].map(formatGpuShape).join(" > ")}`);
  if (o.cpu !== null) parts.push(`cpu ${o.cpu}`);
  if (o.memory !== null) parts.push(`memory ${o.memory} MiB`);
  parts.push(`containers ${o.minContainers}..${o.maxContainers ?? "unbounded"}${o.bufferContainers ? ` +${o.bufferContainers} buffer` : ""}`);
  parts.push(`idle ${o.scaledownWindow}s`, `timeout ${o.timeout}s`);
  if (o.retries.maxRetries) parts.push(`retries ${o.retries.maxRetries}`);
  if (o.spot) parts.push("spot");
  if (o.enableMemorySnapshot) parts.push("memory snapshot");
  if (o.volumes.length) parts.push(`volumes ${o.volumes.map((v) => `${v.mountPath}=${v.volume}`).join(", ")}`);
  if (o.secrets.length) parts.push(`secrets ${o.secrets.join(", ")}`);
  parts.push(`image ${o.image}`);
  return parts;
}

function webPart(web: WebSpec | null): string[] {
  if (!web) return [];
  const access = web.kind !== "endpoint" && web.auth === "app" ? "auth by the app" : web.public ? "public" : "private";
  if (web.kind === "endpoint") {
    const query = web.queryParams ? `, query parameters ${web.queryParams.join(", ")}` : web.bodySchema ? ", body schema" : "";
    return [`${web.method} endpoint (${access}${web.docs ? ", docs" : ""}${query})`];
  }
  if (web.kind === "app") return [`web app (${access})`];
  return [`web server on port ${web.port} (${access})`];
}

function schedulePart(f: FunctionSpec): string[] {
  const s = f.schedule;
  if (!s) return [];
  return [s.kind === "cron" ? `cron "${s.expression}" ${s.timezone}` : `every ${s.seconds}s`];
}

function imageLine(image: ImageSpec): string {
  const b = image.base;
  const base = b.kind === "debianSlim" ? `debianSlim node ${b.node}${b.python ? ` python ${b.python}` : ""}`
    : `${b.kind === "registry" ? b.ref : `Dockerfile ${b.path}`}${b.addNode ? ` + node ${b.addNode}` : ""}${b.addPython ? ` + python ${b.addPython}` : ""}`;
  const layers = image.layers.map((l) => {
    switch (l.kind) {
      case "apt":
      case "npm":
      case "pip": return `${l.kind} ${l.packages.join(" ")}`;
      case "run": return `run ${l.commands.length} command${l.commands.length === 1 ? "" : "s"}`;
      case "env": return `env ${Object.keys(l.vars).join(",")}`;
      case "workdir": return `workdir ${l.path}`;
      default: return `${l.kind} ${l.local} -> ${l.remote}`;
    }
  });
  return `  ${image.id}  ${[base, ...layers].join(" | ")}${image.source ? "" : "  (default)"}`;
}

function where(loc: { file: string; line: number; column: number }): string {
  return `${loc.file}:${loc.line}:${loc.column}`;
}
