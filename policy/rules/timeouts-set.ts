/**
 * Timeouts are set on purpose: a pool still on the default timeout (300 s) is flagged, a bound can
 * be set per stack, and in a plan each work queue's visibility timeout must exceed the function
 * timeout (or an input in progress is handed to a second container).
 * The spec records which options were written (`written`), so an explicit `timeout: 300` counts as
 * set; a spec without that record falls back to comparing with the default.
 */
import { z } from "zod";
import { DEFAULTS } from "../../synth/spec.ts";
import type { AppSpec } from "../../synth/spec.ts";
import { poolsOf, type Pool } from "../pools.ts";
import type { Finding, GantryPolicy } from "../types.ts";

const Config = z.strictObject({
  /** flag pools left on the default timeout */
  requireExplicit: z.boolean().default(true),
  /** the longest timeout (seconds) allowed in this stack; unset: up to 86400 */
  maxSeconds: z.number().int().min(1).max(86400).optional(),
  /** only GPU pools */
  gpuOnly: z.boolean().default(false),
});
type Config = z.infer<typeof Config>;

export const timeoutsSet: GantryPolicy<Config> = {
  name: "timeouts-set",
  description: "Timeouts are explicit, within the stack's bound, and below each queue's visibility timeout.",
  defaultLevel: "advisory",
  config: Config,
  validate(ctx, config) {
    const findings: Finding[] = [];
    const pools = poolsOf(ctx.spec).filter((p) => !config.gpuOnly || p.options.gpu);
    for (const pool of pools) {
      const t = pool.options.timeout;
      // a variant inherits its class's timeout: report the class only
      if (config.requireExplicit && pool.kind !== "variant" && !timeoutWritten(ctx.spec, pool)) {
        findings.push({ message: `${pool.id} has no timeout (the default ${DEFAULTS.timeout} s applies); set timeout`, declaration: pool.id, source: pool.source });
      }
      if (config.maxSeconds !== undefined && t > config.maxSeconds) {
        findings.push({ message: `${pool.id} has timeout ${t} s; stack "${ctx.stack}" allows at most ${config.maxSeconds} s`, declaration: pool.id, source: pool.source });
      }
    }
    const byId = new Map(pools.map((p) => [p.id, p]));
    for (const r of ctx.resources) {
      if (r.type !== "aws:sqs/queue:Queue" || !r.declaration || r.inputs.redrivePolicy === undefined) continue;
      const pool = byId.get(r.declaration);
      const vis = r.inputs.visibilityTimeoutSeconds;
      if (!pool || typeof vis !== "number" || vis > pool.options.timeout) continue;
      findings.push({
        message: `queue ${r.name} of ${pool.id} has visibility timeout ${vis} s, not above the function timeout ${pool.options.timeout} s: a running input would be delivered twice`,
        declaration: pool.id,
        source: r.source ?? pool.source,
        urn: r.urn,
      });
    }
    return findings;
  },
};

/** Whether code wrote `timeout` for the pool's declaration (without a `written` record: not the default). */
function timeoutWritten(spec: AppSpec, pool: Pool): boolean {
  const declaration = pool.kind === "function"
    ? spec.functions.find((f) => f.name === pool.declaration)
    : spec.classes.find((c) => c.name === pool.declaration);
  const written = declaration?.written;
  return written ? written.includes("timeout") : pool.options.timeout !== DEFAULTS.timeout;
}
