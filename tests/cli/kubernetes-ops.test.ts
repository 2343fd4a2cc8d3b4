/**
 * gantry status and gantry redrive on a Kubernetes stack (`gantry:target: kubernetes` in
 * Pulumi.test.yaml), through the real `gantry` executable against a real redis-server: containers
 * of the app on the Redis transport (the RedisFleet stand-in for its Deployments) dead-letter a
 * poison input; the fixed code runs; `gantry redrive` puts it back and the same call id gets its
 * result; a second run moves nothing. Then what a new user meets: no Redis URL, Redis unreachable,
 * the wrong Redis user (ACL NOPERM) and wrong password. (gantry logs, stop and start on Kubernetes:
 * tests/cli/kubernetes-logs.test.ts, tests/cli/kubernetes-stop.test.ts.)
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";
import { freePort, startRedis, type LocalRedis } from "../runtime/redis/fixtures/redis-server.ts";
import { eventually, RedisFleet } from "../runtime/redis/fixtures/fleet.ts";
import { kedaAclRules } from "../../runtime/redis/acl.ts";
import { unitKeys } from "../../runtime/redis/keys.ts";
import { BROKEN_APP as BROKEN, gantryIn, kubernetesProject, noStackTrace } from "./fixtures/kubernetes-project.ts";
import { startKubeApi, writeKubeconfig, type KubeStandIn } from "../runtime/kubernetes/fixtures/kube-api.ts";

const FIXED = fileURLToPath(new URL("../runtime/aws/fixtures/redrive-app-fixed.ts", import.meta.url));
/** the stack's key namespace as the provider names it (provider/kubernetes/names.ts keyNamespace) */
const KEYS = "redrive-tests.test";

let redis: LocalRedis;
let project: { dir: string; appFile: string };
const fleets: RedisFleet[] = [];
/** a stand-in API server holding the stack's Deployment and ScaledObject (tests/runtime/kubernetes/fixtures/kube-api.ts) */
let kube: KubeStandIn;
let kubeDir: string;

before(async () => {
  redis = await startRedis();
  project = kubernetesProject();
  kubeDir = mkdtempSync(join(tmpdir(), "gantry-kube-"));
  kube = await startKubeApi(kubeDir);
  const NS = "gantry-redrive-tests-test";
  const labels = { "app.kubernetes.io/part-of": "redrive-tests", "gantry.dev/stack": "test", "gantry.dev/unit": "parse" };
  kube.put(`/apis/apps/v1/namespaces/${NS}/deployments`, { metadata: { name: "parse", labels }, spec: { replicas: 2 }, status: { readyReplicas: 1 } });
  kube.put(`/apis/apps/v1/namespaces/${NS}/deployments`, { metadata: { name: "parse-prod", labels: { ...labels, "gantry.dev/stack": "prod" } }, spec: { replicas: 5 } });
  kube.put(`/apis/keda.sh/v1alpha1/namespaces/${NS}/scaledobjects`, { metadata: { name: "parse", labels, annotations: { "autoscaling.keda.sh/paused-replicas": "0", "gantry.dev/stopped": "{}" } } });
});

after(async () => {
  for (const f of fleets) await f.stop();
  await redis?.stop();
  kube?.close();
  rmSync(kubeDir, { recursive: true, force: true });
});

const gantry = (args: string[], env: Record<string, string> = {}) => gantryIn(project.dir, args, env);

