/**
 * What `gantry logs` and `gantry status` share, local or deployed: `--since` read into a time, and
 * a log line printed as `gantry run` prints container output (`[square#1] text`) after its time,
 * or as one JSON object per line with `--json`.
 */
import { UsageError } from "./main.ts";

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** `--since 90s | 15m | 1h | 2d | 1w` (before now) or an ISO time (`2026-12-04T20:00:00Z`): ms since the epoch. */
export function parseSince(raw: string, now = Date.now()): number {
  const relative = /^(\d+(?:\.\d+)?)\s*([smhdw])$/.exec(raw.trim());
  if (relative) return now - Number(relative[1]) * UNITS[relative[2]];
  if (/^\d{4}-\d\d-\d\d/.test(raw)) {
    const at = Date.parse(raw);
    if (Number.isFinite(at)) return at;
  }
  throw new UsageError(`--since takes a duration before now (90s, 15m, 1h, 2d, 1w) or an ISO time (2026-12-04T20:00:00Z), not "${raw}"`);
}

export interface PrintedLine {
  /** ms since the epoch */
  time: number;
  /** `square#1` locally, `square#3f9a1c2e` (the ECS task) deployed */
  container: string;
  stream?: "stdout" | "stderr";
  text: string;
  calls?: string[];
}

export function formatLogLine(line: PrintedLine, json: boolean): string {
  if (json) {
    return `${JSON.stringify({ time: new Date(line.time).toISOString(), container: line.container, ...(line.stream ? { stream: line.stream } : {}), text: line.text, ...(line.calls ? { calls: line.calls } : {}) })}\n`;
  }
  return `${new Date(line.time).toISOString()} [${line.container}] ${line.text}\n`;
}

/** `3 s`, `4 min`, `2 h 5 min`, `3 d` */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h${s % 3600 >= 60 ? ` ${Math.floor((s % 3600) / 60)} min` : ""}`;
  return `${Math.floor(s / 86_400)} d`;
}

/** Rows as aligned columns (the first row is the header). */
export function table(rows: string[][], indent = "  "): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows.map((r) => `${indent}${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join("  ")}`.trimEnd()).join("\n") + "\n";
}
