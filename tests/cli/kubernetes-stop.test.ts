/**
 * gantry stop and gantry start on a Kubernetes stack, through the real `gantry` executable against
 * a stand-in API server (HTTPS with its own CA, tests/runtime/kubernetes/fixtures/kube-api.ts),
 * reached from a kubeconfig as kubectl reads it: the exact merge patches, twice is a no-op, start
 * undoes it; objects of another stack and objects paused by hand are left alone; an exec
 * credential plugin's token; no kubeconfig, no context, and a 403 naming the RBAC permission.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { stringify } from "yaml";
import { startKubeApi, writeKubeconfig, type KubeStandIn } from "../runtime/kubernetes/fixtures/kube-api.ts";
import { gantryIn, kubernetesProject, noStackTrace } from "./fixtures/kubernetes-project.ts";

const NS = "gantry-redrive-tests-test";
const SO = `/apis/keda.sh/v1alpha1/namespaces/${NS}/scaledobjects`;
const CJ = `/apis/batch/v1/namespaces/${NS}/cronjobs`;
const labels = (extra: Record<string, string>, stack = "test") => ({ "app.kubernetes.io/managed-by": "gantry", "app.kubernetes.io/part-of": "redrive-tests", "gantry.dev/stack": stack, ...extra });

let dir: string;
let kube: KubeStandIn;
let project: { dir: string };

const kubeconfig = (user: Record<string, unknown>, name = "config") => writeKubeconfig(kube, join(dir, name), user);

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "gantry-kube-"));
  kube = await startKubeApi(dir);
  project = kubernetesProject();
  kube.put(SO, { metadata: { name: "parse", labels: labels({ "gantry.dev/unit": "parse" }) }, spec: { minReplicaCount: 0 } });
  kube.put(SO, { metadata: { name: "site", labels: labels({ "gantry.dev/unit": "site" }) }, spec: { minReplicaCount: 1, triggers: [{ type: "cpu" }] } });
  kube.put(SO, { metadata: { name: "held", labels: labels({ "gantry.dev/unit": "held" }), annotations: { "autoscaling.keda.sh/paused-replicas": "0" } } });
  kube.put(SO, { metadata: { name: "parse-other", labels: labels({ "gantry.dev/unit": "parse" }, "prod") } });
  kube.put(CJ, { metadata: { name: "parse-tick", labels: labels({ "gantry.dev/role": "schedule" }) }, spec: { schedule: "* * * * *" } });
});

after(() => {
  kube?.close();
  rmSync(dir, { recursive: true, force: true });
});

const gantry = (args: string[], env: Record<string, string>) => gantryIn(project.dir, args, env);
const patches = (from: number) => kube.seen.slice(from).filter((r) => r.method === "PATCH").map((r) => [r.path, r.type, JSON.parse(r.body)]);

test("stop pauses every unit's ScaledObject and suspends the CronJobs; again changes nothing; start undoes exactly that (an exec credential plugin's token)", async () => {
  const plugin = join(dir, "plugin.mjs");
  writeFileSync(plugin, `if (!JSON.parse(process.env.KUBERNETES_EXEC_INFO).spec) process.exit(3);
process.stdout.write(JSON.stringify({ apiVersion: "client.authentication.k8s.io/v1beta1", kind: "ExecCredential", status: { token: process.env.TOKEN_OF_PLUGIN } }));\n`);
  const env = { KUBECONFIG: kubeconfig({ exec: { apiVersion: "client.authentication.k8s.io/v1beta1", command: process.execPath, args: [plugin], env: [{ name: "TOKEN_OF_PLUGIN", value: "user-token" }] } }) };

  let from = kube.seen.length;
  const stop = await gantry(["stop", "app.ts", "--stack", "test"], env);
  assert.equal(stop.code, 0, stop.err);
  const stopped = { metadata: { annotations: { "autoscaling.keda.sh/paused-replicas": "0", "gantry.dev/stopped": "{}" } } };
  assert.deepEqual(patches(from), [
    [`${CJ}/parse-tick`, "application/merge-patch+json", { metadata: { annotations: { "gantry.dev/stopped": "{}" } }, spec: { suspend: true } }],
    [`${SO}/parse`, "application/merge-patch+json", stopped],
    [`${SO}/site`, "application/merge-patch+json", stopped],
  ], "CronJobs first, then each ScaledObject of this stack not already paused (the web unit's CPU one too)");
  assert.match(stop.out, /^stopping redrive-tests, stack test \(kubernetes, namespace gantry-redrive-tests-test\)\n/);
  assert.match(stop.out, /CronJob parse-tick +suspended\n/);
  assert.match(stop.out, /ScaledObject held +already paused \(not by gantry stop: gantry start leaves it\)\n/);
  assert.match(stop.out, /ScaledObject site +paused \(autoscaling\.keda\.sh\/paused-replicas: "0"\)\n/);
  assert.match(stop.out, /changed 3 of 4; volumes, secrets and queued inputs are kept\. Undo: gantry start app\.ts --stack test\n$/);
  assert.equal(kube.get(SO, "parse-other")!.metadata.annotations, undefined, "another stack's object is not touched");
  assert.deepEqual(kube.get(CJ, "parse-tick")!.spec, { schedule: "* * * * *", suspend: true });

  from = kube.seen.length;
  const again = await gantry(["stop", "app.ts", "--stack", "test"], env);
  assert.equal(again.code, 0, again.err);
  assert.deepEqual(patches(from), [], "the second stop patches nothing");
  assert.match(again.out, /ScaledObject parse +already stopped\n/);
  assert.match(again.out, /changed 0 of 4;/);

  from = kube.seen.length;
  const start = await gantry(["start", "app.ts", "--stack", "test"], env);
  assert.equal(start.code, 0, start.err);
  const resumed = { metadata: { annotations: { "autoscaling.keda.sh/paused-replicas": null, "gantry.dev/stopped": null } } };
  assert.deepEqual(patches(from), [
    [`${SO}/parse`, "application/merge-patch+json", resumed],
    [`${SO}/site`, "application/merge-patch+json", resumed],
    [`${CJ}/parse-tick`, "application/merge-patch+json", { metadata: { annotations: { "gantry.dev/stopped": null } }, spec: { suspend: false } }],
  ]);
  assert.match(start.out, /ScaledObject held +not stopped\n/);
  assert.deepEqual(kube.get(SO, "parse")!.metadata.annotations, {}, "the annotations removed");
  assert.deepEqual(kube.get(SO, "held")!.metadata.annotations, { "autoscaling.keda.sh/paused-replicas": "0" }, "a pause set by hand stays");
  from = kube.seen.length;
  const twice = await gantry(["start", "app.ts", "--stack", "test"], env);
  assert.equal(twice.code, 0, twice.err);
  assert.deepEqual(patches(from), []);
});

test("no kubeconfig, no current context, a refused token, no RBAC permission: what is missing, exit 1, no stack trace", async () => {
  const none = await gantry(["stop", "app.ts", "--stack", "test"], {});
  assert.equal(none.code, 1);
  assert.match(none.err, /^gantry stop: no kubeconfig: .*\.kube\/config does not exist \(set KUBECONFIG/);
  noStackTrace(none.err);

  const noContext = join(dir, "no-context");
  writeFileSync(noContext, stringify({ apiVersion: "v1", kind: "Config", clusters: [], contexts: [], users: [] }));
  const r1 = await gantry(["stop", "app.ts", "--stack", "test"], { KUBECONFIG: noContext });
  assert.equal(r1.code, 1);
  assert.match(r1.err, /^gantry stop: kubeconfig .*no-context has no current-context \(kubectl config use-context <name>\)\n$/);

  const wrong = await gantry(["stop", "app.ts", "--stack", "test"], { KUBECONFIG: kubeconfig({ token: "stale" }, "stale") });
  assert.equal(wrong.code, 1);
  assert.match(wrong.err, /^gantry stop: the Kubernetes API at https:\/\/127\.0\.0\.1:\d+ did not accept the credentials of your kubeconfig \(401 Unauthorized\)/);

  kube.allowed.delete("patch scaledobjects");
  try {
    const denied = await gantry(["start", "app.ts", "--stack", "test"], { KUBECONFIG: kubeconfig({ token: "user-token" }, "token") });
    // nothing is stopped: start only lists
    assert.equal(denied.code, 0, denied.err);
    const stop = await gantry(["stop", "app.ts", "--stack", "test"], { KUBECONFIG: kubeconfig({ token: "user-token" }, "token") });
    assert.equal(stop.code, 1);
    assert.match(stop.err, /^gantry stop: the Kubernetes API refused to patch scaledobjects\.keda\.sh "parse" in namespace gantry-redrive-tests-test \(403 scaledobjects is forbidden: User "dev@example\.com" cannot patch resource "scaledobjects" in API group "keda\.sh" in the namespace "gantry-redrive-tests-test"\); your user needs an RBAC Role in gantry-redrive-tests-test allowing verb "patch" on resource "scaledobjects\.keda\.sh"\n$/);
    noStackTrace(stop.err);
  } finally {
    kube.allowed.add("patch scaledobjects");
  }
  await gantry(["start", "app.ts", "--stack", "test"], { KUBECONFIG: kubeconfig({ token: "user-token" }, "token") });
});
