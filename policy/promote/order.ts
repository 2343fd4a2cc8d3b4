/**
 * Promotion order: a stack never moves back to an older artifact unless asked to.
 *
 * Two merges give two staging deployments, each followed by a promotion job that waits for a
 * reviewer; approving them in the wrong order would promote the older artifact over the newer.
 * Each artifact carries its source stack's Pulumi update number (`sequence`, which only grows on
 * one stack), and a promoted stack exports the artifact it runs as the stack output `artifact`:
 * that output, kept in the Pulumi backend with the stack's state, is the target's record. It
 * survives a moved or protected main, unlike a commit of `Pulumi.<stack>.yaml` after the deploy.
 *
 * `gantry promote --target-outputs` checks before writing the stack file and `gantry deploy`
 * checks right before `pulumi up` (reading the stack's outputs itself); a deliberate rollback
 * passes `--allow-older`.
 */
import { z } from "zod";

/** What a promoted stack exports as its `artifact` output (provider/aws/index.ts). */
export const RecordedArtifact = z.object({
  fromStack: z.string(),
  specHash: z.string(),
  planHash: z.string(),
  sequence: z.number().int().positive().optional(),
  commit: z.string().optional(),
});
export type RecordedArtifact = z.infer<typeof RecordedArtifact>;

/** The artifact being promoted (provider/artifact.ts's Artifact, the fields compared here). */
export interface IncomingArtifact {
  fromStack: string;
  planHash: string;
  sequence?: number;
  commit?: string;
}

export type OrderVerdict =
  | { ok: true; reason: "first" | "same" | "newer" | "allowed-older"; message: string }
  | { ok: false; message: string };

/** The target stack's outputs do not hold a readable record. */
export class RecordUnreadable extends Error {}

const ALLOW = "pass --allow-older to deploy it anyway (a deliberate rollback)";

function describe(a: { fromStack: string; sequence?: number; commit?: string; planHash: string }): string {
  const seq = a.sequence === undefined ? "no sequence" : `deployment #${a.sequence} of "${a.fromStack}"`;
  return `${seq}${a.commit ? `, commit ${a.commit.slice(0, 12)}` : ""}, plan ${a.planHash.slice(0, 19)}…`;
}

/**
 * Whether `incoming` may replace what `target` runs (`recorded`, null when the stack has never
 * run a promoted artifact). Never throws: the verdict says why.
 */
export function checkPromotionOrder(incoming: IncomingArtifact, recorded: RecordedArtifact | null, target: string, allowOlder = false): OrderVerdict {
  if (!recorded) return { ok: true, reason: "first", message: `stack "${target}" runs no promoted artifact yet` };
  const same = recorded.planHash === incoming.planHash && recorded.fromStack === incoming.fromStack && recorded.sequence === incoming.sequence;
  if (same) return { ok: true, reason: "same", message: `stack "${target}" already runs this artifact (${describe(incoming)})` };
  const refuse = (why: string): OrderVerdict => allowOlder
    ? { ok: true, reason: "allowed-older", message: `--allow-older: ${why}` }
    : { ok: false, message: `${why}; ${ALLOW}` };
  const against = `stack "${target}" runs ${describe(recorded)}, the artifact is ${describe(incoming)}`;
  if (recorded.fromStack !== incoming.fromStack) {
    return refuse(`cannot order artifacts of different source stacks: ${against}`);
  }
  if (incoming.sequence === undefined || recorded.sequence === undefined) {
    return refuse(`cannot tell which artifact is newer (${incoming.sequence === undefined ? "the artifact" : `what "${target}" runs`} has no deployment sequence; gantry deploy records it): ${against}`);
  }
  if (incoming.sequence < recorded.sequence) return refuse(`refusing to promote an older artifact over a newer one: ${against}`);
  if (incoming.sequence === recorded.sequence) {
    return refuse(`the records disagree: the same deployment #${incoming.sequence} of "${incoming.fromStack}" with two plans: ${against}`);
  }
  return { ok: true, reason: "newer", message: `newer than what "${target}" runs (#${recorded.sequence} -> #${incoming.sequence})` };
}

/**
 * The target's record from its stack outputs: a map of output name to value, as
 * `pulumi stack output --json` prints it or to `{ value, secret }` as the Automation API returns
 * it. A stack without an `artifact` output runs no promoted artifact (null).
 */
export function recordedArtifactOf(outputs: unknown, where: string): RecordedArtifact | null {
  if (!outputs || typeof outputs !== "object" || Array.isArray(outputs)) throw new RecordUnreadable(`${where}: expected the stack's outputs as a JSON object`);
  let value = (outputs as Record<string, unknown>).artifact;
  if (value === undefined || value === null) return null;
  if (typeof value === "object" && "value" in (value as object) && "secret" in (value as object)) value = (value as { value: unknown }).value;
  const parsed = RecordedArtifact.safeParse(value);
  if (!parsed.success) {
    throw new RecordUnreadable(`${where}: the output "artifact" is not a gantry promotion record (${parsed.error.issues.map((i) => `${i.path.join(".") || "artifact"}: ${i.message}`).join("; ")})`);
  }
  return parsed.data;
}
