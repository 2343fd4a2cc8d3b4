/**
 * The container contract: everything a container is told by the target that deploys it, as one
 * typed value. The provider builds a ContainerContract and writes it into the task's environment
 * with `encodeContainerEnv`; the container reads it back at start with `decodeContainerEnv`, which
 * returns every field or throws one ContainerContractError naming every bad or missing variable.
 *
 * Each field has exactly one variable and one format (FIELDS below, checked complete by the type
 * checker). Defaults are decided here, never by the writer and the reader both: most fields have
 * none (the writer always sets them); the few with a default are knobs the stack leaves alone
 * (a test shortens a poll). What is derived from delivery rules (setup timeout, redrive count,
 * visibility) is derived by the writer, from runtime/delivery.ts, and arrives here as a number.
 *
 * The core is target-neutral. `transport` is what one transport needs, a union on `kind`: `aws`
 * (SQS, DynamoDB, S3) and `redis` (the Kubernetes target); another transport adds its schema to TransportContract and its
 * variables to TRANSPORT_FIELDS, the core untouched. Secrets' own variables (the user's secret
 * keys, GANTRY_WEB_TOKEN) are not part of the contract: they are the user's values, not wiring.
 */
import { z } from "zod";
import { BatchingSpec, RetriesSpec } from "../synth/spec.ts";

const text = z.string().min(1);
const seconds = z.number().nonnegative();
const port = z.number().int().min(0).max(65535);
const names = z.record(z.string(), z.string());

/** SQS/DynamoDB/S3: the unit's queues, the shared call state, and what nested calls reach. */
export const AwsTransportContract = z.object({
  kind: z.literal("aws"),
  queueUrl: text,
  dlqUrl: text,
  resultsTable: text,
  bucket: text,
  /** the queues' message limit; larger arguments and results go through the bucket */
  maxMessageBytes: z.number().int().min(1024),
  /** seconds an input stays invisible after a receive or a heartbeat: the queue's own setting */
  visibilityTimeout: z.number().int().min(1).max(43_200),
  /** the queue's redrive count; above 1, so the runtime re-enqueues before SQS dead-letters */
  maxReceiveCount: z.number().int().min(2),
  resultTtlDays: z.number().int().min(1),
  /** unit id -> its queue URL (nested `.remote()`) */
  queues: names,
  /** Dict name -> its DynamoDB table */
  dicts: names,
  /** Queue name -> its SQS queue URL */
  stateQueues: names,
  /** unit id -> `service/<cluster>/<service>` (`updateAutoscaler`, waking a unit from zero) */
  scalingTargets: names,
  /** unit id -> what a caller needs to wake it from zero (runtime/aws/waker.ts); units that are never at zero are absent */
  wake: z.record(z.string(), z.object({ targetInputs: z.number().int().min(1), maxContainers: z.number().int().min(1) })).default({}),
  /** Secrets Manager secrets loaded whole into the environment before the app is imported */
  secretArns: z.array(text),
  /** a private webApp/webServer: the Secrets Manager secret holding its bearer token */
  tokenSecretArn: text.optional(),
  // knobs the stack leaves to their defaults (tests shorten them)
  /** between visibility heartbeats; default and ceiling: a third of the visibility timeout */
  heartbeatMs: z.number().min(10).optional(),
  /** the long poll's wait: SQS's longest, 20 s */
  waitTimeSeconds: z.number().min(0).max(20).default(20),
  /** how often running inputs are checked for cancellation */
  cancelPollMs: z.number().min(10).default(5000),
  /** results up to this size live in the results-table item (DynamoDB items stop at 400 KB) */
  resultInlineBytes: z.number().int().min(0).default(200 * 1024),
});
export type AwsTransportContract = z.output<typeof AwsTransportContract>;

/**
 * Redis (the Kubernetes target): one server carries every unit's work stream, retries, dead letters,
 * call records and results, under keys from runtime/redis/keys.ts. The password is a secret, not
 * wiring: it arrives as `GANTRY_REDIS_PASSWORD` from the unit's Kubernetes Secret, outside the contract.
 */
