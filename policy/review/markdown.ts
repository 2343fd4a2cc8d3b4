/**
 * The pull-request comment. It starts with a hidden tag (`<!-- gantry-diff -->`) so CI can find
 * its own comment and update it instead of posting a new one on every push. Flags come first,
 * then the cost delta, then the resource changes grouped by declaration.
 */
import type { CostRange } from "../../provider/plan.ts";
import type { SourceLocation } from "../../synth/spec.ts";
import { FLAG_TITLES, type DeclarationGroup, type PreviewFailure, type ResourceChange, type ReviewDiff } from "./model.ts";
import { showValue } from "./properties.ts";

export const COMMENT_TAG = "<!-- gantry-diff -->";

const MAX_PROPERTIES = 8;
const OP_LABEL = { create: "+ create", update: "~ update", replace: "± replace", delete: "- delete" } as const;

export function renderMarkdown(diff: ReviewDiff): string {
  const out: string[] = [COMMENT_TAG];
  const title = [diff.app && `\`${diff.app}\``, diff.stack && `stack \`${diff.stack}\``].filter(Boolean).join(" · ");
  out.push(`### gantry diff${title ? ` · ${title}` : ""}`, "");

  if (diff.failure) out.push(...renderFailure(diff.failure), "");

  if (diff.flags.length) {
    out.push("**Needs a reviewer's eye**", "");
    for (const f of diff.flags) {
      const who = [f.declaration && `\`${f.declaration}\``, f.source && where(f.source)].filter(Boolean).join(" ");
      out.push(`- **${FLAG_TITLES[f.kind]}**${who ? ` · ${who}` : ""}: ${f.details.map((d) => escape(d).replace(/ -&gt; /g, " → ")).join("; ")}`);
    }
  } else if (diff.failure) {
    out.push("Nothing flagged in what the failed preview got to; that is not a clean review.");
  } else {
    out.push("Nothing flagged: no GPU spend broadened, no IAM broadened, no public endpoint added, no secret changed.");
  }
  out.push("");

  if (diff.cost && diff.cost.delta) {
    out.push(`**Monthly cost** (USD): ${rangeDelta(diff.cost.delta)}`, "");
    out.push("| | floor | expected | ceiling |", "|---|--:|--:|--:|");
    out.push(`| before | ${cells(diff.cost.base)} |`, `| after | ${cells(diff.cost.head)} |`, `| change | ${signedCells(diff.cost.delta)} |`, "");
  } else if (diff.cost) {
    // one plan: its side's cost is known, the other side's is not (it is not zero)
    const headOnly = diff.cost.known === "head-only";
    const r = (headOnly ? diff.cost.head : diff.cost.base)!;
    out.push(`**Monthly cost** (USD) ${headOnly ? "after" : "before"} this change: ${usd(r.floor)} floor, ${usd(r.expected)} expected, ${usd(r.ceiling)} ceiling. The change in cost is not known from a preview and one plan: pass \`${headOnly ? "--base-plan" : "--head-plan"}\` too.`, "");
  } else {
    out.push("_Cost: not available (a bare preview; pass `--base-plan` and `--head-plan` for the cost delta)._", "");
  }

  const s = diff.summary;
  out.push(`**Resources**: ${s.create} to create, ${s.update} to update, ${s.replace} to replace, ${s.delete} to delete, ${s.same} unchanged`, "");

  for (const g of diff.groups) out.push(...renderGroup(g), "");

  if (diff.cost) out.push(`<sub>Prices: ${escape(diff.cost.priceSource)}. Floor: warm pool always on; expected: usage file and schedules; ceiling: maxContainers busy all month.</sub>`, "");
  return `${out.join("\n").trimEnd()}\n`;
}

/** At the top, before anything that could read as a clean review. */
function renderFailure(f: PreviewFailure): string[] {
  const lines = [`**⛔ Preview FAILED**: ${f.reasons.map(escape).join("; ")}. What follows is only the part the engine got to: do not merge on it.`];
  if (f.diagnostics.length) lines.push("", "```text", ...f.diagnostics.map((d) => d.message.replace(/`{3}/g, "~~~")), "```");
  return lines;
}

function renderGroup(g: DeclarationGroup): string[] {
  const head = g.declaration ? `\`${g.declaration}\`` : "shared infrastructure";
  const lines = [`#### ${head}${g.source ? ` · ${where(g.source)}` : ""}${g.cost?.delta ? ` · cost ${rangeDelta(g.cost.delta)}` : ""}`];
  if (g.changes.length === 0) {
    lines.push("", "_No resource changes; its cost moved (see above)._");
    return lines;
  }
  lines.push("", "| | resource | changes |", "|---|---|---|");
  for (const c of g.changes) lines.push(`| ${OP_LABEL[c.op]} | \`${escape(c.type)}\` ${escape(c.name)} | ${describeChanges(c)} |`);
  return lines;
}

function describeChanges(c: ResourceChange): string {
  if (c.op === "create") return "new";
  if (c.op === "delete") return "removed";
  const shown = c.properties.slice(0, MAX_PROPERTIES).map((p) => {
    const mark = p.replaces ? " **(forces replacement)**" : "";
    if (p.kind === "add") return `\`${escape(p.path)}\`: + ${code(showValue(p.after))}${mark}`;
    if (p.kind === "delete") return `\`${escape(p.path)}\`: - ${code(showValue(p.before))}${mark}`;
    return `\`${escape(p.path)}\`: ${code(showValue(p.before))} → ${code(showValue(p.after))}${mark}`;
  });
  if (c.properties.length > MAX_PROPERTIES) shown.push(`… ${c.properties.length - MAX_PROPERTIES} more`);
  if (c.op === "replace" && c.replaceBy === "gantry") shown.push("_replacement per gantry's table; the Pulumi preview decides_");
  return shown.join("<br>") || "—";
}

function where(s: SourceLocation): string {
  return `${s.file}:${s.line}:${s.column}`;
}

export function usd(x: number): string {
  const sign = x < 0 ? "-" : "";
  const abs = Math.abs(x);
  // cents only where they matter: small amounts that are not whole dollars
  const digits = abs < 100 && Math.round(abs * 100) % 100 !== 0 ? 2 : 0;
  return `${sign}$${abs.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits })}`;
}

function signed(x: number): string {
  return x > 0 ? `+${usd(x)}` : x < 0 ? usd(x) : "±$0";
}

/** "+$0 to +$96,776" — the smallest and largest of the three deltas. */
export function rangeDelta(d: CostRange): string {
  const lo = Math.min(d.floor, d.expected, d.ceiling);
  const hi = Math.max(d.floor, d.expected, d.ceiling);
  return lo === hi ? signed(lo) : `${signed(lo)} to ${signed(hi)}`;
}

function cells(r: CostRange | null): string {
  return r ? `${usd(r.floor)} | ${usd(r.expected)} | ${usd(r.ceiling)}` : "— | — | —";
}

function signedCells(r: CostRange): string {
  return `${signed(r.floor)} | ${signed(r.expected)} | ${signed(r.ceiling)}`;
}

function code(text: string): string {
  return `\`${escape(text).replace(/`/g, "'")}\``;
}

function escape(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

