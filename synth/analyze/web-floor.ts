/**
 * A `webApp` / `webServer` never scales to zero (its load balancer cannot hold a request while a
 * container starts, see `scalingOf` in synth/units.ts): one container always runs. Said at the
 * declaration, with what that floor costs a month on the cost model's default price table, unless
 * code already asks for `minContainers` of 1 or more.
 */
import type { Node } from "ts-morph";
import { defaultPrices } from "../../policy/prices.ts";
import { priceOfShape } from "../../policy/instances.ts";
import type { DeclarationOptions, WebSpec } from "../spec.ts";
import type { Context } from "./context.ts";

/** Hours in an average month, as the cost model counts them. */
const HOURS_PER_MONTH = 730;

export function warnAlwaysOn(ctx: Context, name: string, web: WebSpec, options: DeclarationOptions, node: Node): void {
  if (web.kind === "endpoint" || options.minContainers >= 1) return;
  const wrapper = web.kind === "app" ? "webApp" : "webServer";
  ctx.report("GANTRY1605", node, `${name} is a ${wrapper}, which never scales to zero: one container always runs${floorCost(options)}; ` +
    "write minContainers: 1 to say so, or serve it with webEndpoint functions, which scale to zero");
}

/** " (A10G on g5.xlarge: $1.01/hour, about $734/month)", or "" where the table has no price. */
function floorCost(options: DeclarationOptions): string {
  const gpu = options.gpu;
  if (!gpu) return "";
  const fit = priceOfShape(defaultPrices(), { type: gpu.type, count: gpu.count }, options.spot);
  if (!fit) return "";
  const perTask = fit.hourly / Math.max(1, fit.tasksPerInstance);
  const shape = gpu.count > 1 ? `${gpu.type}:${gpu.count}` : gpu.type;
  return ` (${shape} on ${fit.instanceType}: $${perTask.toFixed(2)}/hour, about $${Math.round(perTask * HOURS_PER_MONTH)}/month on the default price table)`;
}
