import { analyzeApp, formatDiagnostics } from "./synth/index.ts";
const r = analyzeApp(process.argv[2]);
process.stdout.write(formatDiagnostics(r.diagnostics, { color: false, cwd: process.cwd() }));
const s = r.spec;
if (s) {
  for (const f of s.functions) console.log(f.name, JSON.stringify(f.source), JSON.stringify({ gpu: f.options.gpu, timeout: f.options.timeout, max: f.options.maxContainers, vols: f.options.volumes, image: f.options.image }), JSON.stringify(f.schedule));
  console.log(JSON.stringify(s.images), JSON.stringify(s.volumes));
} else console.log("spec null");
