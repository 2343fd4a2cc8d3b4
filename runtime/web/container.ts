/**
 * What a worker runs for a webApp/webServer declaration: one handler per container. The worker
 * calls `start()` during setup (a failure there is a setup failure, not an input error) and
 * `handle()` for each forwarded request, and `close()` on shutdown.
 */
import type { WebMarker } from "../../sdk/web.ts";
import type { SerializedRequest, SerializedResponse } from "./backend.ts";
import { serveFetchApp } from "./fetch-app.ts";
import { serveWebServer } from "./web-server.ts";

export interface ContainerWebHandler {
  start(): Promise<void>;
  handle(request: SerializedRequest): Promise<SerializedResponse>;
  close(): void;
}

export function containerWebHandler(marker: WebMarker): ContainerWebHandler {
  if (marker.kind === "app") {
    const served = serveFetchApp(marker.factory);
    return { start: () => served.start(), handle: served, close: () => {} };
  }
  if (marker.kind === "server") {
    const proxied = serveWebServer({ port: marker.port, startupTimeout: marker.startupTimeout, start: marker.start });
    return { start: () => proxied.start(), handle: proxied, close: () => proxied.close() };
  }
  throw new TypeError("containerWebHandler: webEndpoint declarations are called with their arguments, not forwarded");
}
