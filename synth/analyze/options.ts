/**
 * Declaration options (`app.function(options, fn)`, `@app.cls(options)`, `withOptions(...)`):
 * each field read and validated at its own location, then defaults applied.
 */
import { normalizeGpu, parseGpuShape } from "../gpu.ts";
import { DEFAULTS, defaultOptions, type ConcurrencySpec, type DeclarationOptions, type GpuSpec, type RetriesSpec, type ScheduleSpec, type VolumeMount } from "../spec.ts";
import { retries as readRetriesObject } from "./builders.ts";
import { readConcurrency } from "./classes.ts";
import type { Context } from "./context.ts";
import { DEFAULT_IMAGE, readEnv } from "./images.ts";
import { readBoolean, readInt, readNumber, readObject, toPlain } from "./read.ts";
import type { Resources } from "./resources.ts";
import { describeValue, isSdk, type Prop, type SValue } from "./values.ts";

export const OPTION_NAMES = [
  "image", "gpu", "cpu", "memory", "timeout", "retries", "secrets", "volumes", "schedule",
  "minContainers", "maxContainers", "bufferContainers", "scaledownWindow", "enableMemorySnapshot", "spot", "env",
  "concurrency",
] as const;

/** Modal's old names, refused with the new one. */
export const RENAMED_OPTIONS: Record<string, string> = {
  concurrencyLimit: "use maxContainers",
  containerIdleTimeout: "use scaledownWindow",
  keepWarm: "use minContainers",
  allowConcurrentInputs: "use the concurrency: { maxInputs } option of app.function, or the @concurrent({ maxInputs }) decorator on an @app.cls class",
};

/** What `withOptions` may change per variant (images, secrets and volumes are shared by all pools). */
export const VARIANT_OPTION_NAMES = [
  "gpu", "cpu", "memory", "timeout", "retries", "minContainers", "maxContainers", "bufferContainers",
  "scaledownWindow", "enableMemorySnapshot", "spot", "env",
] as const;

export type OptionsKind = "function" | "class" | "variant";

export interface ParsedOptions {
  /** only the options that were given (and valid) */
  given: Partial<DeclarationOptions>;
  schedule: ScheduleSpec | null;
  /** `concurrency: { maxInputs, targetInputs }` (functions only) */
  concurrency: ConcurrencySpec | null;
  /** the option names written in code, sorted (so "set to the default" and "not set" differ) */
  written: string[];
}

export function parseOptions(ctx: Context, res: Resources, value: SValue | undefined, kind: OptionsKind): ParsedOptions {
  const given: Partial<DeclarationOptions> = {};
  const out: ParsedOptions = { given, schedule: null, concurrency: null, written: [] };
  if (!value) return out;
  const what = kind === "variant" ? "withOptions option" : "option";
  const props = readObject(ctx, value, what, OPTION_NAMES, RENAMED_OPTIONS);
  if (!props) return out;
  out.written = [...props.keys()].sort();
  for (const [name, prop] of props) {
    if (kind === "variant" && !(VARIANT_OPTION_NAMES as readonly string[]).includes(name)) {
      ctx.report("GANTRY1707", prop.key, `"${name}" cannot differ per variant; withOptions accepts ${VARIANT_OPTION_NAMES.join(", ")}`);
      continue;
    }
    readField(ctx, res, name as (typeof OPTION_NAMES)[number], prop, kind, out);
  }
  const min = given.minContainers;
  const max = given.maxContainers;
  if (min !== undefined && max !== undefined && max !== null && min > max) {
    ctx.report("GANTRY1305", props.get("minContainers")!.value.node, `minContainers (${min}) is greater than maxContainers (${max})`);
  }
  return out;
}

