/**
 * gantry:k8s:Redis — the server that carries every call (runtime/redis/), and who may do what on it.
 *
 * Two modes (stack config `gantry:kubernetes.redis`):
 * - `deploy` (the default): a one-pod StatefulSet the stack runs, with a PersistentVolumeClaim,
 *   AOF on (`appendfsync everysec`: a crash loses at most about a second of writes),
 *   `maxmemory-policy noeviction` (an evicted stream entry would be a lost call), the default user
 *   off and one ACL user per unit from an ACL file. It is the default because it needs nothing
 *   outside the cluster and nothing to configure, so `pulumi up` on an empty stack works; it is one
 *   pod: while it restarts, calls wait (callers retry), and losing its volume loses pending calls.
 *   For production, point the stack at a replicated server.
 * - `existing`: a server the platform runs (`url` + `credentialsSecret`, a Secret in the namespace
 *   with `password` and optionally `username` of a user that may run ACL SETUSER). A Job applies
 *   the same ACL users there. Managed services that refuse ACL SETUSER (ElastiCache, Memorystore
 *   user management) need those users created their way: `gantry synth --json` lists the rules.
 *
 * Users (rules from runtime/redis/acl.ts): `gantry-<unit>` per unit, `gantry-gateway` for the web
 * gateway, `gantry-caller` for callers outside the cluster, `gantry-keda` (read-only) for KEDA's scalers. Passwords are HMAC-SHA256 of the stack
 * secret `gantry:redisSecret` and the user name, so they are stable across deploys, never in
 * code, and "[secret]" in the plan; each lives in its own Kubernetes Secret. Without
 * `gantry:redisSecret` every user is created `off` and a warning says how to set it.
 *
 * Cost: the Redis pod (250m CPU, maxmemory + a quarter) and its volume.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { createHash, createHmac } from "node:crypto";
import { kedaAclRules, unitAclRules, type UnitAccess } from "../../runtime/redis/acl.ts";
import { globPrefix, unitKeys } from "../../runtime/redis/keys.ts";
import { KubeComponent, type StackInfo } from "./component.ts";
import type { RedisSettings } from "./config.ts";
import { DEFAULT_REDIS_IMAGE } from "./config.ts";
import { dnsLabel } from "./names.ts";

export const REDIS_PORT = 6379;
export const KEDA_USER = "gantry-keda";
export const GATEWAY_USER = "gantry-gateway";
export const CALLER_USER = "gantry-caller";
export const KEDA_AUTH = "keda-redis";

/** How clients reach the server. */
export interface RedisConnection {
  /** redis:// or rediss:// host:port[/db], no credentials (the container contract's url) */
  url: string;
  /** host:port, as KEDA's scalers take it */
  address: string;
  tls: boolean;
  databaseIndex: number;
  /** Redis key namespace of the stack (runtime/redis/keys.ts) */
  keyNamespace: string;
  /** an image with redis-cli (schedules, the ACL Job) */
  cliImage: string;
}

export interface RedisUser {
  /** ACL user name */
  name: string;
  /** the Kubernetes Secret holding `username` and `password` */
  secretName: string;
  rules: string[];
}

export function connectionOf(settings: RedisSettings, namespace: string, keyNamespace: string): RedisConnection {
  const url = settings.kind === "deploy" ? `redis://redis.${namespace}.svc:${REDIS_PORT}` : settings.url;
  const m = /^(rediss?):\/\/([^/:]+)(?::(\d+))?(?:\/(\d+))?$/.exec(url)!;
  return {
    url,
    address: `${m[2]}:${m[3] ?? REDIS_PORT}`,
    tls: m[1] === "rediss",
    databaseIndex: m[4] ? Number(m[4]) : 0,
    keyNamespace,
    cliImage: settings.kind === "deploy" ? settings.image : DEFAULT_REDIS_IMAGE,
  };
}

/** A unit's user: its own keys, the units it may call, the app's Dicts and Queues. */
export function unitUser(keyNamespace: string, slug: string, access: UnitAccess): RedisUser {
  return { name: `gantry-${slug}`, secretName: dnsLabel(`redis-user-${slug}`), rules: unitAclRules(keyNamespace, access) };
}

export function gatewayUser(keyNamespace: string, endpointUnits: string[]): RedisUser {
  const [first, ...rest] = endpointUnits;
  return { name: GATEWAY_USER, secretName: "redis-user-gateway", rules: unitAclRules(keyNamespace, { unit: first, calls: rest, dicts: [], queues: [] }) };
}

