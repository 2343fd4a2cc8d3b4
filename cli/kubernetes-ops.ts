/**
 * `gantry status` and `gantry redrive` on a Kubernetes stack (`gantry:target: kubernetes`): what
 * the stack's Redis holds per unit (runtime/redis/ops.ts), reached from this machine with a Redis
 * URL (`--redis-url`, else GANTRY_REDIS_URL, else the existing server of `gantry:kubernetes.redis.url`)
 * and a Redis user (GANTRY_REDIS_USER / GANTRY_REDIS_PASSWORD, or in the URL). The Redis a stack
 * runs in its cluster is only reachable there: the error says how to forward it. Containers come
 * from the API server of the kubeconfig (Deployments and ScaledObjects); without one, status says
 * why and still shows what Redis holds.
 * Exit 1 when Redis cannot be reached or refuses (the message says what to do), 2 on usage errors.
 */
import type { RedriveEntry } from "../runtime/aws/ops/redrive.ts";
import type { RedisUnitStatus } from "../runtime/redis/ops.ts";
import { UsageError } from "./main.ts";
import { table } from "./ops-format.ts";
import type { KubernetesStack, OpsTarget } from "./ops-target.ts";
import type { Unit } from "../provider/aws/units.ts";
import type { UnitContainers } from "../runtime/kubernetes/containers.ts";

interface Streams {
  out: (t: string) => void;
  err: (t: string) => void;
}

/** The URL and user to reach the stack's Redis as `user` (the Secret holding its password named for the hint). */
function connectionFor(k: KubernetesStack, flagUrl: string | undefined, user: { name: string; secret: string }, env: NodeJS.ProcessEnv = process.env) {
  const url = flagUrl ?? env.GANTRY_REDIS_URL ?? k.redisUrl;
  if (!url) {
    throw new UsageError(`the stack's Redis runs in its cluster (redis://redis.${k.namespace}.svc:6379): forward it with ` +
      `kubectl port-forward -n ${k.namespace} svc/redis 6379:6379 and pass --redis-url redis://127.0.0.1:6379 (or set GANTRY_REDIS_URL)`);
  }
  if (!/^rediss?:\/\/[^/]/.test(url)) throw new UsageError(`--redis-url: ${JSON.stringify(url)} is not a redis:// or rediss:// URL`);
  const userHint = `the Redis user ${user.name} (its password: kubectl get secret -n ${k.namespace} ${user.secret} -o jsonpath='{.data.password}' | base64 -d)`;
  const password = env.GANTRY_REDIS_PASSWORD;
  // a password without a user name is the verb's own user's
  const username = env.GANTRY_REDIS_USER ?? (password ? user.name : undefined);
  return { url, ...(username ? { username } : {}), ...(password ? { password } : {}), userHint };
}

/** Runs `work` on a connection; a RedisAccessError is printed as `gantry <verb>: …` with exit 1 (null). */
async function withRedis<T>(verb: string, o: Parameters<typeof import("../runtime/redis/ops.ts").openOpsConnection>[0], s: Streams,
  work: (c: import("../runtime/redis/ops.ts").OpsConnection) => Promise<T>): Promise<T | null> {
  const { openOpsConnection, RedisAccessError } = await import("../runtime/redis/ops.ts");
  let conn: import("../runtime/redis/ops.ts").OpsConnection | undefined;
  try {
    conn = await openOpsConnection(o);
    return await work(conn);
  } catch (e) {
    if (!(e instanceof RedisAccessError)) throw e;
    s.err(`gantry ${verb}: ${e.message}\n`);
    process.exitCode = 1;
    return null;
  } finally {
    await conn?.close().catch(() => {});
  }
}

/** Units with an input stream (a webApp / webServer unit takes requests directly: no queue). */
const queued = (target: OpsTarget) => target.units.filter((u) => !u.server);

export interface KubernetesStatus {
  app: string;
  stack: string;
  target: "kubernetes";
  namespace: string;
  redis: string;
  units: RedisUnitStatus[];
  /** per unit's Deployment; null when the API server could not be read (`containersError` says why) */
  containers: UnitContainers[] | null;
  containersError?: string;
}

