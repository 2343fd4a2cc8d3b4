/**
 * `updateAutoscaler` on Kubernetes: stored in the unit's Redis hash and applied to its ScaledObject
 * through the API server, as a pod does it (the projected service account directory: a token the
 * kubelet rotates, the cluster CA, KUBERNETES_SERVICE_HOST/PORT). The API server here is a local
 * HTTPS server with its own CA that keeps ScaledObjects the way the Role lets a unit see them (get
 * and patch, only the app's names, a bearer token it checks) and applies JSON merge patches (RFC 7386).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { app, fn } from "../../provider/fixtures/specs.ts";
import { unitsOf } from "../../../provider/kubernetes/units.ts";
import { scaledObjectSpec, scalingFormula } from "../../../provider/kubernetes/scaling.ts";
import type { RedisConnection as KubeRedis } from "../../../provider/kubernetes/redis.ts";
import { RedisInvoker } from "../../../runtime/redis/invoker.ts";
import { readAutoscalerSettings } from "../../../runtime/redis/autoscaler.ts";
import { unitKeys } from "../../../runtime/redis/keys.ts";
import { inClusterApi, type KubeApi } from "../../../runtime/redis/scaled-object.ts";
import { startRedis, type LocalRedis } from "./fixtures/redis-server.ts";
import { mergePatch, testCertificates } from "../kubernetes/fixtures/kube-api.ts";

const NS = "keys.dev";
const K8S_NS = "gantry-demo-dev";
const unit = unitsOf(app({ functions: [fn("square", 1, { maxContainers: 4, bufferContainers: 0, scaledownWindow: 60 })] }))[0];
const conn: KubeRedis = { url: "redis://x:6379", address: "x:6379", tls: false, databaseIndex: 0, keyNamespace: NS, cliImage: "redis" };
const PATH = (name: string) => `/apis/keda.sh/v1alpha1/namespaces/${K8S_NS}/scaledobjects/${name}`;

let dir: string;
let server: Server;
let api: KubeApi;
let redis: LocalRedis;
const objects = new Map<string, Record<string, unknown>>();
const seen: Array<{ method: string; path: string; type?: string }> = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "gantry-sa-"));
  // the cluster's CA and the API server's certificate (for 127.0.0.1)
  testCertificates(dir);
  writeFileSync(join(dir, "token"), "token-1\n");
  objects.set(PATH("square"), { apiVersion: "keda.sh/v1alpha1", kind: "ScaledObject", metadata: { name: "square", namespace: K8S_NS }, spec: scaledObjectSpec(unit, conn) });
  server = createServer({ key: readFileSync(join(dir, "server.key")), cert: readFileSync(join(dir, "server.crt")) }, (req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c));
    req.on("end", () => {
      seen.push({ method: req.method!, path: req.url!, type: req.headers["content-type"] });
      const status = (code: number, message: string) => {
        res.writeHead(code, { "content-type": "application/json" });
        res.end(JSON.stringify({ kind: "Status", status: "Failure", message, code }));
      };
      if (req.headers.authorization !== `Bearer ${readFileSync(join(dir, "token"), "utf8").trim()}`) return status(401, "Unauthorized");
      const obj = objects.get(req.url!);
      if (!obj) return status(403, `scaledobjects.keda.sh "${req.url!.split("/").pop()}" is forbidden: User "system:serviceaccount:${K8S_NS}:square" cannot patch resource "scaledobjects"`);
      if (req.method === "PATCH") {
        if (req.headers["content-type"] !== "application/merge-patch+json") return status(415, "unsupported patch type");
        objects.set(req.url!, mergePatch(obj, JSON.parse(body)) as Record<string, unknown>);
      } else if (req.method !== "GET") return status(405, "method not allowed");
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(objects.get(req.url!)));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  api = inClusterApi({ KUBERNETES_SERVICE_HOST: "127.0.0.1", KUBERNETES_SERVICE_PORT: String(port) }, dir)!;
  redis = await startRedis();
});

after(async () => {
  server?.close();
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const invoker = (scaledObjects: Record<string, string>, kube: KubeApi | null = api) =>
  new RedisInvoker({ config: { connection: { url: redis.url }, namespace: NS, resultTtlDays: 7, scaledObjects }, kube });

test("outside a pod there is no API server to patch", () => {
  assert.equal(inClusterApi({}, dir), null);
  assert.equal(inClusterApi({ KUBERNETES_SERVICE_HOST: "10.0.0.1" }, join(dir, "missing")), null);
});

test("the settings given are applied to the unit's ScaledObject and recorded in Redis; the rest stays as deployed", async () => {
  const before = structuredClone(objects.get(PATH("square"))!.spec) as ReturnType<typeof scaledObjectSpec>;
  const inv = invoker({ square: `${K8S_NS}/square` });
  await inv.updateAutoscaler({ app: "demo", name: "square" }, { minContainers: 1, maxContainers: 8, scaledownWindow: 300, bufferContainers: 2 });
  const spec = objects.get(PATH("square"))!.spec as ReturnType<typeof scaledObjectSpec>;
  const buffered = { ...unit, options: { ...unit.options, bufferContainers: 2 } };
  assert.deepEqual(spec, {
    ...before,
    minReplicaCount: 1,
    maxReplicaCount: 8,
    cooldownPeriod: 300,
    advanced: {
      ...before.advanced,
      horizontalPodAutoscalerConfig: { behavior: { scaleDown: { stabilizationWindowSeconds: 300 } } },
      scalingModifiers: { ...(before.advanced.scalingModifiers as object), formula: scalingFormula(buffered) },
    },
  });
  assert.equal((spec.advanced.scalingModifiers as { formula: string }).formula, "(lag + pending + retry) > 0 ? lag + pending + retry + 2 : 0", "the formula the provider would write for bufferContainers 2");
  assert.deepEqual(seen.slice(-2).map((s) => [s.method, s.type]), [["GET", undefined], ["PATCH", "application/merge-patch+json"]], "read for the target, then one merge patch");
  const stored = await readAutoscalerSettings(await inv.conn(), unitKeys(NS, "square"));
  assert.equal(stored.maxContainers, 8);
  assert.equal(stored.scaledObject, `${K8S_NS}/square`);
  await inv.close();
});

test("the token is read on every call (the kubelet rotates it); only what is named changes", async () => {
  writeFileSync(join(dir, "token"), "token-2\n");
  const inv = invoker({ square: `${K8S_NS}/square` });
  await inv.updateAutoscaler({ app: "demo", name: "square" }, { maxContainers: 3 });
  const spec = objects.get(PATH("square"))!.spec as Record<string, unknown>;
  assert.deepEqual([spec.minReplicaCount, spec.maxReplicaCount, spec.cooldownPeriod], [1, 3, 300]);
  assert.equal(seen.at(-1)!.method, "PATCH", "no GET without bufferContainers");
  await inv.close();
});

test("a ScaledObject the unit's Role does not name: the API server's refusal, with what to check", async () => {
  const inv = invoker({ square: `${K8S_NS}/not-ours` });
  await assert.rejects(inv.updateAutoscaler({ app: "demo", name: "square" }, { maxContainers: 2 }), (err: Error) => {
    assert.match(err.message, new RegExp(`^updateAutoscaler: PATCH ScaledObject ${K8S_NS}/not-ours: 403 scaledobjects\\.keda\\.sh "not-ours" is forbidden: .*\\(the unit's ServiceAccount needs the stack's Role gantry-autoscaler\\)$`));
    return true;
  });
  await inv.close();
});

test("bad settings are refused before anything is written or patched", async () => {
  const count = seen.length;
  const inv = invoker({ square: `${K8S_NS}/square` });
  await assert.rejects(inv.updateAutoscaler({ app: "demo", name: "square" }, { minContainers: 5, maxContainers: 2 }), /minContainers \(5\) is more than maxContainers \(2\)/);
  assert.equal(seen.length, count);
  await inv.close();
});
