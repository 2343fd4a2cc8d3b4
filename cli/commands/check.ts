import type { Command } from "commander";

/** Placeholder until the `check` command lands; owned by the work on its issue. */
export function register(_program: Command): void {}
