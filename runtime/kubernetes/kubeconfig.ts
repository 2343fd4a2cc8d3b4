/**
 * The Kubernetes API as the user's kubeconfig reaches it, the way kubectl reads it: `$KUBECONFIG`
 * (a `:`-separated list; the first file to set a name wins) else ~/.kube/config, its
 * current-context -> cluster (server, certificate-authority[-data], insecure-skip-tls-verify) and
 * user (token, tokenFile, client-certificate[-data] + client-key[-data], or an `exec` credential
 * plugin such as `aws eks get-token` / gke-gcloud-auth-plugin: run with its args and env, its
 * ExecCredential's `status.token` or client certificate used, kept until its expirationTimestamp).
 * What is missing is a KubeconfigError naming it.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, dirname, isAbsolute, join } from "node:path";
import { parse } from "yaml";
import type { KubeApi } from "./api.ts";

export class KubeconfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "KubeconfigError";
  }
}

interface Named<T> { name: string; [key: string]: T | string }
interface ExecConfig { command?: string; args?: string[]; env?: Array<{ name: string; value: string }> | null; apiVersion?: string }
interface UserEntry {
  token?: string;
  tokenFile?: string;
  "client-certificate"?: string;
  "client-certificate-data"?: string;
  "client-key"?: string;
  "client-key-data"?: string;
  exec?: ExecConfig;
  "auth-provider"?: { name?: string };
  username?: string;
}
interface ClusterEntry { server?: string; "certificate-authority"?: string; "certificate-authority-data"?: string; "insecure-skip-tls-verify"?: boolean }
interface Loaded {
  files: string[];
  currentContext?: string;
  contexts: Map<string, { cluster?: string; user?: string; namespace?: string }>;
  clusters: Map<string, { entry: ClusterEntry; dir: string }>;
  users: Map<string, { entry: UserEntry; dir: string }>;
}

/** The kubeconfig files kubectl would read. */
export function kubeconfigFiles(env: NodeJS.ProcessEnv = process.env): string[] {
  if (env.KUBECONFIG) return env.KUBECONFIG.split(delimiter).filter(Boolean);
  return [join(env.HOME ?? homedir(), ".kube", "config")];
}

function load(files: string[]): Loaded {
  const out: Loaded = { files, contexts: new Map(), clusters: new Map(), users: new Map() };
  for (const file of files) {
    if (!existsSync(file)) continue;
    let doc: Record<string, unknown>;
    try {
      doc = (parse(readFileSync(file, "utf8")) ?? {}) as Record<string, unknown>;
    } catch (e) {
      throw new KubeconfigError(`kubeconfig ${file} is not YAML: ${(e as Error).message.split("\n")[0]}`);
    }
    const dir = dirname(file);
    out.currentContext ??= typeof doc["current-context"] === "string" && doc["current-context"] ? doc["current-context"] : undefined;
    const each = <T>(key: string, field: string, add: (name: string, value: T) => void) => {
      for (const item of (Array.isArray(doc[key]) ? doc[key] : []) as Array<Named<T>>) {
        if (item && typeof item.name === "string" && item[field] && typeof item[field] === "object") add(item.name, item[field] as T);
      }
    };
    each<{ cluster?: string; user?: string; namespace?: string }>("contexts", "context", (n, v) => void (out.contexts.has(n) || out.contexts.set(n, v)));
    each<ClusterEntry>("clusters", "cluster", (n, v) => void (out.clusters.has(n) || out.clusters.set(n, { entry: v, dir })));
    each<UserEntry>("users", "user", (n, v) => void (out.users.has(n) || out.users.set(n, { entry: v, dir })));
  }
  return out;
}

const fileIn = (dir: string, path: string) => readFileSync(isAbsolute(path) ? path : join(dir, path));

interface ExecStatus { token?: string; clientCertificateData?: string; clientKeyData?: string; expirationTimestamp?: string }

/** Runs an exec credential plugin (client.authentication.k8s.io) and reads its ExecCredential. */
export function runExecPlugin(exec: ExecConfig, user: string, env: NodeJS.ProcessEnv = process.env): ExecStatus {
  if (!exec.command) throw new KubeconfigError(`the kubeconfig user ${user} has an exec credential plugin without a command`);
  const apiVersion = exec.apiVersion ?? "client.authentication.k8s.io/v1beta1";
  const extra = Object.fromEntries((exec.env ?? []).map((e) => [e.name, e.value]));
  let stdout: string;
  try {
    stdout = execFileSync(exec.command, exec.args ?? [], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 60_000,
      env: { ...env, ...extra, KUBERNETES_EXEC_INFO: JSON.stringify({ apiVersion, kind: "ExecCredential", spec: { interactive: false } }) },
    });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string; status?: number };
    const why = err.code === "ENOENT" ? "not found on PATH" : `exit ${err.status ?? err.code}: ${(err.stderr ?? "").trim().split("\n").slice(-1)[0] ?? ""}`;
    throw new KubeconfigError(`the credential plugin of kubeconfig user ${user} (${exec.command}) failed: ${why}`);
  }
  let status: ExecStatus | undefined;
  try {
    status = (JSON.parse(stdout) as { status?: ExecStatus }).status;
  } catch {
    // reported below
  }
  if (!status || (!status.token && !(status.clientCertificateData && status.clientKeyData))) {
    throw new KubeconfigError(`the credential plugin of kubeconfig user ${user} (${exec.command}) printed no ExecCredential with status.token or a client certificate`);
  }
  return status;
}

