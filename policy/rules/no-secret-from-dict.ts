/**
 * No `Secret.fromDict` in production: its values live in the source tree and its history.
 * Applies to the stacks named by `productionStacks` (simple `*` patterns); `fromDotenv` can be
 * banned too with `kinds: [dict, dotenv]`.
 */
import { z } from "zod";
import type { Finding, GantryPolicy } from "../types.ts";

const Config = z.strictObject({
  productionStacks: z.array(z.string()).default(["prod", "production", "prd", "*-prod", "prod-*", "*-production"]),
  kinds: z.array(z.enum(["dict", "dotenv"])).default(["dict"]),
});
type Config = z.infer<typeof Config>;

export const noSecretFromDict: GantryPolicy<Config> = {
  name: "no-secret-from-dict",
  description: "Production stacks must not use Secret.fromDict (values written in code).",
  defaultLevel: "mandatory",
  config: Config,
  validate(ctx, config) {
    if (!config.productionStacks.some((p) => matches(p, ctx.stack))) return [];
    const kinds = new Set<string>(config.kinds);
    const findings: Finding[] = [];
    for (const secret of ctx.spec.secrets) {
      if (secret.kind === "named" || !kinds.has(secret.kind)) continue;
      const users = usersOf(ctx.spec, secret.id);
      const call = secret.kind === "dict" ? "Secret.fromDict" : "Secret.fromDotenv";
      findings.push({
        message: `${call} (keys ${secret.keys.join(", ") || "none"}) in production stack "${ctx.stack}"${users.length ? `, used by ${users.join(", ")}` : ""}; use Secret.fromName and set the value with \`gantry secret create --stack ${ctx.stack}\``,
        declaration: users[0] ?? null,
        source: secret.source,
      });
    }
    return findings;
  },
};

function usersOf(spec: Parameters<GantryPolicy["validate"]>[0]["spec"], id: string): string[] {
  return [...spec.functions, ...spec.classes].filter((d) => d.options.secrets.includes(id)).map((d) => d.name);
}

/** `*` matches any run of characters; everything else is literal. */
export function matches(pattern: string, name: string): boolean {
  const re = new RegExp(`^${pattern.split("*").map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);
  return re.test(name);
}
