/** The diagnostics formatter and collector. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DiagnosticCollector, DIAGNOSTIC_CODES, formatDiagnostics, type Diagnostic } from "../../synth/diagnostics.ts";

const dir = mkdtempSync(join(tmpdir(), "gantry-diag-"));
const file = join(dir, "app.ts");
writeFileSync(file, ["import { App } from \"gantry\";", "", "export const app = new App(\"x\");", "export const f = app.function({ gpu: \"A10\" }, async () => 1);", "// end"].join("\n"));

const diagnostic: Diagnostic = { severity: "error", code: "GANTRY1400", message: "unknown GPU \"A10\"", file, line: 4, column: 38, length: 5 };

test("file:line:col: error CODE: message, then a code frame with a caret under the column", () => {
  assert.equal(formatDiagnostics([diagnostic], { color: false, cwd: dir }), [
    "app.ts:4:38: error GANTRY1400: unknown GPU \"A10\"",
    "  2 |",
    "  3 | export const app = new App(\"x\");",
    "> 4 | export const f = app.function({ gpu: \"A10\" }, async () => 1);",
    "    |                                      ^^^^^",
    "  5 | // end",
    "",
  ].join("\n"));
});

test("warnings read `warning`; paths are relative to cwd; color only when asked", () => {
  const warning = { ...diagnostic, severity: "warning" as const, code: "GANTRY1800" as const };
  const plain = formatDiagnostics([warning], { color: false, cwd: join(dir, "..") });
  assert.match(plain.split("\n")[0], /^gantry-diag-\w+\/app\.ts:4:38: warning GANTRY1800: /);
  assert.ok(!plain.includes("\x1b["));
  assert.ok(formatDiagnostics([warning], { color: true, cwd: dir }).includes("\x1b[33mwarning"));
});

test("a missing source file still gives the header line", () => {
  const out = formatDiagnostics([{ ...diagnostic, file: join(dir, "gone.ts") }], { color: false, cwd: dir });
  assert.equal(out, "gone.ts:4:38: error GANTRY1400: unknown GPU \"A10\"\n");
});

test("the collector keeps identical reports once, sorts them, and takes severity from the code table", () => {
  const c = new DiagnosticCollector();
  const span = { file, line: 4, column: 38, length: 5 };
  c.report("GANTRY1800", { ...span, line: 5 }, "later");
  c.report("GANTRY1400", span, "first");
  c.report("GANTRY1400", span, "first");
  assert.deepEqual(c.all().map((d) => [d.code, d.line, d.severity]), [["GANTRY1400", 4, "error"], ["GANTRY1800", 5, "warning"]]);
  assert.equal(c.hasErrors, true);
});

test("every code has a severity and a one-line meaning", () => {
  for (const [code, entry] of Object.entries(DIAGNOSTIC_CODES)) {
    assert.match(code, /^GANTRY\d{4}$/);
    assert.ok(entry.meaning.length > 10 && !entry.meaning.includes("\n"), code);
  }
});
