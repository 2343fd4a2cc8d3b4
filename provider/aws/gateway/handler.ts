/**
 * The Lambda gateway in front of an app's web endpoints (API Gateway HTTP API, payload format
 * 2.0). It is the runtime's own front door (runtime/web: bearer auth, zod validation with 422,
 * 413/429 limits, OpenAPI docs, 303 to a result URL past the synchronous window) with the AWS
 * invoker behind it: a call is a message on the declaration's queue, its result an item in the
 * results table (wire format: runtime/aws/wire.ts).
 *
 * The zod schemas come from `routes.json` as JSON Schema and are rebuilt with `z.fromJSONSchema`:
 * the gateway never imports user code, so a model library in the app cannot break it.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { readFileSync } from "node:fs";
import { z } from "zod";
import { createClients } from "../../../runtime/aws/clients.ts";
import { callerConfigFromEnv } from "../../../runtime/aws/config.ts";
import { AwsInvoker } from "../../../runtime/aws/invoker.ts";
import { secretsManagerReader } from "../../../runtime/aws/secrets.ts";
import {
  backendFromInvoker, createWebHandlerForRoutes, lambdaHandler, LAMBDA_SYNC_WINDOW_MS,
  type EndpointRoute, type WebBackend, type WebHandler,
} from "../../../runtime/web/index.ts";
import type { GatewayConfig } from "./routes.ts";

/** The front door's routes, rebuilt from routes.json. */
export function endpointRoutes(config: GatewayConfig): EndpointRoute[] {
  return config.routes.map((r) => ({
    kind: "endpoint",
    path: r.path,
    declaration: r.declaration,
    target: r.target,
    public: r.public,
    limits: r.limits,
    method: r.method,
    body: r.bodySchema ? z.fromJSONSchema(r.bodySchema as Parameters<typeof z.fromJSONSchema>[0]) : null,
    docs: r.docs,
  }));
}

export interface GatewayOptions {
  backend: WebBackend;
  /** null: no token configured, every private endpoint answers 401 */
  token: string | null;
  /** shared by every instance of the gateway, so any of them honours a result URL */
  signingKey: string;
  syncWindowMs?: number;
}

export function createGateway(config: GatewayConfig, options: GatewayOptions): WebHandler {
  return createWebHandlerForRoutes(config.app, endpointRoutes(config), {
    backend: options.backend,
    tokens: options.token ? [options.token] : [],
    signingKey: options.signingKey,
    syncWindowMs: options.syncWindowMs ?? LAMBDA_SYNC_WINDOW_MS,
  });
}

const noForward: WebBackend["forward"] = async () => {
  throw new Error("the Lambda gateway serves webEndpoint routes only; webApp and webServer are behind the load balancer");
};

/** The token from Secrets Manager; the result-URL key is derived from it (or from the table name without one). */
async function liveGateway(): Promise<(event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>> {
  const config = JSON.parse(readFileSync(new URL("./routes.json", import.meta.url), "utf8")) as GatewayConfig;
  const caller = callerConfigFromEnv();
  const arn = process.env.GANTRY_TOKEN_SECRET_ARN;
  const token = arn ? ((await (await secretsManagerReader()).read(arn).catch(() => undefined)) ?? null) : null;
  const invoker = new AwsInvoker({ config: caller, clients: createClients(), source: "web" });
  const gateway = createGateway(config, {
    backend: backendFromInvoker(invoker, noForward),
    token,
    signingKey: `gantry-results:${token ?? caller.resultsTable}`,
  });
  return lambdaHandler(gateway);
}

let live: Promise<(event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>> | null = null;
export const handler = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
  live ??= liveGateway();
  return (await live)(event);
};
