/**
 * A container that serves a `webApp` / `webServer` function: forwarded HTTP requests (inputs of
 * kind "http") go to the app's fetch handler, or are proxied to the server `start()` began.
 *
 * Hook order is the same everywhere: the target's own setup first (`@enter` hooks, snap ones
 * first), then the web handler's `start()` (the factory, or `start()` and the wait for its port),
 * so a failure of either is a setup failure, never a request error. On stop, the handler closes
 * before the `@exit` hooks run.
 */
import type { WebMarker } from "../../sdk/web.ts";
import { containerWebHandler } from "../web/container.ts";
import type { WorkerTarget } from "./target.ts";

export function webTarget(target: WorkerTarget, name: string, marker: WebMarker): WorkerTarget {
  if (marker.kind === "endpoint") return target;
  const handler = containerWebHandler(marker);
  const what = marker.kind === "app" ? "webApp" : "webServer";
  return {
    slots: target.slots,
    label: target.label,
    batching: target.batching,
    async setup() {
      await target.setup();
      await handler.start();
    },
    async invoke() {
      throw new TypeError(`${name} is a ${what}: it answers HTTP requests at its URL and cannot be called with .remote()`);
    },
    forward: (request) => handler.handle(request),
    async teardown(onError) {
      try {
        handler.close();
      } catch (err) {
        onError(`${what} close`, err);
      }
      await target.teardown(onError);
    },
  };
}
