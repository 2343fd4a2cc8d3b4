/**
 * The web gateway of a Kubernetes stack, as the plan of examples/web declares it: the image's
 * container entry started with the gateway Deployment's argument (`gateway`) and environment, its
 * routing table from the plan's ConfigMap, the gateway's Redis user with the stack's ACL rules; the
 * endpoint units' containers (Redis transport) behind it, over a real redis-server. Requests get
 * what they get under `gantry serve`: the public health check, 401 without the token, 422 for a
 * body the schema refuses, the class endpoint's answer; SIGTERM drains and exits 0. And the webApp
 * unit behind its own route, in its container.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildPlan } from "../../../provider/plan/build.ts";
import { keyNamespace } from "../../../provider/kubernetes/names.ts";
import { gatewayUser } from "../../../provider/kubernetes/redis.ts";
import { parseGatewayTable } from "../../../runtime/aws/gateway/table.ts";
import { stackConfig } from "../../provider/plan-view.ts";
import { freePort, startRedis, type LocalRedis } from "./fixtures/redis-server.ts";
import { RedisFleet, eventually } from "./fixtures/fleet.ts";

const APP = fileURLToPath(new URL("../../../examples/web/app.ts", import.meta.url));
const TOKEN = "web-token-for-tests";
const PASSWORD = "gateway-password";

let redis: LocalRedis;
let fleet: RedisFleet;
let dir: string;
let gateway: ChildProcess;
let output = "";
let base: string;

before(async () => {
  redis = await startRedis();
  dir = mkdtempSync(join(tmpdir(), "gantry-gateway-"));
  const plan = await buildPlan({
    projectRoot: process.cwd(), stack: "dev", app: APP, target: "kubernetes",
    config: stackConfig({ "gantry:redisSecret": "seed", "gantry:webToken": TOKEN }, ["gantry:redisSecret", "gantry:webToken"]),
  });
  const deployment = plan.resources.find((r) => r.type === "kubernetes:apps/v1:Deployment" && r.name === "gantry-gateway-deployment");
  const routes = plan.resources.find((r) => r.type === "kubernetes:core/v1:ConfigMap" && r.name === "gantry-gateway-routes");
  assert.ok(deployment && routes, "the plan has the gateway's Deployment and routing table");
  const container = (deployment.inputs as any).spec.template.spec.containers[0];
  assert.deepEqual(container.args, ["gateway"]);
  const table = (routes.inputs as any).data["routes.json"] as string;
  writeFileSync(join(dir, "routes.json"), table);

  fleet = await RedisFleet.start(APP, { url: redis.url, namespace: keyNamespace("web-example", "dev") });
  const endpointUnits = [...new Set(parseGatewayTable(table).routes.map((r) => r.unit))].sort();
  for (const u of endpointUnits) fleet.scale(u, 1);
  const user = gatewayUser(fleet.namespace, endpointUnits);
  await (await redis.admin()).cmd(["ACL", "SETUSER", user.name, "on", `>${PASSWORD}`, ...user.rules]);

  // the Deployment's environment, as the kubelet builds it (secrets resolved), pointed at this test's server and files
  const port = await freePort();
  const env: Record<string, string> = { PATH: process.env.PATH ?? "" };
  for (const e of container.env as Array<{ name: string; value?: string }>) if (e.value !== undefined) env[e.name] = e.value;
  Object.assign(env, { GANTRY_REDIS_URL: redis.url, GANTRY_REDIS_PASSWORD: PASSWORD, GANTRY_WEB_TOKEN: TOKEN, GANTRY_GATEWAY_ROUTES: join(dir, "routes.json"), GANTRY_HTTP_PORT: String(port) });
  assert.equal(env.GANTRY_REDIS_USER, user.name);
  gateway = spawn(process.execPath, [fleet.bundle.main, ...container.args], { env, stdio: ["ignore", "pipe", "pipe"] });
  gateway.stdout!.on("data", (c: Buffer) => (output += c));
  gateway.stderr!.on("data", (c: Buffer) => (output += c));
  await eventually(() => output.includes("ready: serving web requests") || gateway.exitCode !== null, "the gateway to listen", 30_000);
  assert.equal(gateway.exitCode, null, output);
  base = `http://127.0.0.1:${port}`;
});

after(async () => {
  if (gateway && gateway.exitCode === null) gateway.kill("SIGKILL");
  await fleet?.stop();
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test("the gateway answers the app's endpoints through the units' containers on Redis", { timeout: 120_000 }, async () => {
  assert.equal((await fetch(`${base}/readyz`)).status, 200);
  const health = await fetch(`${base}/health`);
  assert.equal(health.status, 200);
  assert.deepEqual(await health.json(), { status: "ok" });
  const body = JSON.stringify({ texts: ["hello world"] });
  assert.equal((await fetch(`${base}/EmbeddingService/embed`, { method: "POST", body, headers: { "content-type": "application/json" } })).status, 401);
  const auth = { "content-type": "application/json", authorization: `Bearer ${TOKEN}` };
  const bad = await fetch(`${base}/EmbeddingService/embed`, { method: "POST", body: JSON.stringify({ texts: [] }), headers: auth });
  assert.equal(bad.status, 422);
  const ok = await fetch(`${base}/EmbeddingService/embed`, { method: "POST", body, headers: auth });
  assert.equal(ok.status, 200, await ok.clone().text());
  const { embeddings } = (await ok.json()) as { embeddings: number[][] };
  assert.equal(embeddings.length, 1);
  assert.equal(embeddings[0].length, 3);
  assert.ok(Math.abs(Math.hypot(...embeddings[0]) - 1) < 1e-9, "normalized, as the method computes it");
});

test("a webApp unit (its own Service and HTTPRoute prefix) answers in its container on the Redis transport, behind the token", { timeout: 120_000 }, async () => {
  const [api] = fleet.scale("api", 1, { GANTRY_WEB_TOKEN: TOKEN });
  const ready = await eventually(() => api.logs().find((l) => l.msg === "ready: serving web requests"), "the webApp to listen", 60_000);
  const url = `http://127.0.0.1:${ready.port}/api/greet/ada`;
  assert.equal((await fetch(url)).status, 401);
  const res = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { greeting: "hello, ada" }, "the route's prefix is the unit's to strip");
  await fleet.stopUnit("api");
});

test("SIGTERM: the gateway drains and exits 0", { timeout: 30_000 }, async () => {
  const exited = new Promise<number | null>((r) => gateway.once("exit", (code) => r(code)));
  gateway.kill("SIGTERM");
  assert.equal(await exited, 0, output);
});
