/**
 * The Lambda gateway's routing table: what it serves (the spec's endpoint routes, runtime/web's
 * route model) and where each unit's calls go (its queue URL). The provider writes it into the
 * gateway's code archive as `routes.json`, next to the bundled handler, not into the function's
 * environment: Lambda caps the environment at 4 KB in total, which a queue URL per unit (~90
 * bytes each) filled at about 40 endpoints. The archive has no such bound.
 */
import { readFileSync } from "node:fs";
import type { AppSpec } from "../../../synth/spec.ts";
import { routesOfSpec, type EndpointRoute } from "../../web/routes.ts";
import type { WakeTarget } from "../waker.ts";

/** The file name in the gateway's archive, next to `index.mjs`. */
export const GATEWAY_TABLE_FILE = "routes.json";

export interface GatewayRoutes {
  app: string;
  /** sorted by path */
  routes: EndpointRoute[];
}

export interface GatewayTable extends GatewayRoutes {
  /** unit id -> its queue URL; every route's `unit` has one */
  queues: Record<string, string>;
  /** unit id -> how the gateway wakes it from zero (runtime/aws/waker.ts); units never at zero are absent */
  wake?: Record<string, WakeTarget>;
}

export class GatewayTableError extends Error {
  override name = "GatewayTableError";
}

/** Every `webEndpoint` of the app (base declarations: variants are called from code, not over HTTP). */
export function gatewayRoutes(spec: AppSpec): GatewayRoutes {
  const routes = routesOfSpec(spec).filter((r): r is EndpointRoute => r.kind === "endpoint");
  return { app: spec.app.name, routes: routes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)) };
}

/** The table as the provider writes it: deterministic JSON (same spec and URLs, same bytes). */
export function gatewayTableJson(routes: GatewayRoutes, queues: Record<string, string>, wake: Record<string, WakeTarget> = {}): string {
  const sorted = <T>(r: Record<string, T>) => Object.fromEntries(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : 1)));
  return `${JSON.stringify(checkTable({ ...routes, queues: sorted(queues), wake: sorted(wake) }), null, 2)}\n`;
}

export function parseGatewayTable(text: string): GatewayTable {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new GatewayTableError(`the gateway's ${GATEWAY_TABLE_FILE} is not JSON: ${(e as Error).message}`);
  }
  const t = value as Partial<GatewayTable> | null;
  if (!t || typeof t.app !== "string" || !Array.isArray(t.routes) || !t.queues || typeof t.queues !== "object") {
    throw new GatewayTableError(`the gateway's ${GATEWAY_TABLE_FILE} is not a routing table ({ app, routes, queues })`);
  }
  return checkTable(t as GatewayTable);
}

/** Reads the table shipped next to the bundled handler (`dir`: the handler's own URL). */
export function readGatewayTable(dir: URL): GatewayTable {
  return parseGatewayTable(readFileSync(new URL(`./${GATEWAY_TABLE_FILE}`, dir), "utf8"));
}

/** A route whose unit has no queue would fail every call: refuse the table instead. */
function checkTable(table: GatewayTable): GatewayTable {
  const missing = [...new Set(table.routes.map((r) => r.unit))].filter((u) => !Object.hasOwn(table.queues, u));
  if (missing.length) throw new GatewayTableError(`the gateway's routing table has no queue for ${missing.join(", ")}`);
  return table;
}
