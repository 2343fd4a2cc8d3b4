/**
 * Web endpoints, apps and servers stay private (bearer token) unless the stack allows them by name.
 * A webApp/webServer with `auth: "app"` checks its own callers, so it is not public.
 */
import { z } from "zod";
import { webEntriesOf } from "../pools.ts";
import type { Finding, GantryPolicy } from "../types.ts";

const Config = z.strictObject({
  /** declarations (`health`) or class endpoints (`EmbeddingService.embed`) allowed to be public */
  allowPublic: z.array(z.string()).default([]),
});
type Config = z.infer<typeof Config>;

export const endpointsPrivate: GantryPolicy<Config> = {
  name: "endpoints-private",
  description: "Endpoints must be private unless allowed by name in the stack's config.",
  defaultLevel: "advisory",
  config: Config,
  validate(ctx, config) {
    const allowed = new Set(config.allowPublic);
    const findings: Finding[] = [];
    for (const entry of webEntriesOf(ctx.spec)) {
      if (!entry.web.public || (entry.web.kind !== "endpoint" && entry.web.auth === "app") || allowed.has(entry.label) || allowed.has(entry.declaration)) continue;
      const kind = entry.web.kind === "endpoint" ? "endpoint" : entry.web.kind === "app" ? "web app" : "web server";
      findings.push({
        message: `${entry.label} is a public ${kind} (no bearer token); make it private or add "${entry.label}" to allowPublic for stack "${ctx.stack}"`,
        declaration: entry.declaration,
        source: entry.web.source,
      });
    }
    return findings;
  },
};
