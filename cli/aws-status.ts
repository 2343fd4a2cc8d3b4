import { UsageError } from "./main.ts";
import type { StatusFlags } from "./commands/status.ts";
import type { OpsDeps } from "./ops-target.ts";

export async function awsStatus(_app: string, _flags: StatusFlags & { stack: string }, _deps: OpsDeps): Promise<void> {
  throw new UsageError("gantry status --stack is not available in this build yet");
}
