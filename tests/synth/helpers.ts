/** Small helpers so each test states one fact about a spec in one line. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { analyzeApp, type AnalysisResult, type Diagnostic } from "../../synth/index.ts";
import type { AppSpec, ClassSpec, FunctionSpec } from "../../synth/spec.ts";

export const FIXTURES = fileURLToPath(new URL("./fixtures/", import.meta.url));

/** Analyses `fixtures/<name>/app.ts` with the fixture's folder as project root (paths read "app.ts"). */
export function analyzeFixture(name: string): AnalysisResult {
  return analyzeApp(join(FIXTURES, name, "app.ts"), { projectRoot: join(FIXTURES, name) });
}

/** The spec of a fixture that must analyse without errors. */
export function specOf(name: string): AppSpec {
  const result = analyzeFixture(name);
  const errors = result.diagnostics.filter((d) => d.severity === "error");
  assert.deepEqual(errors.map(brief), [], `fixture ${name} has errors`);
  assert.ok(result.spec);
  return result.spec;
}

export function fn(spec: AppSpec, name: string): FunctionSpec {
  const found = spec.functions.find((f) => f.name === name);
  assert.ok(found, `no function ${name} (have ${spec.functions.map((f) => f.name).join(", ")})`);
  return found;
}

export function cls(spec: AppSpec, name: string): ClassSpec {
  const found = spec.classes.find((c) => c.name === name);
  assert.ok(found, `no class ${name} (have ${spec.classes.map((c) => c.name).join(", ")})`);
  return found;
}

/** "GANTRY1400 app.ts:11:47" with the file relative to the fixture. */
export function brief(d: Diagnostic): string {
  const file = d.file.slice(d.file.indexOf("/fixtures/") + "/fixtures/".length).split("/").slice(-1)[0];
  return `${d.code} ${file}:${d.line}:${d.column}`;
}
