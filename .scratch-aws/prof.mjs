import { spawn } from "node:child_process";
const env = { ...process.env, GANTRY_APP: "conformance", GANTRY_KIND: "function", GANTRY_DECLARATION: "echo", GANTRY_VARIANT: "echo",
  GANTRY_APP_FILE: "/tmp/gantry-bundle-empty/app.mjs", GANTRY_QUEUE_URL: "http://127.0.0.1:9/q", GANTRY_DLQ_URL: "http://127.0.0.1:9/d", GANTRY_RESULTS_TABLE: "t", GANTRY_PAYLOAD_BUCKET: "b",
  GANTRY_HEALTH_PORT: "0", AWS_REGION: "us-east-1", AWS_ACCESS_KEY_ID: "x", AWS_SECRET_ACCESS_KEY: "y", AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", GANTRY_LOG_LEVEL: "info" };
const c = spawn(process.execPath, ["--cpu-prof", "--cpu-prof-dir=/tmp/prof", "/tmp/gantry-bundle-empty/main.mjs"], { env, stdio: ["ignore", "ignore", "pipe"] });
let buf = "";
c.stderr.on("data", (d) => { buf += d; if (buf.includes("ready: receiving")) c.kill("SIGTERM"); });
c.on("exit", () => console.log("done"));