function readField(ctx: Context, res: Resources, name: (typeof OPTION_NAMES)[number], prop: Prop, kind: OptionsKind, out: ParsedOptions): void {
  const v = prop.value;
  const given = out.given;
  switch (name) {
    case "image": {
      if (isSdk(v, "image")) given.image = res.image(v.sdk, v.node);
      else wrongKind(ctx, v, "image", "an Image, e.g. Image.debianSlim().aptInstall(\"ffmpeg=7:5.1.6-0+deb12u1\")");
      return;
    }
    case "gpu": {
      const gpu = readGpu(ctx, v);
      if (gpu) given.gpu = gpu;
      return;
    }
    case "cpu": {
      const cpu = readNumber(ctx, v, "option cpu");
      if (cpu !== undefined && cpu <= 0) ctx.report("GANTRY1304", v.node, `option cpu must be a positive number of cores, got ${cpu}`);
      else if (cpu !== undefined) given.cpu = cpu;
      return;
    }
    case "memory": setIfDefined(given, "memory", readInt(ctx, v, "option memory (MiB)", 1, Infinity)); return;
    case "timeout": setIfDefined(given, "timeout", readInt(ctx, v, "option timeout (seconds)", 1, 86400, "GANTRY1302")); return;
    case "retries": {
      const r = readRetries(ctx, v, kind);
      if (r) given.retries = r;
      return;
    }
    case "secrets": {
      const ids = readSecrets(ctx, res, v);
      if (ids) given.secrets = ids;
      return;
    }
    case "volumes": {
      const mounts = readVolumes(ctx, res, v);
      if (mounts) given.volumes = mounts;
      return;
    }
    case "schedule": {
      if (kind === "class") {
        ctx.report("GANTRY1303", prop.key, "schedule is for functions, not classes: declare a scheduled app.function that calls the class");
        return;
      }
      if (isSdk(v, "cron")) out.schedule = { kind: "cron", expression: v.sdk.expression, timezone: v.sdk.timezone, source: ctx.location(v.node) };
      else if (isSdk(v, "period")) out.schedule = { kind: "period", seconds: v.sdk.seconds, source: ctx.location(v.node) };
      else wrongKind(ctx, v, "schedule", "Cron(\"0 2 * * *\") or Period({ hours: 6 })");
      return;
    }
    case "concurrency": {
      if (kind === "class") {
        ctx.report("GANTRY1304", prop.key, "concurrency is the option of app.function; on a class write the @concurrent({ maxInputs }) decorator");
        return;
      }
      out.concurrency = readConcurrency(ctx, v, prop.key)?.concurrency ?? null;
      return;
    }
    case "minContainers": setIfDefined(given, "minContainers", readInt(ctx, v, "option minContainers", 0, Infinity)); return;
    case "maxContainers": setIfDefined(given, "maxContainers", readInt(ctx, v, "option maxContainers", 1, Infinity)); return;
    case "bufferContainers": setIfDefined(given, "bufferContainers", readInt(ctx, v, "option bufferContainers", 0, Infinity)); return;
    case "scaledownWindow": setIfDefined(given, "scaledownWindow", readInt(ctx, v, "option scaledownWindow (seconds)", 1, 86400)); return;
    case "enableMemorySnapshot": setIfDefined(given, "enableMemorySnapshot", readBoolean(ctx, v, "option enableMemorySnapshot")); return;
    case "spot": setIfDefined(given, "spot", readBoolean(ctx, v, "option spot")); return;
    case "env": {
      const env = readEnv(ctx, v, "env variable");
      if (env) given.env = env;
      return;
    }
  }
}

function setIfDefined<K extends keyof DeclarationOptions>(target: Partial<DeclarationOptions>, key: K, value: DeclarationOptions[K] | undefined): void {
  if (value !== undefined) target[key] = value;
}

function wrongKind(ctx: Context, v: SValue, option: string, expected: string): void {
  if (v.kind === "unknown") ctx.reportUnknown(v, `option ${option}`);
  else ctx.report("GANTRY1201", v.node, `option ${option} must be ${expected}, got ${describeValue(v)}`);
}

/** Each shape is checked where it is written, so a bad fallback points at itself. */
function readGpu(ctx: Context, v: SValue): GpuSpec | undefined {
  const items = v.kind === "array" ? v.items : [v];
  let ok = true;
  const plain: unknown[] = [];
  for (const item of items) {
    const p = toPlain(ctx, item, "option gpu");
    if (!p.ok) {
      ok = false;
      continue;
    }
    if (v.kind === "array" && Array.isArray(p.value)) {
      ctx.report("GANTRY1401", item.node, "GPU fallback lists cannot be nested");
      ok = false;
      continue;
    }
    const shape = parseGpuShape(p.value);
    if (!shape.ok) {
      ctx.report(shape.kind === "unknown-type" ? "GANTRY1400" : "GANTRY1401", item.node, shape.message);
      ok = false;
    }
    plain.push(p.value);
  }
  if (!ok) return undefined;
  const gpu = normalizeGpu(v.kind === "array" ? plain : plain[0]);
  if (!gpu.ok) {
    ctx.report("GANTRY1401", v.node, gpu.message);
    return undefined;
  }
  return gpu.value;
}

