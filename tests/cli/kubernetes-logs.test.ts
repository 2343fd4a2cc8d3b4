/**
 * gantry logs on a Kubernetes stack, through the real `gantry` executable against a stand-in API
 * server (tests/runtime/kubernetes/fixtures/kube-api.ts) reached from a kubeconfig: two pods' lines
 * merged in time order with their containers, `--function`, `--since`, `--json`, `--call`, `--follow`
 * (new lines and a pod started meanwhile),
 * `Secret.fromDict` values masked, other stacks' pods left out, and a 403 naming the permission.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { startKubeApi, writeKubeconfig, type KubeStandIn } from "../runtime/kubernetes/fixtures/kube-api.ts";
import { eventually } from "../runtime/aws/fixtures/fleet.ts";
import { gantryIn, kubernetesProject, noStackTrace, spawnGantryIn } from "./fixtures/kubernetes-project.ts";

const NS = "gantry-logs-tests-test";
const PODS = `/api/v1/namespaces/${NS}/pods`;
const APP = `import { App, Secret } from "gantry";
export const app = new App("logs-tests");
export const parse = app.function({}, async (text: string) => Number(text));
export const square = app.function({ secrets: [Secret.fromDict({ API_KEY: "sk-live-1234" })] }, async (x: number) => x * x);
`;

let dir: string;
let kube: KubeStandIn;
let project: { dir: string };
let env: Record<string, string>;
const NOW = Date.now();
const ago = (s: number, extra = "") => new Date(NOW - s * 1000).toISOString().replace("Z", `${extra}Z`);

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "gantry-kube-logs-"));
  kube = await startKubeApi(dir);
  writeFileSync(join(dir, "app.ts"), APP);
  project = kubernetesProject(join(dir, "app.ts"));
  env = { KUBECONFIG: writeKubeconfig(kube, join(dir, "config"), { token: "user-token" }) };
  const pod = (name: string, unit: string, stack = "test") => ({
    metadata: { name, labels: { "app.kubernetes.io/part-of": "logs-tests", "gantry.dev/stack": stack, "gantry.dev/unit": unit } },
    spec: { containers: [{ name: "main" }] },
    status: { phase: "Running" },
  });
  kube.put(PODS, pod("parse-5d8f9-abcde", "parse"));
  kube.put(PODS, pod("square-77c4b-xk2q9", "square"));
  kube.put(PODS, pod("parse-5d8f9-other", "parse", "prod"));
  kube.logs.set("parse-5d8f9-abcde", [[ago(7200), "an old line"], [ago(30, "123"), "parse starting"], [ago(10, "500002"), "parse got 42 for call fc-1"]]);
  kube.logs.set("square-77c4b-xk2q9", [[ago(20), "square got the key sk-live-1234"], [ago(10, "500001"), "square done"]]);
  kube.logs.set("parse-5d8f9-other", [[ago(5), "another stack's line"]]);
});

after(() => {
  kube?.close();
  rmSync(dir, { recursive: true, force: true });
});

const gantry = (args: string[], e = env) => gantryIn(project.dir, args, e);
const texts = (out: string) => out.trimEnd().split("\n").map((l) => l.replace(/^\S+ /, ""));

test("two pods' lines in time order, prefixed with unit and pod; the fromDict value masked; --function, --since, --call, --json", async () => {
  const all = await gantry(["logs", "app.ts", "--stack", "test"]);
  assert.equal(all.code, 0, all.err);
  assert.deepEqual(texts(all.out), [
    "[parse#abcde] parse starting",
    "[square#xk2q9] square got the key [secret]",
    "[square#xk2q9] square done",
    "[parse#abcde] parse got 42 for call fc-1",
  ], "merged by time (the last two in the same millisecond, by nanosecond), the last 10 minutes, this stack's pods only");
  assert.match(all.out, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \[parse#abcde\] parse starting\n/);
  const read = kube.seen.filter((r) => r.path.includes("/log?"));
  assert.ok(read.every((r) => /\?timestamps=true&container=main&sinceSeconds=60[01]$/.test(r.path)), read.map((r) => r.path).join("\n"));

  const square = await gantry(["logs", "app.ts", "--stack", "test", "--function", "square", "--json"]);
  assert.equal(square.code, 0, square.err);
  const lines = square.out.trimEnd().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(lines.map((l) => [l.container, l.text]), [["square#xk2q9", "square got the key [secret]"], ["square#xk2q9", "square done"]]);

  const long = await gantry(["logs", "app.ts", "--stack", "test", "--function", "parse", "--since", "3h"]);
  assert.deepEqual(texts(long.out), ["[parse#abcde] an old line", "[parse#abcde] parse starting", "[parse#abcde] parse got 42 for call fc-1"]);
  const call = await gantry(["logs", "app.ts", "--stack", "test", "--call", "fc-1"]);
  assert.deepEqual(texts(call.out), ["[parse#abcde] parse got 42 for call fc-1"]);
});

test("--follow: the lines so far, then each pod's new lines as they come, and a pod started meanwhile; Ctrl-C ends it", { timeout: 60_000 }, async () => {
  const run = spawnGantryIn(project.dir, ["logs", "app.ts", "--stack", "test", "--function", "square", "--follow"], env);
  await eventually(() => run.output.out.includes("square done"), "the lines so far");
  kube.push("square-77c4b-xk2q9", [new Date().toISOString(), "square again"]);
  await eventually(() => run.output.out.includes("[square#xk2q9] square again"), "a new line of a followed pod");
  kube.put(PODS, { metadata: { name: "square-77c4b-n3w01", labels: { "app.kubernetes.io/part-of": "logs-tests", "gantry.dev/stack": "test", "gantry.dev/unit": "square" } }, spec: { containers: [{ name: "main" }] }, status: { phase: "Running" } });
  kube.push("square-77c4b-n3w01", [new Date().toISOString(), "a new container, key sk-live-1234"]);
  await eventually(() => run.output.out.includes("[square#n3w01] a new container, key [secret]"), "the new pod's line, masked", 20_000);
  run.child.kill("SIGINT");
  const end = await run.done;
  assert.equal(end.code, 0, end.err);
  assert.deepEqual(texts(end.out), [
    "[square#xk2q9] square got the key [secret]",
    "[square#xk2q9] square done",
    "[square#xk2q9] square again",
    "[square#n3w01] a new container, key [secret]",
  ], "each line once (the follow starts after the lines read)");
  assert.ok(!end.out.includes("parse"), "--function square only");
});

test("no permission to read pod logs: the RBAC permission named, exit 1, no stack trace", async () => {
  kube.allowed.delete("get log");
  try {
    const denied = await gantry(["logs", "app.ts", "--stack", "test"]);
    assert.equal(denied.code, 1);
    assert.match(denied.err, /^gantry logs: the Kubernetes API refused to get pods\/log "(parse-5d8f9-abcde|square-77c4b-xk2q9)" in namespace gantry-logs-tests-test \(403 .*\); your user needs an RBAC Role in gantry-logs-tests-test allowing verb "get" on resource "pods\/log"\n$/);
    noStackTrace(denied.err);
  } finally {
    kube.allowed.add("get log");
  }
});
