/**
 * The artifact a stack was promoted with (`gantry:artifact` in `Pulumi.<stack>.yaml`, written by
 * `gantry promote`), as every target's program applies it: checked against the app's spec hash
 * (the same hash `gantry promote` compares: the analysed spec BEFORE the stack's overrides), then
 * its image digests replace the image builds. Read by the Pulumi program (provider/run.ts), the
 * offline plan, and `gantry deploy`'s check before it starts Pulumi; written by policy/promote.
 */
import { z } from "zod";
import { specHash } from "../synth/hash.ts";
import type { AppSpec } from "../synth/spec.ts";
import { ConfigError } from "./errors.ts";
import { readStackConfig } from "./plan/stack-config.ts";

export const ARTIFACT_KEY = "gantry:artifact";

export const DIGEST_REF = /^[^\s@]+@sha256:[0-9a-f]{64}$/;

/** The frozen artifact of a stack: also the value of `gantry:artifact` in a stack file. */
export const Artifact = z.object({
  /** the stack whose deployment this is (the first one in a promotion chain) */
  fromStack: z.string(),
  app: z.string(),
  specHash: z.string(),
  /** `sha256:<hex>` of the plan's canonical JSON */
  planHash: z.string(),
  /** image id (AppSpec.images[].id) -> `repository@sha256:<digest>` */
  images: z.record(z.string(), z.string().regex(DIGEST_REF, "an image digest reference (repository@sha256:<64 hex>)")),
  /**
   * The source stack's Pulumi update number for this deployment (`pulumi up`'s summary version):
   * it only grows on one stack, so it orders the artifacts of one source (policy/promote/order.ts).
   */
  sequence: z.number().int().positive().optional(),
  /** the commit the source stack was deployed from, when known (shown, not compared) */
  commit: z.string().regex(/^[0-9a-f]{7,64}$/, "a git commit id (hex)").optional(),
});
export type Artifact = z.infer<typeof Artifact>;

/** The app is not what the artifact froze: the stack would not deploy what its source ran. */
export class ArtifactMismatch extends ConfigError {}

/**
 * The artifact from its raw config value (a JSON string, as Pulumi hands structured config to a
 * program), or null when the stack has none. Throws ConfigError with each problem's key path.
 */
export function parseArtifactConfig(raw: string | undefined, file: string): Artifact | null {
  if (raw === undefined || raw === "") return null;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new ConfigError([`${file}: ${ARTIFACT_KEY}: expected a map { fromStack, app, specHash, planHash, images } (written by gantry promote)`]);
  }
  const parsed = Artifact.safeParse(value);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${file}: ${ARTIFACT_KEY}${i.path.map((p) => `.${String(p)}`).join("")}: ${i.message}`));
  }
  return parsed.data;
}

/** What to run to refresh the artifact. */
export function promoteAgain(artifact: Artifact, stack: string): string {
  return `gantry promote --from ${artifact.fromStack} --to ${stack}`;
}

/** Refuses (ArtifactMismatch) when the app's spec hash is not the artifact's. */
export function checkArtifactSpec(artifact: Artifact, specHash: string, stack: string, file: string): void {
  if (specHash === artifact.specHash) return;
  throw new ArtifactMismatch([
    `${file}: ${ARTIFACT_KEY}: the app is not the one promoted from stack "${artifact.fromStack}": ` +
      `the artifact pins spec ${artifact.specHash}, the app's spec is now ${specHash}. ` +
      `Stack "${stack}" deploys only what "${artifact.fromStack}" ran: deploy the change to "${artifact.fromStack}" first, ` +
      `then promote again (${promoteAgain(artifact, stack)}), or remove ${ARTIFACT_KEY} to build this stack's own images.`,
  ]);
}

/**
 * The check the program makes, run before Pulumi starts (gantry deploy/preview): the artifact in
 * the project's `Pulumi.<stack>.yaml`, if any, against the analysed spec. Throws ConfigError.
 */
export function checkStackArtifact(projectRoot: string, stack: string, spec: AppSpec): Artifact | null {
  const file = `Pulumi.${stack}.yaml`;
  const artifact = parseArtifactConfig(readStackConfig(projectRoot, stack).values[ARTIFACT_KEY], file);
  if (artifact) checkArtifactSpec(artifact, specHash(spec), stack, file);
  return artifact;
}
