/**
 * A `webApp` / `webServer` unit behind the load balancer: the container serves the web front door
 * for its own mount (bearer auth unless public, prefix stripped, limits) on `GANTRY_HTTP_PORT`,
 * and hands each request to the app in this process (containerWebHandler). `/livez` and `/readyz`
 * are served on the same port. Starting the app (factory, or `start()` and the port wait) is the
 * container's setup: a failure there is a setup failure.
 */
import type { App } from "../../sdk/app.ts";
import { containerWebHandler } from "../web/container.ts";
import { createWebHandlerForRoutes } from "../web/handler.ts";
import { listen, type Listening } from "../web/node.ts";
import { webRoutes } from "../web/routes.ts";
import type { Logger } from "./log.ts";

export interface WebUnit {
  listening: Listening;
  close(graceMs: number): Promise<void>;
}

export async function serveWebUnit(app: App, name: string, options: { port: number; tokens: string[]; log: Logger; ready: () => boolean }): Promise<WebUnit> {
  const fn = app.findFunction(name);
  if (!fn?.web || fn.web.kind === "endpoint") throw new Error(`${name} is not a webApp/webServer function of app "${app.name}"`);
  const served = containerWebHandler(fn.web);
  await served.start();
  const routes = webRoutes(app).filter((r) => r.kind !== "endpoint" && r.target.name === name);
  const front = createWebHandlerForRoutes(app.name, routes, {
    tokens: options.tokens,
    logger: options.log,
    backend: {
      spawn: async () => { throw new Error("this container serves a webApp/webServer only"); },
      result: async () => { throw new Error("this container serves a webApp/webServer only"); },
      forward: (_target, request) => served.handle(request),
    },
  });
  const listening = await listen(front, { port: options.port, host: "0.0.0.0", ready: options.ready });
  return {
    listening,
    async close(graceMs) {
      await listening.close({ graceMs });
      front.close();
      served.close();
    },
  };
}