export const RedisTransportContract = z.object({
  kind: z.literal("redis"),
  /** redis:// or rediss:// (TLS); no credentials in it */
  url: z.string().regex(/^rediss?:\/\/[^@/\s]+(\/\d+)?$/, "a redis:// or rediss:// URL without credentials"),
  /** the unit's own ACL user (least privilege); absent: the default user */
  username: text.optional(),
  /** every key of this stack starts here (runtime/redis/keys.ts): several stacks can share one server */
  namespace: z.string().regex(/^[A-Za-z0-9._-]+$/, "letters, digits, '.', '_' or '-'"),
  /** seconds an entry stays with a consumer before another claims it: the writer's timeout + 60 s (the SQS visibility rule) */
  claimIdleSeconds: z.number().int().min(1),
  resultTtlDays: z.number().int().min(1),
  /** unit id -> `namespace/name` of its KEDA ScaledObject (`updateAutoscaler`) */
  scaledObjects: names,
  // knobs the stack leaves to their defaults (tests shorten them)
  /** XREADGROUP BLOCK, ms */
  blockMs: z.number().int().min(1).default(5000),
  /** between ownership heartbeats (XCLAIM JUSTID); default: a third of the claim idle time */
  heartbeatMs: z.number().min(10).optional(),
  /** how often running inputs are checked for cancellation */
  cancelPollMs: z.number().min(10).default(1000),
});
export type RedisTransportContract = z.output<typeof RedisTransportContract>;

export const TransportContract = z.discriminatedUnion("kind", [AwsTransportContract, RedisTransportContract]);
export type TransportContract = z.output<typeof TransportContract>;
export type TransportKind = TransportContract["kind"];

export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;

const ContainerCore = z.object({
  app: text,
  /** the stack and the spec hash this container was deployed with (its start log line says them) */
  stack: text,
  specHash: text,
  kind: z.enum(["function", "class"]),
  /** the function or class name in code */
  declaration: text,
  /** the unit id: function, class, or variant id (`LlamaInference[gpu=H100]`) */
  unit: text,
  /** the app module; absent: the image's bundle (`$GANTRY_APP_DIR/app.mjs`, see container/config.ts) */
  appFile: text.optional(),
  /** class parameters the first instance is built with; null: the class's defaults */
  params: z.record(z.string(), z.unknown()).nullable().default(null),
  /** seconds an input may run */
  timeout: seconds,
  /** seconds `@enter` hooks may take (runtime/delivery.ts `setupTimeoutSeconds`) */
  setupTimeout: seconds,
  retries: RetriesSpec,
  /** inputs one container runs at once */
  maxInputs: z.number().int().min(1),
  /** method name ("" for a function) -> its `@batched` settings */
  batching: z.record(z.string(), BatchingSpec),
  /** seconds without work before the container exits by itself; null: never (the target scales in) */
  idleExit: seconds.nullable(),
  /** seconds between SIGTERM and SIGKILL */
  stopTimeout: seconds,
  /** seconds in-flight inputs get after SIGTERM; default three quarters of the stop timeout (container/config.ts) */
  drainSeconds: seconds.optional(),
  /** workers: where `/livez` and `/readyz` are served; null: not served */
  healthPort: port.nullable(),
  /** webApp / webServer units: where the front door listens (with `/livez`, `/readyz`); null: a worker */
  httpPort: port.nullable(),
  logLevel: z.enum(LOG_LEVELS).default("info"),
  /** mount path -> volume name, for the volumes mounted in this container */
  volumes: names,
});

export const ContainerContract = ContainerCore.extend({ transport: TransportContract });
/** What the container reads (defaults applied). */
export type ContainerContract = z.output<typeof ContainerContract>;
/** What a writer gives (fields with a default may be left out). */
export type ContainerContractInput = z.input<typeof ContainerContract>;

// ---- the variables

interface Codec<T> {
  env: string;
  encode(value: T): string;
  /** throws a short reason when `raw` is not in the format */
  decode(raw: string): unknown;
}

const asText = (env: string): Codec<string> => ({ env, encode: (v) => v, decode: (raw) => raw });
const asNumber = (env: string): Codec<number> => ({ env, encode: (v) => String(v), decode: number });
/** a number, or "off" for null */
const asNumberOrOff = (env: string): Codec<number | null> => ({
  env,
  encode: (v) => (v === null ? "off" : String(v)),
  decode: (raw) => (raw === "off" ? null : number(raw)),
});
const asJson = <T>(env: string): Codec<T> => ({
  env,
  encode: (v) => JSON.stringify(v),
  decode: (raw) => {
    try {
      return JSON.parse(raw);
    } catch {
      throw new Error(`not valid JSON: ${raw.slice(0, 80)}`);
    }
  },
});

function number(raw: string): number {
  const n = raw.trim() === "" ? NaN : Number(raw);
  if (!Number.isFinite(n)) throw new Error(`${JSON.stringify(raw)} is not a number`);
  return n;
}

/** One codec per field, none forgotten: a field added to a schema without a variable does not type-check. */
type Fields<T> = { [K in keyof T]-?: Codec<Exclude<T[K], undefined>> };