/**
 * Processes outside the cluster (`Cls.fromName(...)`, `Function.fromName`, `FunctionCall.fromId`,
 * Dicts and Queues from a script or a service: runtime/redis/outside.ts) call as this user: the
 * keys of every unit, Dict and Queue of the stack, no admin commands. Its password is in the Secret
 * `redis-user-caller`; whoever may read that Secret may call the app.
 */
export function callerUser(keyNamespace: string, access: { units: string[]; dicts: string[]; queues: string[] }): RedisUser {
  const [first, ...rest] = access.units;
  return { name: CALLER_USER, secretName: "redis-user-caller", rules: unitAclRules(keyNamespace, { unit: first, calls: rest, dicts: access.dicts, queues: access.queues }) };
}

/**
 * KEDA's read-only user. Its `redis` scaler (the retry-set trigger, scaling.ts) counts a key with
 * a Lua script (`EVAL`: `TYPE`, then `ZCARD` on a sorted set), and Redis checks the keys of `EVAL`
 * as read-write, so kedaAclRules' read-only key pattern refuses it (NOPERM). The user may
 * therefore `EVAL` on the units' retry keys only; what a script runs is still checked against the
 * user's commands, which stay read-only (`TYPE` added for the script's first call).
 */
export function kedaUser(keyNamespace: string, units: string[]): RedisUser {
  const retry = [...units].sort().map((u) => `~${globPrefix(unitKeys(keyNamespace, u).retry)}`);
  return { name: KEDA_USER, secretName: "redis-user-keda", rules: [...kedaAclRules(keyNamespace), ...retry, "+eval", "+type"] };
}

/** A user's password: HMAC-SHA256(gantry:redisSecret, key namespace / user), hex. */
export function passwordOf(seed: string, keyNamespace: string, user: string): string {
  return createHmac("sha256", seed).update(`${keyNamespace}/${user}`).digest("hex");
}

/** One line of an ACL file (`user <name> on #<sha256> <rules>`), or the user off without a password. */
export function aclFileLine(user: RedisUser, password: string | null): string {
  const auth = password === null ? ["off", "resetpass"] : ["on", `#${createHash("sha256").update(password).digest("hex")}`];
  return ["user", user.name, ...auth, ...user.rules].join(" ");
}

/** The ACL file of the deployed server: the default user off, then every gantry user. */
export function aclFile(users: RedisUser[], passwords: Map<string, string> | null): string {
  return `${["user default off resetpass resetkeys resetchannels -@all", ...users.map((u) => aclFileLine(u, passwords?.get(u.name) ?? null))].join("\n")}\n`;
}

/** The same users as commands for an existing server (what the ACL Job pipes into redis-cli). */
export function aclCommands(users: RedisUser[], passwords: Map<string, string> | null): string {
  return `${users.map((u) => `ACL SETUSER ${aclFileLine(u, passwords?.get(u.name) ?? null).slice("user ".length).replace(/^(\S+) /, "$1 reset ")}`).join("\n")}\n`;
}

