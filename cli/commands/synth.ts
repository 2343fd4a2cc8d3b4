import type { Command } from "commander";

/** Placeholder until the `synth` command lands; owned by the work on its issue. */
export function register(_program: Command): void {}