test("a poison input dead-lettered on Redis, the fix running, gantry redrive: the same call gets its result; a second run moves nothing", { timeout: 180_000 }, async () => {
  const broken = await RedisFleet.start(BROKEN, { url: redis.url, namespace: KEYS });
  fleets.push(broken);
  broken.scale("parse", 1);
  const invoker = broken.invoker();
  const callId = await invoker.spawn({ app: "redrive-tests", name: "parse" }, [" 42 "]);
  await assert.rejects(invoker.result(callId, {}), (e: Error) => e.name === "ParseError" && e.message === 'not a number: " 42 "');
  await broken.stopUnit("parse");

  const url = ["--redis-url", redis.url];
  const status = await gantry(["status", "app.ts", "--stack", "test", ...url]);
  assert.equal(status.code, 0, status.err);
  assert.match(status.out, /^redrive-tests, stack test \(kubernetes, namespace gantry-redrive-tests-test; Redis redis:\/\/127\.0\.0\.1:\d+\)\n/);
  assert.match(status.out, /UNIT +WAITING +RUNNING +RETRYING +DEAD-LETTERED\n +parse +0 +0 +0 +1\n/);
  assert.match(status.out, /dead-lettered inputs go back with: gantry redrive app\.ts --stack test --function 'parse'/);
  // no kubeconfig here: what Redis holds is still shown, and the containers line says why they are not
  assert.match(status.out, /\n  containers: .*kubeconfig.* \(kubectl get deployments -n gantry-redrive-tests-test -l gantry.dev\/stack=test\)\n/);
  const json = JSON.parse((await gantry(["status", "app.ts", "--stack", "test", "--json"], { GANTRY_REDIS_URL: redis.url })).out);
  assert.deepEqual(json.units, [{ unit: "parse", waiting: 0, running: 0, retrying: 0, deadLettered: 1 }]);
  assert.equal(json.containers, null);
  // with one: the stack's Deployments (not another stack's), and gantry stop's pause
  const kubeconfig = writeKubeconfig(kube, join(kubeDir, "config"), { token: kube.token });
  const withKube = await gantry(["status", "app.ts", "--stack", "test", ...url], { KUBECONFIG: kubeconfig });
  assert.equal(withKube.code, 0, withKube.err);
  assert.match(withKube.out, /containers \(Deployments in gantry-redrive-tests-test\):\n +UNIT +DESIRED +READY +STOPPED\n +parse +2 +1 +gantry stop\n/);
  const withKubeJson = JSON.parse((await gantry(["status", "app.ts", "--stack", "test", "--json", ...url], { KUBECONFIG: kubeconfig })).out);
  assert.deepEqual(withKubeJson.containers, [{ unit: "parse", desired: 2, ready: 1, stopped: "gantry stop" }]);

  // the fix: containers of the fixed code over the same keys (none running yet)
  const fixed = await RedisFleet.start(FIXED, { url: redis.url, namespace: KEYS });
  fleets.push(fixed);
  const dry = await gantry(["redrive", "app.ts", "--stack", "test", "--function", "parse", "--dry-run", ...url]);
  assert.equal(dry.code, 0, dry.err);
  assert.match(dry.out, /^dry run: parse of redrive-tests, stack test: dead stream gantry:\{redrive-tests\.test:parse\}:dead\n/);
  assert.match(dry.out, new RegExp(`would move +${callId.replace("/", "\\/")}  ParseError: not a number: " 42 " \\(2 attempts, dead-lettered `));
  assert.match(dry.out, /would move 1 input to parse's queue \(dry run: nothing changed\)\n$/);
  const admin = await redis.admin();
  const dead = unitKeys(KEYS, "parse").dead;
  assert.equal(await admin.cmd(["XLEN", dead]), 1, "a dry run leaves the entry");

  const first = await gantry(["redrive", "app.ts", "--stack", "test", "--function", "parse", ...url]);
  assert.equal(first.code, 0, first.err);
  assert.match(first.out, new RegExp(`moved +${callId.replace("/", "\\/")}  ParseError`));
  assert.match(first.out, /moved 1 input to parse's queue\n$/);
  assert.equal(await admin.cmd(["XLEN", dead]), 0);
  const after = JSON.parse((await gantry(["status", "app.ts", "--stack", "test", "--json", ...url])).out);
  assert.deepEqual(after.units, [{ unit: "parse", waiting: 1, running: 0, retrying: 0, deadLettered: 0 }]);

  fixed.scale("parse", 1);
  assert.equal(await fixed.invoker().result(callId, {}), 42, "the same call id, the fixed code's result");

  const second = await gantry(["redrive", "app.ts", "--stack", "test", "--function", "parse", ...url]);
  assert.equal(second.code, 0, second.err);
  assert.match(second.out, /no dead-lettered inputs: nothing to move\n$/);
  await eventually(async () => Number(await admin.cmd(["XLEN", unitKeys(KEYS, "parse").work])) === 0, "the work stream drained");
  await fixed.stopUnit("parse");
});

test("on a kubernetes stack: no Redis URL, Redis unreachable, the wrong user or password: what to do, no stack trace", { timeout: 180_000 }, async () => {
  const noUrl = await gantry(["status", "app.ts", "--stack", "test"]);
  assert.equal(noUrl.code, 2);
  assert.match(noUrl.err, /^gantry: the stack's Redis runs in its cluster \(redis:\/\/redis\.gantry-redrive-tests-test\.svc:6379\): forward it with kubectl port-forward -n gantry-redrive-tests-test svc\/redis 6379:6379 and pass --redis-url redis:\/\/127\.0\.0\.1:6379/);

  const closed = `redis://127.0.0.1:${await freePort()}`;
  const unreachable = await gantry(["redrive", "app.ts", "--stack", "test", "--function", "parse", "--redis-url", closed]);
  assert.equal(unreachable.code, 1);
  assert.match(unreachable.err, new RegExp(`^gantry redrive: cannot reach Redis at ${closed} \\(ECONNREFUSED\\); for the Redis a stack runs in its cluster, forward it first`));
  noStackTrace(unreachable.err);

  // the stack's read-only user may read sizes but not redrive
  const admin = await redis.admin();
  await admin.cmd(["ACL", "SETUSER", "gantry-keda", "on", ">keda-pw", ...kedaAclRules(KEYS)]);
  const asKeda = { GANTRY_REDIS_URL: redis.url, GANTRY_REDIS_USER: "gantry-keda", GANTRY_REDIS_PASSWORD: "keda-pw" };
  const status = await gantry(["status", "app.ts", "--stack", "test"], asKeda);
  assert.equal(status.code, 0, status.err);
  assert.match(status.out, / +parse +0 +0 +0 +0\n/);
  const denied = await gantry(["redrive", "app.ts", "--stack", "test", "--function", "parse"], asKeda);
  assert.equal(denied.code, 1);
  assert.match(denied.err, /^gantry redrive: permission missing: .*; connect as the Redis user gantry-parse \(its password: kubectl get secret -n gantry-redrive-tests-test redis-user-parse -o jsonpath='\{\.data\.password\}' \| base64 -d\)\n$/);
  noStackTrace(denied.err);
  const wrong = await gantry(["status", "app.ts", "--stack", "test"], { ...asKeda, GANTRY_REDIS_PASSWORD: "nope" });
  assert.equal(wrong.code, 1);
  assert.match(wrong.err, /^gantry status: Redis at redis:\/\/127\.0\.0\.1:\d+ refused the credentials \(WRONGPASS[^)]*\); set GANTRY_REDIS_USER and GANTRY_REDIS_PASSWORD to the Redis user gantry-keda /);
});
