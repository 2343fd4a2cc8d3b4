/** `gantry start <app.ts> --stack NAME`: undoes `gantry stop` (cli/commands/stop.ts). */
import type { Command } from "commander";
import { registerVerb } from "./stop.ts";

export function register(program: Command): void {
  registerVerb(program, "start");
}
