/**
 * A stack's review settings from `Pulumi.<stack>.yaml`:
 *
 *   config:
 *     gantry:policy: { gpu-budget: { monthlyUsd: 10000 } }     # policy config (see policy/config.ts)
 *     gantry:usage: gantry.usage.yaml                           # or the usage inline
 *     gantry:prices: prices.json                                # or overrides inline
 *
 * Paths are relative to the stack file. `gantry check`, and `gantry synth` for the plan's cost,
 * read the same settings.
 */
import { dirname, resolve } from "node:path";
import { asPolicyMap, type RawPolicyConfig } from "./config.ts";
import { defaultPrices, loadPriceOverrides, PriceOverrides, withOverrides, type PriceTable } from "./prices.ts";
import { findStackFile, readStackConfig } from "./stack-config.ts";
import { loadUsage, parseUsage, type Usage } from "./usage.ts";

export interface StackSettings {
  /** the stack file read, or null when none was found */
  file: string | null;
  policy: RawPolicyConfig;
  usage: Usage | undefined;
  prices: PriceTable;
}

export function loadStackSettings(stack: string, searchDirs: readonly string[]): StackSettings {
  const file = findStackFile(stack, searchDirs);
  if (!file) return { file: null, policy: {}, usage: undefined, prices: defaultPrices() };
  const config = readStackConfig(file);
  const base = dirname(file);
  const usageValue = config["gantry:usage"];
  const usage = usageValue === undefined ? undefined : typeof usageValue === "string" ? loadUsage(resolve(base, usageValue)) : parseUsage(usageValue, `${file}: gantry:usage`);
  const pricesValue = config["gantry:prices"];
  let prices = defaultPrices();
  if (typeof pricesValue === "string") prices = withOverrides(prices, loadPriceOverrides(resolve(base, pricesValue)));
  else if (pricesValue !== undefined) {
    const parsed = PriceOverrides.safeParse(pricesValue);
    if (!parsed.success) throw new Error(`${file}: gantry:prices: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
    prices = withOverrides(prices, parsed.data);
  }
  return { file, policy: asPolicyMap(config["gantry:policy"], `${file}: gantry:policy`), usage, prices };
}