function readRetries(ctx: Context, v: SValue, kind: OptionsKind): RetriesSpec | undefined {
  if (v.kind === "primitive" && typeof v.value === "number") {
    const n = readInt(ctx, v, "option retries", 0, 10, "GANTRY1306");
    return n === undefined ? undefined : { ...DEFAULTS.retries, maxRetries: n };
  }
  if (kind !== "variant") {
    if (isSdk(v, "retries")) return v.sdk.retries;
    if (v.kind === "object") {
      // a plain `{ maxRetries: 3 }` reads like new Retries({ maxRetries: 3 })
      const r = readRetriesObject(ctx, v, v.node);
      return "type" in r && r.type === "retries" ? r.retries : undefined;
    }
  }
  if (v.kind === "unknown") ctx.reportUnknown(v, "option retries");
  else ctx.report("GANTRY1306", v.node, kind === "variant"
    ? `withOptions retries must be a number of retries, got ${describeValue(v)}`
    : `retries must be a number or new Retries({ maxRetries, backoffCoefficient, initialDelay, maxDelay }), got ${describeValue(v)}`);
  return undefined;
}

function readSecrets(ctx: Context, res: Resources, v: SValue): string[] | undefined {
  if (v.kind !== "array") {
    if (v.kind === "unknown") ctx.reportUnknown(v, "option secrets");
    else if (isSdk(v, "secret")) ctx.report("GANTRY1308", v.node, "secrets is a list: write [secret]");
    else ctx.report("GANTRY1308", v.node, `secrets must be an array of Secret, got ${describeValue(v)}`);
    return undefined;
  }
  const ids: string[] = [];
  let ok = true;
  for (const item of v.items) {
    if (isSdk(item, "secret")) {
      const id = res.secret(item.sdk, item.node);
      if (!ids.includes(id)) ids.push(id);
    } else {
      ok = false;
      if (item.kind === "unknown") ctx.reportUnknown(item, "a secret");
      else ctx.report("GANTRY1308", item.node, `secrets must be Secret values (Secret.fromName, fromDict, fromDotenv), got ${describeValue(item)}`);
    }
  }
  return ok ? ids : undefined;
}

function readVolumes(ctx: Context, res: Resources, v: SValue): VolumeMount[] | undefined {
  if (v.kind !== "object") {
    if (v.kind === "unknown") ctx.reportUnknown(v, "option volumes");
    else ctx.report("GANTRY1307", v.node, `volumes must be an object of mount paths, e.g. { "/models": Volume.fromName("weights") }, got ${describeValue(v)}`);
    return undefined;
  }
  const mounts: VolumeMount[] = [];
  let ok = true;
  for (const [mountPath, prop] of v.props) {
    if (!isValidMountPath(mountPath)) {
      ctx.report("GANTRY1307", prop.key, `"${mountPath}" is not a valid mount path: use an absolute path other than "/", e.g. "/models"`);
      ok = false;
    }
    const vol = prop.value;
    if (isSdk(vol, "volume")) {
      mounts.push({ mountPath, volume: res.volume(vol.sdk, vol.node) });
    } else {
      ok = false;
      if (vol.kind === "unknown") ctx.reportUnknown(vol, `the volume mounted at ${mountPath}`);
      else ctx.report("GANTRY1307", vol.node, `the volume mounted at ${mountPath} must be a Volume, e.g. Volume.fromName("weights"), got ${describeValue(vol)}`);
    }
  }
  return ok ? mounts.sort((a, b) => (a.mountPath < b.mountPath ? -1 : a.mountPath > b.mountPath ? 1 : 0)) : undefined;
}

function isValidMountPath(path: string): boolean {
  return path.startsWith("/") && path !== "/" && !path.split("/").includes("..") && !/\s/.test(path);
}

/** Options with defaults applied; `base` (a class's options, for variants) fills in before the defaults. */
export function withDefaults(res: Resources, given: Partial<DeclarationOptions>, base?: DeclarationOptions): DeclarationOptions {
  const defaults: DeclarationOptions = base ?? defaultOptions(given.image ?? res.image(DEFAULT_IMAGE, null));
  // fixed key order, whatever order the user wrote the options in
  const merged = { ...defaults, ...given };
  return {
    image: merged.image,
    gpu: merged.gpu,
    cpu: merged.cpu,
    memory: merged.memory,
    timeout: merged.timeout,
    retries: merged.retries,
    secrets: merged.secrets,
    volumes: merged.volumes,
    minContainers: merged.minContainers,
    maxContainers: merged.maxContainers,
    bufferContainers: merged.bufferContainers,
    scaledownWindow: merged.scaledownWindow,
    enableMemorySnapshot: merged.enableMemorySnapshot,
    spot: merged.spot,
    env: merged.env,
  };
}

