/**
 * The secret values `gantry serve`'s containers can see, for masking (runtime/secret-mask.ts):
 * every secret of the spec as the local runtime resolves it (the local store, `.env` files, the
 * `fromDict` values of the analysis). Read again each time, so a secret created or changed while
 * the server runs is masked too; one that cannot be resolved is skipped (its calls fail anyway).
 */
import { dirname } from "node:path";
import { findProjectRoot } from "../../synth/analyze/analyze.ts";
import type { AppSpec } from "../../synth/spec.ts";
import { gantryHome, resolveSecretEnv } from "../local/secrets.ts";
import { SecretMask } from "../secret-mask.ts";

export interface SecretSources {
  spec: AppSpec;
  appFile: string;
  /** `Secret.fromDict` values by secret id, from the static analysis */
  secretValues: Record<string, Record<string, string>>;
  /** the local store's home (default `$GANTRY_HOME`, else `~/.gantry`) */
  home?: string;
}

export function appSecretMask(sources: SecretSources): SecretMask {
  const mask = new SecretMask();
  const ctx = {
    spec: sources.spec, projectRoot: findProjectRoot(dirname(sources.appFile)), secretValues: sources.secretValues, home: sources.home ?? gantryHome(),
  };
  for (const secret of sources.spec.secrets) {
    try {
      mask.add(Object.values(resolveSecretEnv([secret.id], "gantry serve", ctx)));
    } catch {
      // missing or incomplete: no container gets its values
    }
  }
  return mask;
}
