/**
 * runtime/kubernetes/kubeconfig.ts read as kubectl reads a kubeconfig: a KUBECONFIG list (the first
 * file to name a context, cluster or user wins; current-context from the first that sets one),
 * paths relative to their file, tokenFile read on every request, client certificates (files or
 * data) and an exec plugin's client certificate, its token cached until its expirationTimestamp;
 * what is missing or failing named.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { after, test } from "node:test";
import { stringify } from "yaml";
import { kubeconfigApi, KubeconfigError } from "../../../runtime/kubernetes/kubeconfig.ts";

const dir = mkdtempSync(join(tmpdir(), "gantry-kubeconfig-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, doc: unknown): string {
  writeFileSync(join(dir, name), typeof doc === "string" ? doc : stringify(doc));
  return join(dir, name);
}

test("a KUBECONFIG list: current-context of the first file that sets one, entries from any file, relative paths, tokenFile read each time", () => {
  write("ca.pem", "CA-PEM");
  write("token", "t-1\n");
  const first = write("first", { "current-context": "prod", contexts: [{ name: "prod", context: { cluster: "c", user: "u", namespace: "apps" } }] });
  const second = write("second", {
    "current-context": "other",
    clusters: [{ name: "c", cluster: { server: "https://k8s.example:6443", "certificate-authority": "ca.pem" } }],
    users: [{ name: "u", user: { tokenFile: "token" } }],
  });
  const api = kubeconfigApi({ KUBECONFIG: [first, join(dir, "missing"), second].join(delimiter) });
  assert.equal(api.context, "prod");
  assert.equal(api.server, "https://k8s.example:6443");
  assert.equal(api.namespace, "apps");
  assert.equal(api.ca!.toString(), "CA-PEM");
  assert.equal(api.token!(), "t-1");
  write("token", "t-2\n");
  assert.equal(api.token!(), "t-2", "a rotated token file is read again");
});

test("a client certificate as data; an exec plugin's client certificate; its token cached until it expires", () => {
  const cluster = { name: "c", cluster: { server: "https://k", "insecure-skip-tls-verify": true } };
  const data = kubeconfigApi({ KUBECONFIG: write("mtls", { "current-context": "x", contexts: [{ name: "x", context: { cluster: "c", user: "u" } }], clusters: [cluster],
    users: [{ name: "u", user: { "client-certificate-data": Buffer.from("CERT").toString("base64"), "client-key-data": Buffer.from("KEY").toString("base64") } }] }) });
  assert.deepEqual([data.cert!.toString(), data.key!.toString(), data.insecure, data.token], ["CERT", "KEY", true, undefined]);

  const plugin = write("cert-plugin.mjs", `process.stdout.write(JSON.stringify({ kind: "ExecCredential", status: { clientCertificateData: "PEM-CERT", clientKeyData: "PEM-KEY" } }));\n`);
  const exec = kubeconfigApi({ KUBECONFIG: write("exec-cert", { "current-context": "x", contexts: [{ name: "x", context: { cluster: "c", user: "u" } }], clusters: [cluster],
    users: [{ name: "u", user: { exec: { command: process.execPath, args: [plugin] } } }] }) });
  assert.deepEqual([exec.cert!.toString(), exec.key!.toString()], ["PEM-CERT", "PEM-KEY"]);

  const count = join(dir, "runs");
  writeFileSync(count, "");
  const expiring = write("token-plugin.mjs", `import { appendFileSync } from "node:fs";
appendFileSync(${JSON.stringify(count)}, "x");
process.stdout.write(JSON.stringify({ kind: "ExecCredential", status: { token: "tok", expirationTimestamp: process.env.EXPIRES } }));\n`);
  const config = (expires: string) => write(`exec-token-${expires.length}`, { "current-context": "x", contexts: [{ name: "x", context: { cluster: "c", user: "u" } }], clusters: [cluster],
    users: [{ name: "u", user: { exec: { command: process.execPath, args: [expiring], env: [{ name: "EXPIRES", value: expires }] } } }] });
  const lasting = kubeconfigApi({ KUBECONFIG: config(new Date(Date.now() + 3_600_000).toISOString()) });
  assert.equal(lasting.token!() + lasting.token!(), "toktok");
  assert.equal(readFileSync(count, "utf8"), "x", "run once while its token lasts");
  const expired = kubeconfigApi({ KUBECONFIG: config("2000-01-01T00:00:00Z") });
  expired.token!();
  assert.equal(readFileSync(count, "utf8"), "xxx", "an expired token: the plugin runs again (once to start, once for the request)");
});

test("what is missing or failing, named", () => {
  const check = (env: NodeJS.ProcessEnv, message: RegExp) => assert.throws(() => kubeconfigApi(env), (e: Error) => e instanceof KubeconfigError && message.test(e.message));
  check({ HOME: dir }, /^no kubeconfig: .*\.kube\/config does not exist/);
  check({ KUBECONFIG: write("bad", "a: [") }, /^kubeconfig .*bad is not YAML/);
  const base = { "current-context": "x", contexts: [{ name: "x", context: { cluster: "c", user: "u" } }], clusters: [{ name: "c", cluster: { server: "https://k" } }] };
  check({ KUBECONFIG: write("other-context", { ...base, "current-context": "y" }) }, /has no context "y"; its contexts: x$/);
  check({ KUBECONFIG: write("no-user", base) }, /^the user "u" of kubeconfig context x is not in /);
  check({ KUBECONFIG: write("no-cred", { ...base, users: [{ name: "u", user: { username: "admin" } }] }) }, /^kubeconfig user u has no token, tokenFile, client certificate or exec credential plugin \(basic auth is not supported\)$/);
  check({ KUBECONFIG: write("gone", { ...base, users: [{ name: "u", user: { exec: { command: "no-such-plugin-gantry" } } }] }) }, /^the credential plugin of kubeconfig user u \(no-such-plugin-gantry\) failed: not found on PATH$/);
  const failing = write("failing.mjs", `console.error("error: run aws sso login"); process.exit(2);\n`);
  check({ KUBECONFIG: write("fails", { ...base, users: [{ name: "u", user: { exec: { command: process.execPath, args: [failing] } } }] }) }, /\(.*node\) failed: exit 2: error: run aws sso login$/);
  const silent = write("silent.mjs", `process.stdout.write("{}");\n`);
  check({ KUBECONFIG: write("silent", { ...base, users: [{ name: "u", user: { exec: { command: process.execPath, args: [silent] } } }] }) }, /printed no ExecCredential with status\.token or a client certificate$/);
  check({ KUBECONFIG: write("gcp", { ...base, users: [{ name: "u", user: { "auth-provider": { name: "gcp" } } }] }) }, /uses the auth-provider "gcp".*gke-gcloud-auth-plugin/);
});
