/**
 * Diagnostics of the static analysis: a collector that never throws (so one run reports every
 * problem of an app), the table of codes, and the formatter that prints
 * `file:line:col: error GANTRY1234: message` followed by a code frame.
 */
import { readFileSync } from "node:fs";
import { relative, sep } from "node:path";

export type Severity = "error" | "warning";

/** Every code the analysis emits, with its severity and a one-line meaning. */
export const DIAGNOSTIC_CODES = {
  // ---- files and syntax
  GANTRY1000: { severity: "error", meaning: "an internal error of the analysis (please report it)" },
  GANTRY1001: { severity: "error", meaning: "the app file cannot be read" },
  GANTRY1002: { severity: "error", meaning: "a TypeScript syntax error in an analysed file" },
  // ---- the app
  GANTRY1100: { severity: "error", meaning: "no `new App(...)` in the app" },
  GANTRY1101: { severity: "error", meaning: "more than one `new App(...)` in the app" },
  GANTRY1102: { severity: "error", meaning: "the app name is not a string literal" },
  GANTRY1103: { severity: "error", meaning: "the app name is not a valid name" },
  // ---- static values
  GANTRY1200: { severity: "error", meaning: "a value that must be static is not statically known" },
  GANTRY1201: { severity: "error", meaning: "a static value has the wrong type" },
  GANTRY1202: { severity: "error", meaning: "a static value cannot be evaluated (circular, bad arithmetic, unknown member)" },
  // ---- options
  GANTRY1300: { severity: "error", meaning: "an unknown option name" },
  GANTRY1301: { severity: "error", meaning: "an old Modal option name (the message names the new one)" },
  GANTRY1302: { severity: "error", meaning: "timeout out of range (1..86400 seconds, an integer)" },
  GANTRY1303: { severity: "error", meaning: "`schedule` on a class (schedules are for functions)" },
  GANTRY1304: { severity: "error", meaning: "an option value out of range or of the wrong kind" },
  GANTRY1305: { severity: "error", meaning: "minContainers greater than maxContainers" },
  GANTRY1306: { severity: "error", meaning: "invalid retries" },
  GANTRY1307: { severity: "error", meaning: "invalid volume mount" },
  GANTRY1308: { severity: "error", meaning: "invalid secrets list" },
  GANTRY1309: { severity: "warning", meaning: "a new gantry-hash.key was created for `Secret.fromDict` hashes (commit it)" },
  // ---- GPU
  GANTRY1400: { severity: "error", meaning: "unknown GPU type" },
  GANTRY1401: { severity: "error", meaning: "invalid GPU count, memory or shape" },
  // ---- schedules
  GANTRY1500: { severity: "error", meaning: "invalid cron expression" },
  GANTRY1501: { severity: "error", meaning: "invalid timezone" },
  GANTRY1502: { severity: "error", meaning: "invalid period" },
  GANTRY1503: { severity: "warning", meaning: "a cron schedule matches a local time that a daylight-saving change skips or repeats" },
  // ---- declarations
  GANTRY1600: { severity: "error", meaning: "a declaration that is not exported (containers find declarations by export name)" },
  GANTRY1601: { severity: "error", meaning: "two declarations with the same name" },
  GANTRY1602: { severity: "error", meaning: "a declaration not bound to a top-level `export const`" },
  GANTRY1603: { severity: "error", meaning: "the handler of a function is not a function" },
  GANTRY1604: { severity: "warning", meaning: "an `@app.cls` class that is not exported" },
  GANTRY1605: { severity: "warning", meaning: "a `webApp` / `webServer` that never scales to zero (the message gives the monthly floor cost)" },
  // ---- classes
  GANTRY1700: { severity: "error", meaning: "a gantry member or class decorator outside an `@app.cls` class" },
  GANTRY1701: { severity: "error", meaning: "a `@batched` method that does not take exactly one array parameter" },
  GANTRY1702: { severity: "error", meaning: "`@concurrent` maxInputs smaller than a `@batched` maxBatchSize" },
  GANTRY1703: { severity: "error", meaning: "a `parameter()` field without a supported type" },
  GANTRY1704: { severity: "error", meaning: "conflicting or misplaced gantry decorators (twice, hook and method, on a field)" },
  GANTRY1705: { severity: "error", meaning: "invalid `@concurrent` or `@batched` values" },
  GANTRY1706: { severity: "warning", meaning: "an `@enter({ snap: true })` hook without `enableMemorySnapshot: true`" },
  GANTRY1707: { severity: "error", meaning: "an invalid variant (`Cls.of(X).withOptions(...)` and friends)" },
  GANTRY1708: { severity: "error", meaning: "a `Cls.fromName` / `Function.fromName` of this app naming a class / function it does not declare" },
  GANTRY1709: { severity: "warning", meaning: "a variant of another app's class (`Cls.fromName(other, X).withOptions(...)`): this app deploys no pool for it" },
  // ---- images
  GANTRY1800: { severity: "warning", meaning: "an unpinned package in an image layer" },
  GANTRY1801: { severity: "error", meaning: "an invalid image builder call" },
  GANTRY1802: { severity: "warning", meaning: "a local path of an image or secret does not exist" },
  GANTRY1803: { severity: "warning", meaning: "an image base without Node (every gantry container starts with node): add `addNode`" },
  GANTRY1804: { severity: "warning", meaning: "`pipInstall` on an image base without Python: add `addPython`" },
  // ---- secrets, volumes, dicts, queues
  GANTRY1900: { severity: "error", meaning: "an invalid secret" },
  GANTRY1901: { severity: "error", meaning: "an invalid volume, dict or queue" },
  // ---- web
  GANTRY2000: { severity: "error", meaning: "invalid web endpoint options" },
  GANTRY2001: { severity: "error", meaning: "a body schema that cannot be evaluated statically or converted to JSON Schema" },
} as const satisfies Record<string, { severity: Severity; meaning: string }>;