export async function kubernetesStatus(target: OpsTarget, k: KubernetesStack, flags: { json?: boolean; redisUrl?: string }, s: Streams): Promise<void> {
  const o = connectionFor(k, flags.redisUrl, { name: "gantry-keda", secret: "redis-user-keda" });
  const units = await withRedis("status", o, s, async (c) => {
    const out: RedisUnitStatus[] = [];
    for (const u of queued(target)) out.push(await c.status(k.keyNamespace, u.id));
    return out;
  });
  if (!units) return;
  const { redactUrl } = await import("../runtime/redis/ops.ts");
  const status: KubernetesStatus = { app: target.spec.app.name, stack: target.stack, target: "kubernetes", namespace: k.namespace, redis: redactUrl(o.url), units, ...(await containersOf(target, k)) };
  if (flags.json) {
    s.out(`${JSON.stringify(status, null, 2)}\n`);
    return;
  }
  let text = `${status.app}, stack ${status.stack} (kubernetes, namespace ${k.namespace}; Redis ${status.redis})\n\n`;
  if (units.length === 0) text += "  no unit takes queued inputs (web servers only)\n";
  else {
    const rows = [["UNIT", "WAITING", "RUNNING", "RETRYING", "DEAD-LETTERED"]];
    for (const u of units) rows.push([u.unit, String(u.waiting), String(u.running), String(u.retrying), String(u.deadLettered)]);
    text += table(rows);
  }
  const dead = units.filter((u) => u.deadLettered > 0);
  if (dead.length) text += `\n  dead-lettered inputs go back with: ${dead.map((u) => `gantry redrive ${target.appLabel} --stack ${target.stack} --function '${u.unit}'`).join("; ")}\n`;
  if (status.containers) {
    const rows = [["UNIT", "DESIRED", "READY", "STOPPED"]];
    for (const c of status.containers) rows.push([c.unit, String(c.desired), String(c.ready), c.stopped ?? "-"]);
    text += `\n  containers (Deployments in ${k.namespace}):\n${table(rows)}`;
    if (status.containers.length === 0) text += `  no Deployments of the stack in ${k.namespace} (is it deployed?)\n`;
  } else text += `\n  containers: ${status.containersError}\n`;
  s.out(text);
}

/** The stack's Deployments through the kubeconfig's API server, or why they could not be read (not an error of status). */
async function containersOf(target: OpsTarget, k: KubernetesStack): Promise<Pick<KubernetesStatus, "containers" | "containersError">> {
  const { kubeconfigApi, KubeconfigError } = await import("../runtime/kubernetes/kubeconfig.ts");
  const { KubeAccessError } = await import("../runtime/kubernetes/api.ts");
  const { stackContainers } = await import("../runtime/kubernetes/containers.ts");
  const { selectorOf } = await import("./kubernetes-stop.ts");
  try {
    return { containers: await stackContainers(kubeconfigApi(), { namespace: k.namespace, selector: await selectorOf(target) }) };
  } catch (e) {
    if (!(e instanceof KubeconfigError) && !(e instanceof KubeAccessError)) throw e;
    return { containers: null, containersError: `${e.message} (kubectl get deployments -n ${k.namespace} -l gantry.dev/stack=${target.stack})` };
  }
}

export async function kubernetesRedrive(target: OpsTarget, k: KubernetesStack, unit: Unit, flags: { limit?: number; dryRun?: boolean; redisUrl?: string },
  s: Streams & { line: (e: RedriveEntry) => string }): Promise<RedriveEntry[] | null> {
  if (unit.server) throw new UsageError(`${unit.id} is a web server: it takes requests directly and has no dead-lettered inputs`);
  const { dnsLabel } = await import("../provider/kubernetes/names.ts");
  const { DEFAULT_RESULT_TTL_DAYS, ttlMs } = await import("../runtime/redis/config.ts");
  const { unitKeys } = await import("../runtime/redis/keys.ts");
  const o = connectionFor(k, flags.redisUrl, { name: `gantry-${unit.slug}`, secret: dnsLabel(`redis-user-${unit.slug}`) });
  return withRedis("redrive", o, s, async (c) => {
    s.out(`${flags.dryRun ? "dry run: " : ""}${unit.id} of ${target.spec.app.name}, stack ${target.stack}: dead stream ${unitKeys(k.keyNamespace, unit.id).dead}\n`);
    return c.redrive(k.keyNamespace, { unit: unit.id, limit: flags.limit, dryRun: flags.dryRun, ttlMs: ttlMs(DEFAULT_RESULT_TTL_DAYS), onEntry: (e) => s.out(s.line(e)) });
  });
}