export interface KubeconfigApi extends KubeApi {
  context: string;
  /** the context's namespace, if it names one */
  namespace?: string;
}

/** The API server and credentials of the current context (or `context`). */
export function kubeconfigApi(env: NodeJS.ProcessEnv = process.env, context?: string): KubeconfigApi {
  const files = kubeconfigFiles(env);
  const found = files.filter((f) => existsSync(f));
  if (!found.length) throw new KubeconfigError(`no kubeconfig: ${files.join(", ")} ${files.length === 1 ? "does" : "do"} not exist (set KUBECONFIG, or e.g. aws eks update-kubeconfig --name <cluster>)`);
  const k = load(found);
  const name = context ?? k.currentContext;
  if (!name) throw new KubeconfigError(`kubeconfig ${found.join(", ")} has no current-context (kubectl config use-context <name>)`);
  const ctx = k.contexts.get(name);
  if (!ctx) throw new KubeconfigError(`kubeconfig ${found.join(", ")} has no context "${name}"; its contexts: ${[...k.contexts.keys()].join(", ") || "(none)"}`);
  const cluster = ctx.cluster ? k.clusters.get(ctx.cluster) : undefined;
  if (!cluster?.entry.server) throw new KubeconfigError(`the cluster "${ctx.cluster ?? ""}" of kubeconfig context ${name} is not in ${found.join(", ")} or has no server`);
  const c = cluster.entry;
  const api: KubeconfigApi = {
    context: name,
    server: c.server!,
    ...(ctx.namespace ? { namespace: ctx.namespace } : {}),
    ...(c["certificate-authority-data"] ? { ca: Buffer.from(c["certificate-authority-data"], "base64") } : c["certificate-authority"] ? { ca: fileIn(cluster.dir, c["certificate-authority"]) } : {}),
    ...(c["insecure-skip-tls-verify"] ? { insecure: true } : {}),
  };
  const userName = ctx.user ?? "";
  const user = k.users.get(userName);
  if (!user) throw new KubeconfigError(`the user "${userName}" of kubeconfig context ${name} is not in ${found.join(", ")}`);
  const u = user.entry;
  if (u["client-certificate-data"] || u["client-certificate"]) {
    api.cert = u["client-certificate-data"] ? Buffer.from(u["client-certificate-data"], "base64") : fileIn(user.dir, u["client-certificate"]!);
    if (!u["client-key-data"] && !u["client-key"]) throw new KubeconfigError(`kubeconfig user ${userName} has a client certificate without client-key-data or client-key`);
    api.key = u["client-key-data"] ? Buffer.from(u["client-key-data"], "base64") : fileIn(user.dir, u["client-key"]!);
  }
  if (u.token) api.token = () => u.token!;
  else if (u.tokenFile) api.token = () => fileIn(user.dir, u.tokenFile!).toString("utf8").trim();
  else if (u.exec) {
    let cached: ExecStatus | undefined;
    const fresh = () => !!cached && (!cached.expirationTimestamp || Date.parse(cached.expirationTimestamp) > Date.now() + 10_000);
    const status = () => (fresh() ? cached! : (cached = runExecPlugin(u.exec!, userName, env)));
    const first = status();
    if (first.token) api.token = () => status().token ?? "";
    else {
      api.cert = Buffer.from(first.clientCertificateData!);
      api.key = Buffer.from(first.clientKeyData!);
    }
  } else if (u["auth-provider"]) {
    throw new KubeconfigError(`kubeconfig user ${userName} uses the auth-provider "${u["auth-provider"].name ?? ""}", which kubectl no longer supports either; switch to its exec plugin (e.g. gke-gcloud-auth-plugin)`);
  } else if (!api.cert) {
    throw new KubeconfigError(`kubeconfig user ${userName} has no token, tokenFile, client certificate or exec credential plugin${u.username ? " (basic auth is not supported)" : ""}`);
  }
  return api;
}
