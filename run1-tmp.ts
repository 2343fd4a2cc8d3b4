import { analyzeApp, formatDiagnostics } from "/work/main/synth/index.ts";
const t0 = performance.now();
const r = analyzeApp(process.argv[2]);
const t1 = performance.now();
process.stderr.write(formatDiagnostics(r.diagnostics, { color: false, cwd: process.cwd() }));
console.log(JSON.stringify(r.spec, null, 2));
console.error("ms", t1 - t0, r.secretValues);
