/**
 * The static analyzer as the review tools use it: `analyzeApp(file)` from synth/index.ts, loaded
 * lazily (the CLI starts fast, and this module does not pin the analyzer's exact type), with its
 * diagnostics split into errors and warnings and formatted the way every gantry command prints them.
 */
import { AppSpec } from "../synth/spec.ts";
import { formatDiagnostics, type Diagnostic } from "../synth/diagnostics.ts";

export interface AnalyzedApp {
  spec: AppSpec | null;
  diagnostics: Diagnostic[];
  errors: Diagnostic[];
}

export class AnalyzerUnavailable extends Error {}

type AnalyzeFn = (file: string) => unknown;

export async function analyzeAppFile(file: string): Promise<AnalyzedApp> {
  let analyze: AnalyzeFn;
  try {
    const mod = (await import("../synth/index.ts")) as { analyzeApp?: AnalyzeFn };
    if (typeof mod.analyzeApp !== "function") throw new Error("synth/index.ts has no analyzeApp export");
    analyze = mod.analyzeApp;
  } catch (err) {
    throw new AnalyzerUnavailable(`the static analyzer could not be loaded (${(err as Error).message})`);
  }
  const result = (await analyze(file)) as { spec?: unknown; diagnostics?: Diagnostic[] };
  const diagnostics = result.diagnostics ?? [];
  const parsed = result.spec === null || result.spec === undefined ? null : AppSpec.safeParse(result.spec);
  if (parsed && !parsed.success) throw new Error(`the analyzer returned an invalid spec for ${file}: ${parsed.error.issues[0]?.message}`);
  return { spec: parsed ? parsed.data : null, diagnostics, errors: diagnostics.filter((d) => d.severity === "error") };
}

export function formatAnalyzerDiagnostics(diagnostics: readonly Diagnostic[], cwd = process.cwd()): string {
  return formatDiagnostics(diagnostics, { color: false, cwd });
}
