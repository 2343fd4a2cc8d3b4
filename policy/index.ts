/**
 * The Pulumi policy pack: `pulumi preview --policy-pack policy` runs gantry's policies inside the
 * engine (`--policy-pack-config F` takes the same map as `gantry check --policy-config F`).
 * A thin list: the policies themselves are the pure functions under policy/rules/.
 */
import { PolicyPack } from "@pulumi/policy";
import { packPolicies } from "./pack.ts";

new PolicyPack("gantry", {
  description: "gantry: GPU spend and security policies for apps deployed with gantry",
  policies: packPolicies(),
});
