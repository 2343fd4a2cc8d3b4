// The program `Pulumi.yaml` points at. Pulumi calls the default export and exports what it
// returns as stack outputs; the module must have no other export.
import { runGantryProgram } from "./run.ts";

export default () => runGantryProgram();
