/**
 * `updateAutoscaler(settings)` on Redis: the unit's settings are stored in its `autoscaler` hash
 * (runtime/redis/keys.ts), the record of what was asked, and applied to the unit's KEDA
 * ScaledObject through the API server when the caller runs in a pod (scaled-object.ts: its
 * ServiceAccount may get and patch the app's ScaledObjects, nothing else). Only the settings given
 * change; `updatedAt` (ms) says when.
 *
 * Fields: minContainers, maxContainers, bufferContainers, scaledownWindow (seconds), updatedAt,
 * and scaledObject (`namespace/name`, when the caller's contract names it).
 */
import type { AutoscalerSettings } from "../../sdk/options.ts";
import type { RedisConnection } from "./client.ts";
import type { UnitKeys } from "./keys.ts";

const SETTINGS = ["minContainers", "maxContainers", "bufferContainers", "scaledownWindow"] as const;

export function checkSettings(label: string, settings: AutoscalerSettings): void {
  for (const [name, value] of Object.entries(settings)) {
    if (value === undefined) continue;
    if (!(SETTINGS as readonly string[]).includes(name)) throw new TypeError(`${label}.updateAutoscaler: unknown setting "${name}" (${SETTINGS.join(", ")})`);
    const whole = name !== "scaledownWindow";
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || (whole && !Number.isInteger(value))) {
      throw new RangeError(`${label}.updateAutoscaler: ${name} must be a ${whole ? "whole " : ""}number >= 0, not ${String(value)}`);
    }
  }
  const { minContainers: min, maxContainers: max } = settings;
  if (min !== undefined && max !== undefined && min > max) throw new RangeError(`${label}.updateAutoscaler: minContainers (${min}) is more than maxContainers (${max})`);
}

export async function storeAutoscalerSettings(conn: RedisConnection, keys: UnitKeys, label: string, settings: AutoscalerSettings, scaledObject?: string): Promise<void> {
  checkSettings(label, settings);
  const fields: string[] = [];
  for (const name of SETTINGS) if (settings[name] !== undefined) fields.push(name, String(settings[name]));
  if (fields.length === 0) return;
  fields.push("updatedAt", String(Date.now()));
  if (scaledObject) fields.push("scaledObject", scaledObject);
  await conn.cmd(["HSET", keys.autoscaler, ...fields]);
}

/** The stored settings of a unit (what the Kubernetes side applies). */
export async function readAutoscalerSettings(conn: RedisConnection, keys: UnitKeys): Promise<AutoscalerSettings & { updatedAt?: number; scaledObject?: string }> {
  const flat = await conn.cmd<string[]>(["HGETALL", keys.autoscaler]);
  const out: Record<string, string | number> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]] = flat[i] === "scaledObject" ? flat[i + 1] : Number(flat[i + 1]);
  return out as AutoscalerSettings & { updatedAt?: number; scaledObject?: string };
}
