#!/usr/bin/env node
// The `gantry` executable. Installed, gantry is JavaScript (dist/); users' apps may be TypeScript,
// so tsx's loader is registered for them. In gantry's own checkout (cli/main.ts beside this file)
// the CLI runs from the sources, through the same loader.
import { existsSync } from "node:fs";
import { register } from "tsx/esm/api";

// `gantry spec app.ts | head` closes the pipe early: that is not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err) => {
    if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw err;
  });
}

const SOURCE_CONDITION_HOOK =
  'export const resolve = (specifier, context, next) => next(specifier, { ...context, conditions: [...context.conditions, "gantry-source"] });';
const sources = new URL("./main.ts", import.meta.url);
const fromSources = existsSync(sources);
if (fromSources) {
  // `import "gantry"` in the examples means these sources (package.json: the "gantry-source"
  // export condition), here and in every process started from here (containers, front doors)
  // (the tests start Node with it already: then nothing to add)
  if (!import.meta.resolve("gantry").endsWith(".ts")) {
    process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ""} --conditions=gantry-source`.trim();
    const { register: registerHooks } = await import("node:module");
    registerHooks(`data:text/javascript,${encodeURIComponent(SOURCE_CONDITION_HOOK)}`);
  }
}
register();
const { main } = await import(fromSources ? sources.href : "../dist/cli/main.js");
process.exitCode = await main(process.argv);
