/**
 * `Pulumi.<stack>.yaml` access for the review tools: find the file (next to the app or plan, then
 * the working directory), read gantry's keys (`gantry:policy`, `gantry:prices`, `gantry:usage`,
 * `gantry:artifact`, `gantry:app`) and write one key back without losing the file's comments.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parseDocument, isMap } from "yaml";

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
