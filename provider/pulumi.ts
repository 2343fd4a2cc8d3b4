/**
 * `gantry/pulumi`: the gantry program for a Pulumi project in your own repository.
 *
 *   // index.ts, next to your Pulumi.yaml
 *   import { gantryProgram } from "gantry/pulumi";
 *   export default gantryProgram();            // app file from `pulumi config set gantry:app ...`
 */
import { runGantryProgram, type ProgramOptions } from "./run.ts";

export function gantryProgram(options: Pick<ProgramOptions, "app" | "projectRoot"> = {}): () => Promise<Record<string, unknown>> {
  return () => runGantryProgram(options);
}
