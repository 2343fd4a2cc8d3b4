/**
 * The static and the runtime views agree: for every example app, what the static analysis read from
 * source (AppSpec) and what the decorators registered when the module was imported describe the
 * same functions, classes, methods, hooks, parameters and options.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { analyzeApp, normalizeCron, normalizeGpu } from "../../synth/index.ts";
import { DEFAULTS, type AppSpec, type DeclarationOptions, type ScheduleSpec, type WebSpec } from "../../synth/spec.ts";
import { registeredApps, describeClass, type MemberMeta } from "../../sdk/registry.ts";
import { parameterFields } from "../../sdk/decorators.ts";
import { functionVariantOf } from "../../sdk/app.ts";
import { Cls, Retries, type App } from "gantry";
import type { ConcurrentOptions, FunctionOptions } from "../../sdk/options.ts";
import type { Schedule } from "../../sdk/schedule.ts";
import type { WebMarker } from "../../sdk/web.ts";

const examplesDir = fileURLToPath(new URL("../../examples", import.meta.url));
const apps = readdirSync(examplesDir).map((d) => join(examplesDir, d, "app.ts")).filter(existsSync).sort();

type Options = Record<string, unknown>;

function specOptions(o: DeclarationOptions): Options {
  return {
    gpu: o.gpu, timeout: o.timeout, maxRetries: o.retries.maxRetries, minContainers: o.minContainers,
    maxContainers: o.maxContainers, bufferContainers: o.bufferContainers, scaledownWindow: o.scaledownWindow,
    spot: o.spot, enableMemorySnapshot: o.enableMemorySnapshot, cpu: o.cpu, memory: o.memory, env: o.env,
    secrets: o.secrets.length, volumes: o.volumes.map((v) => `${v.mountPath}=${v.volume}`).sort(),
  };
}

function registryOptions(o: FunctionOptions): Options {
  const gpu = o.gpu === undefined ? null : normalizeGpu(o.gpu);
  if (gpu && !gpu.ok) throw new Error(gpu.message);
  return {
    gpu: gpu ? gpu.value : null, timeout: o.timeout ?? DEFAULTS.timeout, maxRetries: Retries.from(o.retries).maxRetries,
    minContainers: o.minContainers ?? DEFAULTS.minContainers, maxContainers: o.maxContainers ?? DEFAULTS.maxContainers,
    bufferContainers: o.bufferContainers ?? DEFAULTS.bufferContainers, scaledownWindow: o.scaledownWindow ?? DEFAULTS.scaledownWindow,
    spot: o.spot ?? false, enableMemorySnapshot: o.enableMemorySnapshot ?? false, cpu: o.cpu ?? null, memory: o.memory ?? null,
    env: o.env ?? {}, secrets: o.secrets?.length ?? 0,
    volumes: Object.entries(o.volumes ?? {}).map(([path, v]) => `${path}=${v.name}`).sort(),
  };
}

const specSchedule = (s: ScheduleSpec | null) =>
  s === null ? null : s.kind === "cron" ? { cron: s.expression, tz: s.timezone } : { seconds: s.seconds };
function registrySchedule(s: Schedule | undefined) {
  if (!s) return null;
  if (s.kind === "period") return { seconds: s.seconds };
  const cron = normalizeCron(s.expression);
  return { cron: cron.ok ? cron.expression : s.expression, tz: s.timezone };
}

const specWeb = (w: WebSpec | null) =>
  w === null ? null : { kind: w.kind, public: w.public, ...(w.kind === "endpoint" ? { method: w.method, docs: w.docs, body: w.bodySchema !== null } : {}) };
const registryWeb = (w: WebMarker | null) =>
  w === null ? null : { kind: w.kind, public: w.public, ...(w.kind === "endpoint" ? { method: w.method, docs: w.docs, body: w.body !== null } : {}) };

function fromSpec(spec: AppSpec) {
  return {
    functions: spec.functions.map((f) => ({ name: f.name, options: specOptions(f.options), schedule: specSchedule(f.schedule), web: specWeb(f.web) })),
    classes: spec.classes.map((c) => ({
      name: c.name,
      options: specOptions(c.options),
      concurrency: c.concurrency,
      parameters: c.parameters.map((p) => ({ name: p.name, required: p.required, default: p.default })),
      methods: c.methods.map((m) => ({ name: m.name, batched: m.batched, web: specWeb(m.web) })),
      enter: c.enter.map((h) => ({ name: h.name, snap: h.snap })),
      exit: c.exit.map((h) => h.name),
    })),
    entrypoints: spec.entrypoints.map((e) => e.name),
  };
}

function fromRegistry(app: App) {
  const byName = <T extends { name: string }>(xs: T[]) => xs.sort((a, b) => (a.name < b.name ? -1 : 1));
  return {
    functions: byName(app.functions.map((f) => ({
      name: f.name!, options: registryOptions(f.options), schedule: registrySchedule(f.options.schedule), web: registryWeb(f.web),
    }))),
    classes: byName(app.classes.map((c) => {
      const meta = describeClass(c.ctor);
      const params = parameterFields(new (c.ctor as new () => object)());
      return {
        name: c.name,
        options: registryOptions(c.options),
        concurrency: meta.concurrency,
        parameters: [...params].map(([name, p]) => ({ name, required: p.required, default: p.default })),
        methods: meta.methods.map((m: MemberMeta) => ({ name: m.name, batched: m.batched, web: registryWeb(m.web) })),
        enter: meta.enter.map((h) => ({ name: h.name, snap: h.enter!.snap })),
        exit: meta.exit.map((h) => h.name),
      };
    })),
    entrypoints: app.entrypoints.map((e) => e.name!).sort(),
  };
}

for (const file of apps) {
  const label = file.slice(examplesDir.length + 1);
  test(`static spec and runtime registry agree: ${label}`, async () => {
    const { spec, diagnostics } = analyzeApp(file);
    assert.ok(spec, `analysis failed: ${diagnostics.map((d) => d.message).join("; ")}`);
    const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    const app = registeredApps().find((a) => a.name === spec.app.name);
    assert.ok(app, `importing ${label} registered no app named ${spec.app.name}`);
    app.bindExports(mod);
    assert.deepEqual(fromRegistry(app), fromSpec(spec));

    // variants held in module-level exports must be ones the synthesizer found
    const specVariants = new Set(spec.classes.flatMap((c) => c.variants.map((v) => v.id)));
    const specUnits = new Set(spec.functions.flatMap((f) => [f.name, ...(f.variants ?? []).map((v) => v.id)]));
    for (const value of Object.values(mod)) {
      if (value instanceof Cls) assert.ok(specVariants.has(value.variant), `variant ${value.variant} not in the spec`);
      const fnVariant = functionVariantOf(value)?.variant;
      if (fnVariant) assert.ok(specUnits.has(fnVariant), `function variant ${fnVariant} not in the spec`);
    }
    // function-level concurrency agrees too
    for (const f of spec.functions) {
      const declared: ConcurrentOptions | undefined = app.findFunction(f.name)?.options.concurrency;
      assert.deepEqual(f.concurrency ?? null, declared ? { maxInputs: declared.maxInputs, targetInputs: declared.targetInputs ?? declared.maxInputs } : null, `${f.name} concurrency`);
    }
  });
}