/** `maxmemory` in bytes from a quantity (10Gi, 500M). */
export function quantityBytes(q: string): number {
  const m = /^([0-9]+(?:\.[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/.exec(q);
  if (!m) throw new Error(`${q} is not a quantity`);
  const binary: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
  const decimal: Record<string, number> = { k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };
  const unit = m[2] ?? "";
  return Math.round(Number(m[1]) * (binary[unit] ?? decimal[unit] ?? 1));
}

/** redis.conf of the deployed server. */
export function redisConf(maxmemoryBytes: number): string {
  return [
    `port ${REDIS_PORT}`,
    "bind * -::*",
    // the default user is off and every other user has a password: nothing is open
    "protected-mode no",
    "dir /data",
    "appendonly yes",
    "appendfsync everysec",
    `maxmemory ${maxmemoryBytes}`,
    "maxmemory-policy noeviction",
    "aclfile /etc/redis/acl/users.acl",
    "",
  ].join("\n");
}

/** redis-cli's connection arguments; the password comes from REDISCLI_AUTH (never in argv). */
export function redisCliArgs(conn: RedisConnection): string[] {
  return ["-u", conn.url, "--user", "$(GANTRY_REDIS_USER)", "--no-auth-warning", ...(conn.tls ? ["--tls"] : [])];
}

/** The environment a Redis client pod gets for its user (password by reference to the user's Secret). */
export function redisClientEnv(_conn: RedisConnection, user: { name: string; passwordSecret: pulumi.Input<string> }): k8s.types.input.core.v1.EnvVar[] {
  return [
    { name: "GANTRY_REDIS_USER", value: user.name },
    { name: "REDISCLI_AUTH", valueFrom: { secretKeyRef: { name: user.passwordSecret, key: "password" } } },
  ];
}

export interface RedisInputs {
  settings: RedisSettings;
  connection: RedisConnection;
  users: RedisUser[];
  /** gantry:redisSecret */
  seed: pulumi.Output<string> | null;
  labels: Record<string, string>;
}

export class Redis extends KubeComponent {
  /** user name -> its Secret */
  readonly secrets = new Map<string, k8s.core.v1.Secret>();
  readonly triggerAuth: k8s.apiextensions.CustomResource;
  /** what pods wait for before they can connect: the server (deploy) or the ACL Job (existing) */
  readonly ready: pulumi.Resource;

  constructor(name: string, info: StackInfo, private readonly inputs: RedisInputs, opts?: pulumi.ComponentResourceOptions) {
    super("gantry:k8s:Redis", name, info, null, opts);
    if (!inputs.seed) pulumi.log.warn("every Redis user is created off (calls fail to authenticate) until a password seed is set: pulumi config set --secret gantry:redisSecret $(openssl rand -hex 32)", this);
    const passwords = inputs.seed ? inputs.seed.apply((seed) => new Map(inputs.users.map((u) => [u.name, passwordOf(seed, inputs.connection.keyNamespace, u.name)]))) : null;
    for (const user of inputs.users) this.secrets.set(user.name, this.createUserSecret(name, user, passwords));
    this.ready = inputs.settings.kind === "deploy" ? this.createServer(name, inputs.settings, passwords) : this.createAclJob(name, inputs.settings, passwords);
    this.triggerAuth = this.createTriggerAuth(name);
    this.registerOutputs({ url: inputs.connection.url });
  }

  private createUserSecret(name: string, user: RedisUser, passwords: pulumi.Output<Map<string, string>> | null): k8s.core.v1.Secret {
    return new k8s.core.v1.Secret(`${name}-user-${user.secretName}`, {
      metadata: this.meta(user.secretName, { ...this.inputs.labels, "gantry.dev/redis-user": user.name }),
      type: "Opaque",
      stringData: {
        username: user.name,
        password: passwords ? pulumi.secret(passwords.apply((p) => p.get(user.name)!)) : pulumi.secret(""),
      },
    }, this.childOpts);
  }

  /** KEDA reads stream lag and set sizes as `gantry-keda` (TriggerAuthentication in the namespace). */
  private createTriggerAuth(name: string): k8s.apiextensions.CustomResource {
    const secret = this.inputs.users.find((u) => u.name === KEDA_USER)!.secretName;
    return new k8s.apiextensions.CustomResource(`${name}-keda-auth`, {
      apiVersion: "keda.sh/v1alpha1",
      kind: "TriggerAuthentication",
      metadata: this.meta(KEDA_AUTH, this.inputs.labels),
      spec: {
        secretTargetRef: [
          { parameter: "username", name: secret, key: "username" },
          { parameter: "password", name: secret, key: "password" },
        ],
      },
    }, this.after([this.secrets.get(KEDA_USER)!]));
  }

  private createServer(name: string, s: Extract<RedisSettings, { kind: "deploy" }>, passwords: pulumi.Output<Map<string, string>> | null): pulumi.Resource {
    const labels = { ...this.inputs.labels, "gantry.dev/role": "redis" };
    const maxmemory = quantityBytes(s.memory);
    const conf = redisConf(maxmemory);
    const config = new k8s.core.v1.ConfigMap(`${name}-config`, {
      metadata: this.meta("redis-config", labels),
      data: { "redis.conf": conf },
    }, this.childOpts);
    const acl = new k8s.core.v1.Secret(`${name}-acl`, {
      metadata: this.meta("redis-acl", labels),
      type: "Opaque",
      stringData: { "users.acl": passwords ? pulumi.secret(passwords.apply((p) => aclFile(this.inputs.users, p))) : aclFile(this.inputs.users, null) },
    }, this.childOpts);
    const service = new k8s.core.v1.Service(`${name}-service`, {
      metadata: this.meta("redis", labels),
      spec: { selector: { "gantry.dev/role": "redis", ...stackSelector(labels) }, ports: [{ name: "redis", port: REDIS_PORT, targetPort: "redis", protocol: "TCP" }] },
    }, this.childOpts);
    // Redis reads its ACL file at start: a change of the rules (not of the passwords, which are secret) restarts it
    const rulesHash = createHash("sha256").update(aclFile(this.inputs.users, null)).update(conf).digest("hex").slice(0, 16);
    const memory = `${Math.ceil((maxmemory * 1.25) / 2 ** 20)}Mi`;
    const statefulSet = new k8s.apps.v1.StatefulSet(`${name}-server`, {
      metadata: this.meta("redis", labels),
      spec: {
        serviceName: "redis",
        replicas: 1,
        selector: { matchLabels: { "gantry.dev/role": "redis", ...stackSelector(labels) } },
        template: {
          metadata: { labels, annotations: { "gantry.dev/config-hash": rulesHash } },
          spec: {
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            terminationGracePeriodSeconds: 30,
            securityContext: { runAsNonRoot: true, runAsUser: 999, runAsGroup: 999, fsGroup: 999, seccompProfile: { type: "RuntimeDefault" } },
            containers: [{
              name: "redis",
              image: s.image,
              imagePullPolicy: "IfNotPresent",
              command: ["redis-server", "/etc/redis/redis.conf"],
              ports: [{ name: "redis", containerPort: REDIS_PORT, protocol: "TCP" }],
              resources: { requests: { cpu: "250m", memory }, limits: { cpu: "1", memory } },
              readinessProbe: { tcpSocket: { port: "redis" }, periodSeconds: 5, failureThreshold: 2 },
              livenessProbe: { tcpSocket: { port: "redis" }, initialDelaySeconds: 30, periodSeconds: 10, failureThreshold: 6 },
              volumeMounts: [
                { name: "data", mountPath: "/data" },
                { name: "config", mountPath: "/etc/redis/redis.conf", subPath: "redis.conf", readOnly: true },
                { name: "acl", mountPath: "/etc/redis/acl", readOnly: true },
              ],
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
            }],
            volumes: [
              { name: "config", configMap: { name: "redis-config" } },
              { name: "acl", secret: { secretName: "redis-acl", defaultMode: 0o440 } },
            ],
          },
        },
        volumeClaimTemplates: [{
          metadata: { name: "data", labels },
          spec: {
            accessModes: ["ReadWriteOnce"],
            ...(s.storageClass ? { storageClassName: s.storageClass } : {}),
            resources: { requests: { storage: s.storage } },
          },
        }],
      },
    }, this.after([config, acl, service]));
    return statefulSet;
  }

  /** Applies the users on an existing server; a new Job (by name) whenever the rules change. */
  private createAclJob(name: string, s: Extract<RedisSettings, { kind: "existing" }>, passwords: pulumi.Output<Map<string, string>> | null): pulumi.Resource {
    const labels = { ...this.inputs.labels, "gantry.dev/role": "redis-acl" };
    const commands = new k8s.core.v1.Secret(`${name}-acl-commands`, {
      metadata: this.meta("redis-acl-commands", labels),
      type: "Opaque",
      stringData: { commands: passwords ? pulumi.secret(passwords.apply((p) => aclCommands(this.inputs.users, p))) : aclCommands(this.inputs.users, null) },
    }, this.childOpts);
    const hash = createHash("sha256").update(aclCommands(this.inputs.users, null)).digest("hex").slice(0, 10);
    const conn = this.inputs.connection;
    return new k8s.batch.v1.Job(`${name}-acl-job`, {
      metadata: this.meta(`redis-acl-${hash}`, labels),
      spec: {
        backoffLimit: 6,
        template: {
          metadata: { labels },
          spec: {
            restartPolicy: "OnFailure",
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            securityContext: { runAsNonRoot: true, runAsUser: 999, runAsGroup: 999, seccompProfile: { type: "RuntimeDefault" } },
            containers: [{
              name: "acl",
              image: conn.cliImage,
              // redis-cli exits 0 on error replies: the Job fails (and retries) when any command was refused
              command: ["sh", "-c", `out=$(redis-cli -u "$REDIS_URL" \${REDIS_USERNAME:+--user "$REDIS_USERNAME"} --no-auth-warning${conn.tls ? " --tls" : ""} < /acl/commands) || exit 1; echo "$out"; if echo "$out" | grep -qE '^(ERR|WRONGPASS|NOPERM|NOAUTH)'; then exit 1; fi`],
              env: [
                { name: "REDIS_URL", value: conn.url },
                { name: "REDISCLI_AUTH", valueFrom: { secretKeyRef: { name: s.credentialsSecret, key: "password" } } },
                { name: "REDIS_USERNAME", valueFrom: { secretKeyRef: { name: s.credentialsSecret, key: "username", optional: true } } },
              ],
              volumeMounts: [{ name: "commands", mountPath: "/acl", readOnly: true }],
              resources: { requests: { cpu: "50m", memory: "32Mi" }, limits: { cpu: "200m", memory: "64Mi" } },
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
            }],
            volumes: [{ name: "commands", secret: { secretName: "redis-acl-commands", defaultMode: 0o440 } }],
          },
        },
      },
    }, this.after([commands]));
  }
}

/** The stack's labels a selector may use (the part-of and stack labels; not managed-by). */
export function stackSelector(labels: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(labels).filter(([k]) => k === "gantry.dev/stack" || k === "app.kubernetes.io/part-of"));
}
