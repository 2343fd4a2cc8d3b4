/**
 * A small client of the Kubernetes API server over node:https (or node:http for a plain `http://`
 * server): what a pod (runtime/redis/scaled-object.ts, the projected service account) and the CLI
 * (runtime/kubernetes/kubeconfig.ts, the user's kubeconfig) both use. Requests name what they do
 * (`verb` on `resource`), so a refusal says which RBAC permission is missing.
 */
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";

export interface KubeApi {
  /** https://host:port of the API server */
  server: string;
  /** a bearer token, read on every request (the kubelet rotates the projected one; exec plugins expire) */
  token?(): string;
  ca?: Buffer;
  /** a client certificate and key (kubeconfig client-certificate-data / client-key-data) */
  cert?: Buffer;
  key?: Buffer;
  /** kubeconfig `insecure-skip-tls-verify` */
  insecure?: boolean;
}

/** What a request does, in RBAC's terms: `verb` on `resource` (`scaledobjects.keda.sh`), the object if one. */
export interface KubeAction {
  verb: "get" | "list" | "patch" | "watch";
  resource: string;
  namespace: string;
  name?: string;
}

/** The API server refused or could not be reached; `message` says what to do (the CLI prints it, exit 1). */
export class KubeAccessError extends Error {
  constructor(message: string, readonly status: number | null) {
    super(message);
    this.name = "KubeAccessError";
  }
}

/** The `message` of a Kubernetes Status object, else the text. */
export function statusMessage(text: string): string {
  try {
    return (JSON.parse(text) as { message?: string }).message ?? text;
  } catch {
    return text;
  }
}

const describe = (a: KubeAction) => `${a.verb} ${a.resource}${a.name ? ` "${a.name}"` : ""} in namespace ${a.namespace}`;

/** The error of a non-2xx answer to `action`: 401/403 name what is missing. */
export function refusal(api: KubeApi, action: KubeAction, status: number, text: string): KubeAccessError {
  const reason = statusMessage(text).trim();
  if (status === 403) {
    return new KubeAccessError(`the Kubernetes API refused to ${describe(action)} (403 ${reason}); ` +
      `your user needs an RBAC Role in ${action.namespace} allowing verb "${action.verb}" on resource "${action.resource}"`, status);
  }
  if (status === 401) return new KubeAccessError(`the Kubernetes API at ${api.server} did not accept the credentials of your kubeconfig (401 ${reason}); log in again (e.g. refresh the exec plugin's login)`, status);
  return new KubeAccessError(`the Kubernetes API could not ${describe(action)}: ${status} ${reason}`, status);
}

export interface KubeRequest {
  method: "GET" | "PATCH";
  path: string;
  body?: string;
  /** the PATCH's type: application/merge-patch+json (RFC 7386) by default */
  contentType?: string;
  timeoutMs?: number;
  /** streamed answers (logs with follow=true): chunks as they come; resolves at the end */
  onData?: (chunk: string) => void;
  signal?: AbortSignal;
}

/** One request; resolves with the status and the body (empty when streamed), rejects when unreachable. */
export function kubeRequest(api: KubeApi, r: KubeRequest): Promise<{ status: number; text: string }> {
  const url = new URL(r.path, api.server);
  const request = url.protocol === "http:" ? httpRequest : httpsRequest;
  const token = api.token?.();
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: r.method,
      ...(api.ca ? { ca: api.ca } : {}),
      ...(api.cert ? { cert: api.cert } : {}),
      ...(api.key ? { key: api.key } : {}),
      ...(api.insecure ? { rejectUnauthorized: false } : {}),
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        accept: "application/json",
        ...(r.body !== undefined ? { "content-type": r.contentType ?? "application/merge-patch+json", "content-length": Buffer.byteLength(r.body) } : {}),
      },
      ...(r.onData ? {} : { timeout: r.timeoutMs ?? 10_000 }),
      ...(r.signal ? { signal: r.signal } : {}),
    }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      const ok = !!res.statusCode && res.statusCode < 300;
      res.on("data", (c: string) => (ok && r.onData ? r.onData(c) : (text += c)));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      res.on("error", (e) => (r.signal?.aborted ? resolve({ status: res.statusCode ?? 0, text }) : reject(e)));
    });
    req.on("timeout", () => req.destroy(new Error(`no answer from ${api.server} within ${(r.timeoutMs ?? 10_000) / 1000} s`)));
    req.on("error", (e) => (r.signal?.aborted ? resolve({ status: 0, text: "" }) : reject(e)));
    req.end(r.body);
  });
}

/** `action` as one request: its JSON answer, or a KubeAccessError. */
export async function kubeCall<T>(api: KubeApi, action: KubeAction, r: KubeRequest): Promise<T> {
  let answer: { status: number; text: string };
  try {
    answer = await kubeRequest(api, r);
  } catch (e) {
    throw new KubeAccessError(`cannot reach the Kubernetes API at ${api.server} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); check the current context of your kubeconfig`, null);
  }
  if (answer.status >= 300) throw refusal(api, action, answer.status, answer.text);
  return (r.onData ? undefined : JSON.parse(answer.text)) as T;
}

/** The items of a namespaced list (`/apis/<group>/<version>` or `/api/v1`) with a label selector. */
export async function listObjects<T>(api: KubeApi, base: string, action: Omit<KubeAction, "verb" | "name">, plural: string, selector: string): Promise<T[]> {
  const path = `${base}/namespaces/${encodeURIComponent(action.namespace)}/${plural}?labelSelector=${encodeURIComponent(selector)}`;
  const list = await kubeCall<{ items?: T[] }>(api, { ...action, verb: "list" }, { method: "GET", path });
  return list.items ?? [];
}
