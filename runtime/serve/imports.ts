/**
 * The files `gantry serve` watches: the app file and the project files it imports, transitively
 * (type-only imports and dynamic `import("./x")` with a literal too, since they change what runs
 * or what the analysis sees). Packages (anything under node_modules, bare specifiers) are not
 * followed. Only the import lines are read (TypeScript's pre-processor), not the whole syntax.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, extname, isAbsolute, join, resolve, sep } from "node:path";
import { ts } from "ts-morph";

const SOURCE_EXTENSIONS = [".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs"];
/** `./x.js` in TypeScript source means `./x.ts` (NodeNext style) */
const JS_TO_TS: Record<string, string[]> = {
  ".js": [".ts", ".tsx"],
  ".jsx": [".tsx"],
  ".mjs": [".mts"],
  ".cjs": [".cts"],
};

export function projectImports(appFile: string): string[] {
  const start = resolve(appFile);
  const seen = new Set<string>([start]);
  const queue = [start];
  while (queue.length) {
    const file = queue.shift()!;
    if (!SOURCE_EXTENSIONS.includes(extname(file))) continue; // .json and the like: watched, not parsed
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    const info = ts.preProcessFile(text, true, true);
    for (const { fileName: specifier } of info.importedFiles) {
      const target = resolveRelative(file, specifier);
      if (target && !seen.has(target)) {
        seen.add(target);
        queue.push(target);
      }
    }
  }
  return [...seen];
}

function resolveRelative(from: string, specifier: string): string | null {
  if (!specifier.startsWith(".") && !isAbsolute(specifier)) return null;
  const base = resolve(dirname(from), specifier.split("?")[0]);
  const ext = extname(base);
  const candidates = [
    ...(JS_TO_TS[ext] ?? []).map((e) => base.slice(0, -ext.length) + e),
    base,
    ...SOURCE_EXTENSIONS.map((e) => base + e),
    ...SOURCE_EXTENSIONS.map((e) => join(base, `index${e}`)),
  ];
  for (const candidate of candidates) {
    if (candidate.split(sep).includes("node_modules")) return null;
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return null;
}
