/**
 * `Pulumi.<stack>.yaml` access for the review tools: find the file (next to the app or plan, then
 * the working directory), read gantry's keys (`gantry:policy`, `gantry:prices`, `gantry:usage`,
 * `gantry:artifact`, `gantry:app`) and write one key back without losing the file's comments.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parseDocument, isMap } from "yaml";
import type { CostOptions } from "./cost.ts";
import { defaultPrices, PriceOverrides, withOverrides } from "./prices.ts";
import { parseUsage } from "./usage.ts";

export function stackFileName(stack: string): string {
  return `Pulumi.${stack}.yaml`;
}

/** The first `Pulumi.<stack>.yaml` in `dirs` (deduplicated, in order), or null. */
export function findStackFile(stack: string, dirs: readonly string[]): string | null {
  const seen = new Set<string>();
  for (const dir of dirs) {
    const abs = resolve(dir);
    if (seen.has(abs)) continue;
    seen.add(abs);
    const file = join(abs, stackFileName(stack));
    if (existsSync(file)) return file;
  }
  return null;
}

/** Where to look for a stack file given the input file: its directory, then the cwd. */
export function stackFileDirs(inputFile: string, cwd = process.cwd()): string[] {
  return [dirname(resolve(inputFile)), cwd];
}

/** The `config:` map of a stack file (empty when it has none). */
export function readStackConfig(file: string): Record<string, unknown> {
  const doc = parseDocument(readFileSync(file, "utf8"));
  if (doc.errors.length) throw new Error(`${file}: ${doc.errors[0].message}`);
  const root = doc.toJS() as { config?: Record<string, unknown> } | null;
  return root?.config ?? {};
}

/** Sets `config.<key>` to `value`, keeping the rest of the file (and its comments) as it was. */
export function writeStackConfigValue(file: string, key: string, value: unknown): void {
  const doc = existsSync(file) ? parseDocument(readFileSync(file, "utf8")) : parseDocument("config: {}\n");
  if (doc.errors.length) throw new Error(`${file}: ${doc.errors[0].message}`);
  if (!isMap(doc.contents)) doc.contents = doc.createNode({}) as unknown as typeof doc.contents;
  if (!isMap(doc.get("config"))) doc.set("config", doc.createNode({}));
  doc.setIn(["config", key], doc.createNode(value));
  writeFileSync(file, doc.toString());
}

/**
 * The stack's config as Pulumi hands it to a policy pack: the Node.js language host starts the
 * pack with `PULUMI_CONFIG` set to the stack config as JSON (pulumi/pulumi
 * sdk/nodejs/cmd/pulumi-language-nodejs/main.go, RunPlugin: "For policy packs we also need to
 * adjust the environment to include stack configuration as well", then
 * `maybeAppendEnv("PULUMI_CONFIG", string(configJSON))`). Keys are `namespace:key`; structured
 * values (a map like `gantry:policy`) arrive as JSON text. Empty when the variable is not set.
 */
export function stackConfigFromEnv(env: NodeJS.ProcessEnv = process.env): Record<string, unknown> {
  const raw = env.PULUMI_CONFIG;
  if (!raw) return {};
  let config: unknown;
  try {
    config = JSON.parse(raw);
  } catch (err) {
    throw new Error(`PULUMI_CONFIG is not JSON (${(err as Error).message})`);
  }
  if (config === null || typeof config !== "object" || Array.isArray(config)) return {};
  return Object.fromEntries(Object.entries(config as Record<string, unknown>).map(([k, v]) => [k, typeof v === "string" ? jsonOrText(v) : v]));
}

function jsonOrText(value: string): unknown {
  const t = value.trimStart();
  if (!t.startsWith("{") && !t.startsWith("[")) return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/**
 * The cost settings of a stack config the pack can apply: `gantry:prices` and `gantry:usage`
 * given inline. A file path there is relative to the stack file, which a policy pack is not told
 * about: those are named in `skipped` (the pack says so) and the defaults hold.
 */
export function inlineCostSettings(config: Record<string, unknown>, where: string): { options: CostOptions; skipped: string[] } {
  const options: CostOptions = {};
  const skipped: string[] = [];
  const prices = config["gantry:prices"];
  if (typeof prices === "string") skipped.push("gantry:prices");
  else if (prices !== undefined) {
    const parsed = PriceOverrides.safeParse(prices);
    if (!parsed.success) throw new Error(`${where}: gantry:prices: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
    options.prices = withOverrides(defaultPrices(), parsed.data);
  }
  const usage = config["gantry:usage"];
  if (typeof usage === "string") skipped.push("gantry:usage");
  else if (usage !== undefined) options.usage = parseUsage(usage, `${where}: gantry:usage`);
  return { options, skipped };
}
