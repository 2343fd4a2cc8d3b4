#!/usr/bin/env node
// The `gantry` executable. gantry is written in TypeScript and runs user apps written in
// TypeScript, so the CLI registers tsx's loader first and then loads the real entry.
import { register } from "tsx/esm/api";

// `gantry spec app.ts | head` closes the pipe early: that is not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err) => {
    if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw err;
  });
}

register();
const { main } = await import("./main.ts");
process.exitCode = await main(process.argv);
