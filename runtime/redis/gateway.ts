/**
 * The web gateway of an app on Kubernetes: provider/kubernetes/web.ts runs the first endpoint
 * unit's image with the argument `gateway` (the container entry hands over to this), a routing
 * table (runtime/aws/gateway/table.ts, each unit's work stream as its "queue") mounted at
 * `GANTRY_GATEWAY_ROUTES`, and the gateway's Redis user. It is the runtime's own front door
 * (runtime/web: bearer auth, validation with 422, 413/429, OpenAPI docs, 303 to a result URL past
 * the synchronous window) with the Redis invoker behind it, served with `/livez` and `/readyz` on
 * `GANTRY_HTTP_PORT`; SIGTERM drains the requests in flight. It never imports user code.
 */
import { readFileSync } from "node:fs";
import { ContainerContractError } from "../contract.ts";
import { backendFromInvoker, createWebHandlerForRoutes, DEFAULT_SYNC_WINDOW_MS, listen, type Listening } from "../web/index.ts";
import { parseGatewayTable } from "../aws/gateway/table.ts";
import { callerConfigFromEnv } from "./config.ts";
import { RedisInvoker } from "./invoker.ts";

export interface RedisGateway {
  listening: Listening;
  close(): Promise<void>;
}

export async function startRedisGateway(env: NodeJS.ProcessEnv = process.env): Promise<RedisGateway> {
  const routesFile = env.GANTRY_GATEWAY_ROUTES;
  const port = Number(env.GANTRY_HTTP_PORT ?? "");
  const problems = [
    ...(routesFile ? [] : ["GANTRY_GATEWAY_ROUTES: missing (the routing table's path)"]),
    ...(Number.isInteger(port) && port >= 0 ? [] : [`GANTRY_HTTP_PORT=${JSON.stringify(env.GANTRY_HTTP_PORT)}: not a port`]),
  ];
  if (problems.length) throw new ContainerContractError(problems, "the gateway's environment is incomplete");
  const table = parseGatewayTable(readFileSync(routesFile!, "utf8"));
  const caller = callerConfigFromEnv(env);
  const invoker = new RedisInvoker({ config: caller, source: "web" });
  const token = env.GANTRY_WEB_TOKEN || null;
  const handler = createWebHandlerForRoutes(table.app, table.routes, {
    backend: backendFromInvoker(invoker, async () => {
      throw new Error("the gateway serves webEndpoint routes only; webApp and webServer units have their own Service and route");
    }),
    tokens: token ? [token] : [],
    // shared by every replica, so any of them honours a result URL another signed
    signingKey: `gantry-results:${token ?? caller.namespace}`,
    syncWindowMs: DEFAULT_SYNC_WINDOW_MS,
  });
  const listening = await listen(handler, { host: "0.0.0.0", port });
  return {
    listening,
    async close() {
      await listening.close();
      await invoker.close();
    },
  };
}

/** The container's `gateway` command: serves until SIGTERM/SIGINT, then drains and exits 0. */
export async function serveRedisGateway(): Promise<never> {
  let gateway: RedisGateway;
  try {
    gateway = await startRedisGateway();
  } catch (err) {
    process.stderr.write(`${JSON.stringify({ level: 60, time: new Date().toISOString(), msg: "the gateway cannot start", error: (err as Error).message })}\n`);
    process.exit(1);
  }
  process.stderr.write(`${JSON.stringify({ level: 30, time: new Date().toISOString(), msg: "ready: serving web requests", port: gateway.listening.port })}\n`);
  await new Promise<void>((resolve) => {
    process.once("SIGTERM", resolve);
    process.once("SIGINT", resolve);
  });
  await gateway.close();
  process.exit(0);
}
