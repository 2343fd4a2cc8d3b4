import { spawnSync } from "node:child_process";
const n = 21;
const runs = { bare: [], load: [] };
for (let i = 0; i < n; i++) {
  let t = performance.now(); spawnSync(process.execPath, ["-e", "0"]); runs.bare.push(performance.now() - t);
  t = performance.now(); spawnSync(process.execPath, ["/tmp/gantry-bundle-empty/main.mjs"], { env: {} }); runs.load.push(performance.now() - t);
}
for (const k in runs) { runs[k].sort((a, b) => a - b); console.log(k, runs[k][n >> 1].toFixed(1)); }
