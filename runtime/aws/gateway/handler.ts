/**
 * The Lambda gateway in front of an app's web endpoints (API Gateway HTTP API, payload format
 * 2.0). It is the runtime's own front door (runtime/web: bearer auth, validation with 422, 413/429
 * limits, OpenAPI docs, 303 to a result URL past the synchronous window) with the AWS invoker
 * behind it: a call is a message on its unit's queue, its result an item in the results table
 * (wire format: runtime/aws/wire.ts). The provider bundles this file (provider/aws/bundle.ts) and
 * ships the routing table next to it (table.ts).
 *
 * Bodies are validated from the routes' JSON Schemas, as under `gantry serve` (runtime/web/schema.ts):
 * the gateway never imports user code, so a model library in the app cannot break it.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { secretsManagerReader } from "../secrets.ts";
import {
  backendFromInvoker, createWebHandlerForRoutes, lambdaHandler, LAMBDA_SYNC_WINDOW_MS,
  type WebBackend, type WebHandler,
} from "../../web/index.ts";
import { WEB_CALLER } from "../call-keys.ts";
import { createClients, type AwsClients } from "../clients.ts";
import { callerConfigFromEnv, type AwsCallerConfig } from "../config.ts";
import { AwsInvoker, wakerFor } from "../invoker.ts";
import { readGatewayTable, type GatewayRoutes, type GatewayTable } from "./table.ts";

export interface GatewayOptions {
  backend: WebBackend;
  /** null: no token configured, every private endpoint answers 401 */
  token: string | null;
  /** shared by every instance of the gateway, so any of them honours a result URL */
  signingKey: string;
  syncWindowMs?: number;
}

export function createGateway(table: GatewayRoutes, options: GatewayOptions): WebHandler {
  return createWebHandlerForRoutes(table.app, table.routes, {
    backend: options.backend,
    tokens: options.token ? [options.token] : [],
    signingKey: options.signingKey,
    syncWindowMs: options.syncWindowMs ?? LAMBDA_SYNC_WINDOW_MS,
  });
}

const noForward: WebBackend["forward"] = async () => {
  throw new Error("the Lambda gateway serves webEndpoint routes only; webApp and webServer are behind the load balancer");
};

/** Calls go to the queues of the routing table (the environment has no `GANTRY_QUEUES`). */
export function gatewayBackend(table: GatewayTable, caller: AwsCallerConfig, clients: AwsClients): WebBackend {
  // a web call wakes a unit at zero at once, with the table's wake targets
  const invoker = new AwsInvoker({ config: { ...caller, queues: table.queues, caller: WEB_CALLER }, clients, source: "web", waker: wakerFor(table.wake ?? {}, clients) });
  return backendFromInvoker(invoker, noForward);
}

/** The token from Secrets Manager; the result-URL key is derived from it (or from the table name without one). */
async function liveGateway(): Promise<(event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>> {
  const table = readGatewayTable(new URL(".", import.meta.url));
  const caller = callerConfigFromEnv();
  const arn = process.env.GANTRY_TOKEN_SECRET_ARN;
  const token = arn ? ((await (await secretsManagerReader()).read(arn).catch(() => undefined)) ?? null) : null;
  const gateway = createGateway(table, {
    backend: gatewayBackend(table, caller, createClients()),
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