type CoreInput = z.input<typeof ContainerCore>;
const CORE_FIELDS: Fields<CoreInput> = {
  app: asText("GANTRY_APP"),
  stack: asText("GANTRY_STACK"),
  specHash: asText("GANTRY_SPEC_HASH"),
  kind: asText("GANTRY_KIND") as Codec<CoreInput["kind"]>,
  declaration: asText("GANTRY_DECLARATION"),
  unit: asText("GANTRY_VARIANT"),
  appFile: asText("GANTRY_APP_FILE"),
  params: asJson("GANTRY_PARAMS"),
  timeout: asNumber("GANTRY_TIMEOUT"),
  setupTimeout: asNumber("GANTRY_SETUP_TIMEOUT"),
  retries: asJson("GANTRY_RETRIES"),
  maxInputs: asNumber("GANTRY_MAX_INPUTS"),
  batching: asJson("GANTRY_BATCHING"),
  idleExit: asNumberOrOff("GANTRY_IDLE_EXIT"),
  stopTimeout: asNumber("GANTRY_STOP_TIMEOUT"),
  drainSeconds: asNumber("GANTRY_DRAIN_SECONDS"),
  healthPort: asNumberOrOff("GANTRY_HEALTH_PORT"),
  httpPort: asNumberOrOff("GANTRY_HTTP_PORT"),
  logLevel: asText("GANTRY_LOG_LEVEL") as Codec<NonNullable<CoreInput["logLevel"]>>,
  volumes: asJson("GANTRY_VOLUMES"),
};

/** `GANTRY_TRANSPORT` names the kind; the kind's own variables follow. */
const TRANSPORT_VARIABLE = "GANTRY_TRANSPORT";

type TransportInput<K extends TransportKind> = Omit<Extract<z.input<typeof TransportContract>, { kind: K }>, "kind">;
const TRANSPORT_FIELDS: { [K in TransportKind]: Fields<TransportInput<K>> } = {
  aws: {
    queueUrl: asText("GANTRY_QUEUE_URL"),
    dlqUrl: asText("GANTRY_DLQ_URL"),
    resultsTable: asText("GANTRY_RESULTS_TABLE"),
    bucket: asText("GANTRY_PAYLOAD_BUCKET"),
    maxMessageBytes: asNumber("GANTRY_SQS_MAX_BYTES"),
    visibilityTimeout: asNumber("GANTRY_VISIBILITY_TIMEOUT"),
    maxReceiveCount: asNumber("GANTRY_MAX_RECEIVE_COUNT"),
    resultTtlDays: asNumber("GANTRY_RESULT_TTL_DAYS"),
    queues: asJson("GANTRY_QUEUES"),
    dicts: asJson("GANTRY_DICTS"),
    stateQueues: asJson("GANTRY_STATE_QUEUES"),
    scalingTargets: asJson("GANTRY_SCALING_TARGETS"),
    wake: asJson("GANTRY_WAKE"),
    secretArns: asJson("GANTRY_SECRET_ARNS"),
    tokenSecretArn: asText("GANTRY_TOKEN_SECRET_ARN"),
    heartbeatMs: asNumber("GANTRY_HEARTBEAT_MS"),
    waitTimeSeconds: asNumber("GANTRY_SQS_WAIT_SECONDS"),
    cancelPollMs: asNumber("GANTRY_CANCEL_POLL_MS"),
    resultInlineBytes: asNumber("GANTRY_RESULT_INLINE_BYTES"),
  },
  redis: {
    url: asText("GANTRY_REDIS_URL"),
    username: asText("GANTRY_REDIS_USER"),
    namespace: asText("GANTRY_REDIS_NAMESPACE"),
    claimIdleSeconds: asNumber("GANTRY_CLAIM_IDLE_SECONDS"),
    resultTtlDays: asNumber("GANTRY_RESULT_TTL_DAYS"),
    scaledObjects: asJson("GANTRY_SCALED_OBJECTS"),
    blockMs: asNumber("GANTRY_REDIS_BLOCK_MS"),
    heartbeatMs: asNumber("GANTRY_HEARTBEAT_MS"),
    cancelPollMs: asNumber("GANTRY_CANCEL_POLL_MS"),
  },
};

const TRANSPORT_KINDS = Object.keys(TRANSPORT_FIELDS) as TransportKind[];

/** The codecs of one kind, as the generic helpers below take them. */
function transportFields(kind: TransportKind): Fields<object> {
  return TRANSPORT_FIELDS[kind] as Fields<object>;
}

/** Every variable of the contract for a transport kind (what a task's environment may hold). */
export function containerEnvNames(kind: TransportKind): string[] {
  return [TRANSPORT_VARIABLE, ...[...codecs(CORE_FIELDS), ...codecs(transportFields(kind))].map(([, c]) => c.env)].sort();
}

