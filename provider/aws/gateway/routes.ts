/**
 * What the Lambda gateway serves, written into its archive as `routes.json`. Static (it comes from
 * the spec), so the JSON Schemas of request bodies travel with the code rather than in environment
 * variables, whose total size Lambda caps at 4 KB. Paths follow the runtime's URL scheme
 * (runtime/web/routes.ts), so an endpoint has the same path on `gantry serve` and on AWS.
 */
import type { CallTarget } from "../../../sdk/invoker.ts";
import type { AppSpec, HTTP_METHODS } from "../../../synth/spec.ts";
import type { Unit } from "../units.ts";

export interface GatewayRoute {
  /** `/health`, `/EmbeddingService/embed` */
  path: string;
  method: (typeof HTTP_METHODS)[number];
  /** `health`, `EmbeddingService.embed`: how errors and logs name it */
  declaration: string;
  /** the unit whose queue gets the calls */
  unit: string;
  target: CallTarget;
  public: boolean;
  docs: boolean;
  /** JSON Schema of the body (the zod schema in code, as JSON Schema), or null */
  bodySchema: Record<string, unknown> | null;
  limits: { maxContainers: number | null; maxInputs: number; timeout: number; retries: number };
}

export interface GatewayConfig {
  app: string;
  routes: GatewayRoute[];
}

/** The gateway's routes: every `webEndpoint` of the app (base declarations; variants are called from code). */
export function gatewayConfig(spec: AppSpec, units: Unit[]): GatewayConfig {
  const routes: GatewayRoute[] = [];
  for (const unit of units) {
    for (const e of unit.endpoints) {
      routes.push({
        path: e.path,
        method: e.web.method,
        declaration: e.method ? `${unit.name}.${e.method}` : unit.name,
        unit: unit.id,
        target: e.method ? { app: spec.app.name, name: unit.name, method: e.method } : { app: spec.app.name, name: unit.name },
        public: e.web.public,
        docs: e.web.docs,
        bodySchema: e.web.bodySchema,
        limits: {
          maxContainers: unit.options.maxContainers,
          maxInputs: unit.concurrency.maxInputs,
          timeout: unit.options.timeout,
          retries: unit.options.retries.maxRetries,
        },
      });
    }
  }
  return { app: spec.app.name, routes: routes.sort((a, b) => (a.path < b.path ? -1 : 1)) };
}
