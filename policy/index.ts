/**
 * The Pulumi policy pack (`gantry/policy-pack`; the pack folder's entry, pulumi-pack.cjs, loads
 * it): `pulumi preview --policy-pack policy` runs gantry's policies inside the engine, with the
 * settings `gantry check --stack S` uses: the stack's `gantry:policy` (from the stack config
 * Pulumi passes the pack; inline `gantry:prices` / `gantry:usage` too) and `--policy-pack-config F`
 * with the same map as
 * `gantry check --policy-config F`. A thin list: the policies are the pure functions under
 * policy/rules/.
 */
import { PolicyPack } from "@pulumi/policy";
import { asPolicyMap } from "./config.ts";
import { packPolicies } from "./pack.ts";
import { POLICIES } from "./run.ts";
import { inlineCostSettings, stackConfigFromEnv } from "./stack-config.ts";

const stack = process.env.PULUMI_NODEJS_STACK;
const ofStack = stack ? ` of stack "${stack}"` : "";
const config = stackConfigFromEnv();
const cost = inlineCostSettings(config, `stack config${ofStack}`);
for (const key of cost.skipped) {
  process.stderr.write(`gantry policy pack: ${key}${ofStack} names a file, which the pack cannot locate (it is relative to the stack file); default values apply here, gantry check reads it\n`);
}

new PolicyPack("gantry", {
  description: "gantry: GPU spend and security policies for apps deployed with gantry",
  policies: packPolicies(POLICIES, asPolicyMap(config["gantry:policy"], `gantry:policy${ofStack}`), `gantry:policy${ofStack}`, cost.options),
});
