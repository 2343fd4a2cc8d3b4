/**
 * Container side of `webApp(factory)`: the worker calls the returned function with each forwarded
 * request. The factory runs once per container (again only if it failed); the app's own errors
 * propagate, so the worker reports them like any function error.
 */
import type { FetchApp } from "../../sdk/web.ts";
import type { SerializedRequest, SerializedResponse } from "./backend.ts";
import { requestFromSerialized, serializeResponse } from "./messages.ts";

export interface ServedFetchApp {
  (request: SerializedRequest): Promise<SerializedResponse>;
  /** builds the app now (the worker calls it during setup, so a failing factory is a setup failure) */
  start(): Promise<void>;
}

export function serveFetchApp(factory: () => FetchApp | Promise<FetchApp>): ServedFetchApp {
  let app: Promise<FetchApp> | undefined;
  const build = () => {
    app ??= Promise.resolve()
      .then(factory)
      .then((a) => {
        if (!a || typeof (a as FetchApp).fetch !== "function") {
          throw new TypeError("webApp(factory): the factory must return an object with a fetch(request) method (a Hono app, for example)");
        }
        return a;
      })
      .catch((error) => {
        app = undefined;
        throw error;
      });
    return app;
  };
  const serve = async (request: SerializedRequest) => {
    const a = await build();
    const response = await a.fetch(requestFromSerialized(request));
    if (!(response instanceof Response)) throw new TypeError("webApp: fetch(request) must return a Response");
    return serializeResponse(response);
  };
  return Object.assign(serve, { start: async () => void (await build()) });
}
