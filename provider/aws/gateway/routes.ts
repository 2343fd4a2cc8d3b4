/**
 * What the Lambda gateway serves: the spec's endpoint routes (runtime/web's route model) of the
 * units given. The gateway's code and its routing table format live in runtime/aws/gateway/; the
 * provider bundles the one and writes the other (web.ts) with the queue URLs it creates.
 */
import type { AppSpec } from "../../../synth/spec.ts";
import { gatewayRoutes, type GatewayRoutes } from "../../../runtime/aws/gateway/table.ts";
import type { Unit } from "../units.ts";

export type GatewayConfig = GatewayRoutes;

export function gatewayConfig(spec: AppSpec, units: Unit[]): GatewayConfig {
  const served = new Set(units.map((u) => u.id));
  const all = gatewayRoutes(spec);
  return { ...all, routes: all.routes.filter((r) => served.has(r.unit)) };
}
