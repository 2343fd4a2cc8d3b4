/**
 * The container entry (runtime/container/main.ts, bundled) as ECS runs it: health endpoints,
 * secrets loaded at start and never logged, structured logs per input, setup failures reported as
 * such, idle exit, and a webApp served behind its token. Its environment is the contract the stack
 * would write (fixtures/fleet.ts encodes one per unit).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createServer, type Server } from "node:http";
import { promisify } from "node:util";
import type { AddressInfo } from "node:net";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { setInvoker } from "../../../sdk/invoker.ts";
import { Cls } from "../../../sdk/index.ts";
import { importApp } from "../../../runtime/worker/target.ts";
import { BUCKET, RESULTS_TABLE, startLocalAws, type LocalAws } from "./fixtures/local-aws.ts";
import { Fleet, eventually, terminate, type Container } from "./fixtures/fleet.ts";

const APP = fileURLToPath(new URL("./fixtures/process-app.ts", import.meta.url));
const mod = (await import(APP)) as typeof import("./fixtures/process-app.ts");
const SECRET = "sk-live-4f9a8b7c6d5e";
const SECRET_ARN = "arn:aws:secretsmanager:us-east-1:000000000000:secret:api-keys-AbCdEf";
const TOKEN = "web-token-0123456789";

let aws: LocalAws;
let fleet: Fleet;
let dir: string;
let secrets: Server;

/** A Secrets Manager stand-in: GetSecretValue over the AWS JSON protocol. */
async function startSecretsManager(): Promise<Server> {
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const id = JSON.parse(body || "{}").SecretId;
      res.setHeader("content-type", "application/x-amz-json-1.1");
      if (req.headers["x-amz-target"] !== "secretsmanager.GetSecretValue" || id !== SECRET_ARN) {
        res.writeHead(400).end(JSON.stringify({ __type: "ResourceNotFoundException", message: "no such secret" }));
        return;
      }
      res.end(JSON.stringify({ ARN: SECRET_ARN, Name: "api-keys", SecretString: JSON.stringify({ API_KEY: SECRET }) }));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return server;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "gantry-container-"));
  aws = await startLocalAws();
  secrets = await startSecretsManager();
  fleet = await Fleet.start(aws, APP, {
    env: { RELIABILITY_DIR: dir },
    units: {
      Secretive: {
        env: {
          GANTRY_SECRET_ARNS: JSON.stringify([SECRET_ARN]),
          AWS_ENDPOINT_URL_SECRETS_MANAGER: `http://127.0.0.1:${(secrets.address() as AddressInfo).port}`,
        },
      },
      api: { env: { GANTRY_WEB_TOKEN: TOKEN } },
    },
  });
  setInvoker(fleet.invoker());
  await importApp(APP, "process-tests");
});

after(async () => {
  setInvoker(undefined);
  await fleet?.stop();
  await aws?.stop();
  secrets?.close();
  rmSync(dir, { recursive: true, force: true });
});

function logLine(c: Container, msg: string): Promise<Record<string, any>> {
  return eventually(() => c.logs().find((l) => l.msg === msg), `log "${msg}" from ${c.unit}`, 60_000);
}

test("/livez and /readyz answer on the health port once @enter ran", { timeout: 90_000 }, async () => {
  const [c] = fleet.scale("Secretive", 1);
  // the first line says what was deployed: the stack and spec hash of its contract
  const start = await logLine(c, "container starting");
  assert.deepEqual([start.stack, start.specHash, start.transport, start.declaration, start.unit], ["test", "test", "aws", "Secretive", "Secretive"]);
  const { healthPort } = await logLine(c, "serving /livez and /readyz");
  await logLine(c, "ready: receiving inputs");
  const live = await fetch(`http://127.0.0.1:${healthPort}/livez`);
  assert.equal(live.status, 200);
  const ready = await fetch(`http://127.0.0.1:${healthPort}/readyz`);
  assert.equal(ready.status, 200);
  assert.equal(((await ready.json()) as { state: string }).state, "ready");
  assert.equal((await fetch(`http://127.0.0.1:${healthPort}/nope`)).status, 404);
  assert.ok(existsSync(join(dir, `enter-${c.pid}`)));
});

test("secrets are loaded into the environment at start and never appear in a log line", { timeout: 90_000 }, async () => {
  const c = fleet.one("Secretive");
  const s = Cls.of(mod.Secretive).instance();
  assert.equal(await s.keyLength.remote(), SECRET.length);
  // the user's error carries the secret: the caller gets it, the logs must not
  await assert.rejects(s.leak.remote(), (e: Error) => e.message.includes(SECRET));
  const failed = await logLine(c, "input failed");
  assert.equal(failed.error.message, "cannot use key [secret]");
  assert.ok(c.lines.length > 0);
  for (const line of c.lines) assert.ok(!line.includes(SECRET), `a log line leaks the secret: ${line}`);
});