export class ContainerContractError extends Error {
  override name = "ContainerContractError";
  constructor(readonly problems: string[], what = "the container's environment is not a valid gantry contract (the stack sets it on every task)") {
    super(`${what}:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
}

// ---- encode / decode

/** The environment variables for `contract`; throws ContainerContractError when it is not valid. */
export function encodeContainerEnv(contract: ContainerContractInput): Record<string, string> {
  const checked = ContainerContract.safeParse(contract);
  if (!checked.success) throw new ContainerContractError(checked.error.issues.map((i) => describe(i, contract.transport?.kind ?? null, null)));
  // the writer's own values, not the parsed ones: a default stays the schema's, not written
  const { transport, ...core } = contract;
  const env: Record<string, string> = {
    ...encodeFields(CORE_FIELDS, core),
    [TRANSPORT_VARIABLE]: transport.kind,
    ...encodeFields(transportFields(transport.kind), transport),
  };
  return Object.fromEntries(Object.entries(env).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** The contract in `env`; throws ContainerContractError naming every missing or bad variable. */
export function decodeContainerEnv(env: Record<string, string | undefined> = process.env): ContainerContract {
  const problems: string[] = [];
  const core = decodeFields(CORE_FIELDS, env, problems);
  const kind = env[TRANSPORT_VARIABLE];
  let transport: Record<string, unknown> | undefined;
  if (!kind) problems.push(`${TRANSPORT_VARIABLE}: missing (one of ${TRANSPORT_KINDS.join(", ")})`);
  else if (!TRANSPORT_KINDS.includes(kind as TransportKind)) problems.push(`${TRANSPORT_VARIABLE}=${JSON.stringify(kind)}: not a transport (one of ${TRANSPORT_KINDS.join(", ")})`);
  else transport = { kind, ...decodeFields(transportFields(kind as TransportKind), env, problems) };
  const parsed = ContainerContract.safeParse({ ...core, transport: transport ?? { kind: TRANSPORT_KINDS[0] } });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      // a variable already reported as unreadable is not reported again as missing
      const named = variableOf(issue.path, (transport?.kind as TransportKind | undefined) ?? null);
      if (!transport && issue.path[0] === "transport") continue;
      if (named && problems.some((p) => p.startsWith(`${named.env}=`) || p.startsWith(`${named.env}:`))) continue;
      problems.push(describe(issue, (transport?.kind as TransportKind | undefined) ?? null, env));
    }
  }
  if (problems.length || !parsed.success) throw new ContainerContractError(problems);
  return parsed.data;
}

function codecs<T>(fields: Fields<T>): Array<[string, Codec<unknown>]> {
  return Object.entries(fields) as Array<[string, Codec<unknown>]>;
}

function encodeFields<T>(fields: Fields<T>, values: object): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, codec] of codecs(fields)) {
    const value = (values as Record<string, unknown>)[key];
    if (value !== undefined) out[codec.env] = codec.encode(value);
  }
  return out;
}

function decodeFields<T>(fields: Fields<T>, env: Record<string, string | undefined>, problems: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, codec] of codecs(fields)) {
    const raw = env[codec.env];
    if (raw === undefined || raw === "") continue;
    try {
      out[key] = codec.decode(raw);
    } catch (err) {
      problems.push(`${codec.env}=${JSON.stringify(raw.slice(0, 80))}: ${(err as Error).message}`);
    }
  }
  return out;
}

/** The variable a schema path lies in, and the path inside its value (`GANTRY_RETRIES` `.maxRetries`). */
function variableOf(path: PropertyKey[], kind: TransportKind | null): { env: string; rest: PropertyKey[] } | null {
  if (path[0] === "transport") {
    if (path.length === 1 || path[1] === "kind") return { env: TRANSPORT_VARIABLE, rest: [] };
    const codec = kind ? (TRANSPORT_FIELDS[kind] as Record<string, Codec<unknown>>)[String(path[1])] : undefined;
    return codec ? { env: codec.env, rest: path.slice(2) } : null;
  }
  const codec = (CORE_FIELDS as Record<string, Codec<unknown>>)[String(path[0])];
  return codec ? { env: codec.env, rest: path.slice(1) } : null;
}

/** One problem, named by its variable; `env` given: a variable that is not set is "missing". */
function describe(issue: z.core.$ZodIssue, kind: TransportKind | null, env: Record<string, string | undefined> | null): string {
  const named = variableOf(issue.path, kind);
  const where = named ? `${named.env}${named.rest.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("")}` : issue.path.join(".") || "(contract)";
  if (env && named && named.rest.length === 0 && (env[named.env] === undefined || env[named.env] === "")) return `${where}: missing`;
  return `${where}: ${issue.message}`;
}