export type DiagnosticCode = keyof typeof DIAGNOSTIC_CODES;

export interface Diagnostic {
  severity: Severity;
  code: DiagnosticCode;
  message: string;
  /** absolute path */
  file: string;
  /** 1-based */
  line: number;
  /** 1-based */
  column: number;
  /** characters to underline on `line` (at least 1) */
  length: number;
}

/** Where a diagnostic points. */
export interface Span { file: string; line: number; column: number; length: number }

/** Collects diagnostics; identical ones (same code, place and message) are kept once. */
export class DiagnosticCollector {
  private readonly items: Diagnostic[] = [];
  private readonly seen = new Set<string>();

  report(code: DiagnosticCode, span: Span, message: string): void {
    const key = `${code}|${span.file}|${span.line}|${span.column}|${message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.items.push({ severity: DIAGNOSTIC_CODES[code].severity, code, message, ...span, length: Math.max(1, span.length) });
  }

  /** how many distinct diagnostics were reported so far */
  get count(): number {
    return this.items.length;
  }

  get hasErrors(): boolean {
    return this.items.some((d) => d.severity === "error");
  }

  /** Sorted by file, position and code, so output does not depend on analysis order. */
  all(): Diagnostic[] {
    return [...this.items].sort(compareDiagnostics);
  }
}

export function compareDiagnostics(a: Diagnostic, b: Diagnostic): number {
  return cmp(a.file, b.file) || a.line - b.line || a.column - b.column || cmp(a.code, b.code) || cmp(a.message, b.message);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---- formatting

export interface FormatOptions {
  color: boolean;
  /** file names are printed relative to this directory */
  cwd: string;
}

const ANSI = { red: "\x1b[31m", yellow: "\x1b[33m", bold: "\x1b[1m", dim: "\x1b[2m", reset: "\x1b[0m" };

/**
 * `file:line:col: error GANTRY1234: message`, then a code frame: two lines before, the line with a
 * caret under the column (underlining the span), one line after. Diagnostics are separated by a blank line.
 */
export function formatDiagnostics(diagnostics: readonly Diagnostic[], options: FormatOptions): string {
  const sources = new Map<string, string[] | null>();
  const paint = (code: keyof typeof ANSI, text: string) => (options.color ? `${ANSI[code]}${text}${ANSI.reset}` : text);
  const blocks = diagnostics.map((d) => {
    let lines = sources.get(d.file);
    if (lines === undefined) {
      lines = readLines(d.file);
      sources.set(d.file, lines);
    }
    const where = `${displayPath(d.file, options.cwd)}:${d.line}:${d.column}`;
    const severity = d.severity === "error" ? paint("red", "error") : paint("yellow", "warning");
    const header = `${paint("bold", where)}: ${severity} ${d.code}: ${d.message}`;
    const frame = lines ? codeFrame(lines, d, paint) : "";
    return frame ? `${header}\n${frame}` : header;
  });
  return blocks.length ? `${blocks.join("\n\n")}\n` : "";
}

/** "2 errors, 1 warning" */
export function summarizeDiagnostics(diagnostics: readonly Diagnostic[]): string {
  const errors = diagnostics.filter((d) => d.severity === "error").length;
  const warnings = diagnostics.length - errors;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  return `${plural(errors, "error")}, ${plural(warnings, "warning")}`;
}

function displayPath(file: string, cwd: string): string {
  const rel = relative(cwd, file);
  return (rel === "" ? file : rel).split(sep).join("/");
}

function readLines(file: string): string[] | null {
  try {
    return readFileSync(file, "utf8").split(/\r?\n/);
  } catch {
    return null;
  }
}

function codeFrame(lines: string[], d: Diagnostic, paint: (code: keyof typeof ANSI, text: string) => string): string {
  const first = Math.max(1, d.line - 2);
  const last = Math.min(lines.length, d.line + 1);
  const width = String(last).length;
  const out: string[] = [];
  for (let n = first; n <= last; n++) {
    const text = (lines[n - 1] ?? "").replace(/\t/g, " ");
    const marker = n === d.line ? ">" : " ";
    out.push(`${marker} ${paint("dim", `${String(n).padStart(width)} |`)}${text ? ` ${text}` : ""}`);
    if (n === d.line) {
      const available = Math.max(1, text.length - (d.column - 1));
      const caret = "^".repeat(Math.max(1, Math.min(d.length, available)));
      const color = d.severity === "error" ? "red" : "yellow";
      out.push(`  ${paint("dim", `${" ".repeat(width)} |`)} ${" ".repeat(d.column - 1)}${paint(color, caret)}`);
    }
  }
  return out.join("\n");
}