test("every input is logged as JSON with its call id, function, attempt and duration", { timeout: 90_000 }, async () => {
  const c = fleet.one("Secretive");
  await Cls.of(mod.Secretive).instance().keyLength.remote();
  const line = await logLine(c, "input finished");
  // the test process calls as an external caller (runtime/aws/call-keys.ts)
  assert.match(line.callId, /^Secretive:@ext:fc-/);
  assert.equal(line.function, "Secretive.keyLength");
  assert.equal(line.attempt, 1);
  assert.equal(typeof line.durationMs, "number");
  assert.equal(line.status, "ok");
  assert.equal(line.unit, "Secretive");
  assert.equal(typeof line.time, "string");
  await fleet.stopUnit("Secretive");
});

test("a failing @enter is a setup failure: exit 1, and the waiting input fails with ContainerSetupError", { timeout: 90_000 }, async () => {
  const call = Cls.of(mod.BrokenSetup).instance().run.spawn();
  const handle = await call;
  const [c] = fleet.scale("BrokenSetup", 1);
  await assert.rejects(handle.get(), (e: Error) => {
    assert.equal(e.name, "ContainerSetupError");
    assert.match(e.message, /container setup failed: Error: model file \/models\/missing.bin not found/);
    return true;
  });
  fleet.unit("BrokenSetup").desired = 0;
  assert.equal((await c.exited).code, 1);
  assert.ok(c.logs().some((l) => l.msg === "container setup failed" && l.level === 50));
  await fleet.stopUnit("BrokenSetup");
});

test("with idle exit on, a container exits 0 after scaledownWindow without work, running @exit", { timeout: 90_000 }, async () => {
  const [c] = fleet.scale("Drainer", 1, { GANTRY_IDLE_EXIT: "1" });
  fleet.unit("Drainer").desired = 0;
  const { code } = await terminateAfterIdle(c);
  assert.equal(code, 0);
  assert.ok(c.logs().some((l) => l.msg === "worker stopped" && l.exit === "idle"));
  assert.ok(existsSync(join(dir, `exit-${c.pid}`)), "@exit ran");
});

/** Waits for the container to exit on its own (SIGKILL after a bound, which fails the test). */
async function terminateAfterIdle(c: Container) {
  const timer = setTimeout(() => c.child.kill("SIGKILL"), 60_000);
  const result = await c.exited;
  clearTimeout(timer);
  return result;
}

test("a webApp unit serves its app behind the bearer token, with health on the same port", { timeout: 90_000 }, async () => {
  const [c] = fleet.scale("api", 1);
  const { port } = await logLine(c, "ready: serving web requests");
  const base = `http://127.0.0.1:${port}`;
  assert.equal((await fetch(`${base}/api/hello`)).status, 401);
  const ok = await fetch(`${base}/api/hello?x=1`, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(ok.status, 200);
  assert.deepEqual(await ok.json(), { path: "/hello", auth: null });
  assert.equal((await fetch(`${base}/readyz`)).status, 200);
  const { code } = await terminate(c, 30_000);
  assert.equal(code, 0);
  for (const line of c.lines) assert.ok(!line.includes(TOKEN), "the token is never logged");
  fleet.unit("api").desired = 0;
});

test("an environment that is not a valid contract: exit 1, one line naming every bad variable", { timeout: 60_000 }, async () => {
  const env = { ...fleet.unit("Squarer").env, GANTRY_TIMEOUT: "soon", GANTRY_QUEUE_URL: "" };
  const exited = await promisify(execFile)(process.execPath, [fleet.bundle.main], { env, timeout: 50_000 }).then(() => null, (e: { code: number; stderr: string }) => e);
  assert.ok(exited, "the container refused to start");
  assert.equal(exited.code, 1);
  const line = JSON.parse(exited.stderr.trim().split("\n").at(-1)!);
  assert.equal(line.msg, "invalid container configuration");
  assert.equal(line.error.name, "ContainerContractError");
  assert.match(line.error.message, /GANTRY_TIMEOUT="soon": "soon" is not a number/);
  assert.match(line.error.message, /GANTRY_QUEUE_URL: missing/);
});

test("FunctionCall.fromId(id).get() works from another process", { timeout: 90_000 }, async () => {
  fleet.one("Squarer");
  const call = await Cls.of(mod.Squarer).instance().square.spawn(12);
  const script = fileURLToPath(new URL("./fixtures/get-result.ts", import.meta.url));
  const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", script, call.objectId], {
    env: { ...process.env, ...aws.env, GANTRY_RESULTS_TABLE: RESULTS_TABLE, GANTRY_PAYLOAD_BUCKET: BUCKET, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    timeout: 80_000,
  });
  assert.equal(JSON.parse(stdout), 144);
  assert.equal(await call.get(), 144);
  await fleet.stopUnit("Squarer");
});
