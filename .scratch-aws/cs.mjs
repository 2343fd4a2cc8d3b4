import { spawn, spawnSync } from "node:child_process";
const env = { ...process.env, GANTRY_APP: "conformance", GANTRY_KIND: "function", GANTRY_DECLARATION: "echo", GANTRY_VARIANT: "echo",
  GANTRY_QUEUE_URL: "http://127.0.0.1:9/q", GANTRY_DLQ_URL: "http://127.0.0.1:9/d", GANTRY_RESULTS_TABLE: "t", GANTRY_PAYLOAD_BUCKET: "b",
  GANTRY_HEALTH_PORT: "0", AWS_REGION: "us-east-1", AWS_ACCESS_KEY_ID: "x", AWS_SECRET_ACCESS_KEY: "y", AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" };
function once(dir) {
  return new Promise((resolve) => {
    const t = performance.now();
    const c = spawn(process.execPath, [dir + "/main.mjs"], { env: { ...env, GANTRY_APP_FILE: dir + "/app.mjs" }, stdio: ["ignore", "ignore", "pipe"] });
    let buf = "";
    c.stderr.on("data", (d) => { buf += d; if (buf.includes("ready: receiving")) { const ms = performance.now() - t; c.kill("SIGKILL"); resolve(ms); } });
  });
}
const dirs = process.argv.slice(2); const n = 15; const res = { bare: [] }; for (const d of dirs) res[d] = [];
for (let i = 0; i < n; i++) { let t = performance.now(); spawnSync(process.execPath, ["-e", "0"]); res.bare.push(performance.now() - t); for (const d of dirs) res[d].push(await once(d)); }
for (const k in res) { res[k].sort((a, b) => a - b); console.log(k.padEnd(20), res[k][n >> 1].toFixed(1), (res[k][n >> 1] / res.bare[n >> 1]).toFixed(2)); }
