#!/usr/bin/env node
// The `gantry` executable. gantry is written in TypeScript and runs user apps written in
// TypeScript, so the CLI registers tsx's loader first and then loads the real entry.
import { register } from "tsx/esm/api";

register();
const { main } = await import("./main.ts");
process.exitCode = await main(process.argv);
