/**
 * gantry apps are ES modules. Node decides a `.ts`/`.js` file's module system from the nearest
 * package.json's `"type"`; in a project `npm init` made (`"type": "commonjs"`), loading the app
 * would fail deep inside Node (ERR_REQUIRE_CYCLE_MODULE). This names the fix in one line instead.
 * (Without a "type" at all, Node's syntax detection loads an app with `import` as an ES module.)
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

/** The commands that load the app's module (the others only read its source). */
const LOADING_COMMANDS = new Set(["run", "serve"]);
const AMBIGUOUS = /\.(ts|tsx|js|jsx)$/;

/** The nearest package.json above `file`, or null. */
function packageJsonOf(file: string): string | null {
  for (let dir = dirname(resolve(file)); ; dir = dirname(dir)) {
    const candidate = join(dir, "package.json");
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return null;
  }
}

/** Why `appFile` would load as CommonJS, as one line that says what to change; null when it is an ES module. */
export function commonJsAppProblem(appFile: string, cwd = process.cwd()): string | null {
  const shown = relative(cwd, resolve(appFile)) || appFile;
  if (appFile.endsWith(".cts") || appFile.endsWith(".cjs")) return `${shown} is a CommonJS file; gantry apps are ES modules: rename it to .ts (in a "type": "module" package) or .mts`;
  if (!AMBIGUOUS.test(appFile)) return null;
  const pkg = packageJsonOf(appFile);
  let type: unknown;
  try {
    type = pkg ? (JSON.parse(readFileSync(pkg, "utf8")) as { type?: unknown }).type : undefined;
  } catch {
    return null; // an unreadable package.json is Node's to report
  }
  // without a "type", Node loads a file with import/export as an ES module (syntax detection)
  if (type !== "commonjs") return null;
  return `${shown} would load as CommonJS (${relative(cwd, pkg!) || pkg} has "type": "commonjs"); gantry apps are ES modules: set "type": "module" in package.json (npm pkg set type=module), or name the file .mts`;
}

/** The problem with the app file of a command line that loads one (`gantry run app.ts`...), or null. */
export function commonJsProblemOf(argv: readonly string[]): string | null {
  const args = argv.slice(2);
  const command = args.find((a) => !a.startsWith("-"));
  if (!command || !LOADING_COMMANDS.has(command)) return null;
  const app = args.slice(args.indexOf(command) + 1).find((a) => !a.startsWith("-") && /\.[cm]?[jt]sx?$/.test(a) && existsSync(a));
  return app ? commonJsAppProblem(app) : null;
}
