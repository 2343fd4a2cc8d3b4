const t0 = performance.now();
const { analyzeApp } = await import("./synth/index.ts");
const t1 = performance.now();
const r = analyzeApp(process.argv[2]);
const t2 = performance.now();
console.log({ load: Math.round(t1 - t0), analyze: Math.round(t2 - t1), fns: r.spec?.functions.length, diags: r.diagnostics.length });
