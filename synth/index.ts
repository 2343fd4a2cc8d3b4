/**
 * The static analysis: an app file -> AppSpec, with diagnostics. User code is never executed.
 */
export { analyzeApp, findProjectRoot, type AnalysisResult, type AnalyzeOptions } from "./analyze/analyze.ts";
export { specHash, canonicalJson } from "./hash.ts";
export {
  formatDiagnostics, summarizeDiagnostics, DIAGNOSTIC_CODES,
  type Diagnostic, type DiagnosticCode, type FormatOptions, type Severity,
} from "./diagnostics.ts";
export { normalizeCron, normalizeTimezone } from "./cron.ts";
export { normalizeGpu, formatGpuShape } from "./gpu.ts";
