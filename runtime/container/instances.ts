/**
 * The container's WorkerTarget, with one instance per class parameter set (named "instances", not
 * "target": a target elsewhere is where gantry deploys). A function is loaded as is. A class unit's
 * queue carries calls for any parameter set of the class (`Cls.of(X).instance({ ... })`), so the
 * container keeps one instance per parameter set: the one named by `GANTRY_PARAMS` (or the
 * defaults) is built and its `@enter` hooks run before any input; others are built, `@enter`
 * included, on their first call. Inputs carry their parameter set (`WorkInput.params`, from the
 * message's `params`).
 */
import { loadTarget, importApp, type TargetSpec, type WorkerTarget } from "../worker/target.ts";
import { parameterFields } from "../../sdk/decorators.ts";
import { ContainerSetupError } from "../errors.ts";
import { paramsKey } from "../worker/params.ts";

export async function loadContainerTarget(spec: Omit<TargetSpec, "params"> & { params: Record<string, unknown> | null }): Promise<WorkerTarget> {
  if (spec.kind === "function") return loadTarget({ ...spec, params: {} });
  const app = await importApp(spec.appFile, spec.appName);
  const declaration = app.findClass(spec.name);
  if (!declaration) throw new Error(`app "${spec.appName}" has no class "${spec.name}" declared with @app.cls`);
  const baseParams = spec.params ?? {};
  const baseKey = paramsKey(baseParams);
  // without GANTRY_PARAMS, a class with required parameters has no instance to build up front
  const requiresParams = spec.params === null &&
    [...parameterFields(new (declaration.ctor as new () => object)()).values()].some((m) => m.required);
  const base = await loadTarget({ ...spec, params: baseParams });
  const built = new Map<string, Promise<WorkerTarget>>();
  if (!requiresParams) built.set(baseKey, Promise.resolve(base));

  const instanceFor = (params: Record<string, unknown> | undefined): Promise<WorkerTarget> => {
    const key = paramsKey(params) || baseKey;
    let target = built.get(key);
    if (!target) {
      const params = key ? (JSON.parse(key) as Record<string, unknown>) : {};
      target = loadTarget({ ...spec, params }).then(async (t) => {
        try {
          await t.setup();
        } catch (err) {
          const e = err as Error;
          throw Object.assign(new ContainerSetupError(`${spec.name}(${key || "{}"}): @enter failed: ${e?.name ?? "Error"}: ${e?.message ?? String(err)}`), { cause: err });
        }
        return t;
      });
      built.set(key, target);
      // a failed setup is tried again by the next input of that parameter set
      target.catch(() => built.delete(key));
    }
    return target;
  };

  return {
    slots: base.slots,
    label: base.label,
    batching: base.batching,
    setup: () => (requiresParams ? Promise.resolve() : base.setup()),
    async invoke(call, args) {
      return (await instanceFor(call.params)).invoke(call, args);
    },
    async teardown(onError) {
      for (const target of built.values()) {
        const t = await target.catch(() => null);
        if (t) await t.teardown(onError);
      }
    },
  };
}
