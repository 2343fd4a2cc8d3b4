/** The web layer: a fetch handler for an app's web declarations, and its transports. See README.md. */
export { createWebHandler, createWebHandlerForRoutes, createWebHandlerForSpec, DEFAULT_MAX_BODY_BYTES, DEFAULT_SYNC_WINDOW_MS, type WebHandler, type WebHandlerOptions, type WebLogger } from "./handler.ts";
export { routesOfSpec, webRoutes, webRoutesOfSpec, routeSummary, describeRoute, functionPath, methodPath, RESERVED_SEGMENTS, WebRouteError, type WebRoute, type EndpointRoute, type MountRoute, type SpecRoute, type RouteLimits } from "./routes.ts";
export { bodyValidator, inputJsonSchema, type JsonSchema } from "./schema.ts";
export { CallTimeoutError, UnknownCallError, isTimeoutError, backendFromInvoker, type WebBackend, type SerializedRequest, type SerializedResponse } from "./backend.ts";
export { defaultCapacity, type CapacityOption } from "./capacity.ts";
export { openApiDocument } from "./openapi.ts";
export { containerWebHandler, type ContainerWebHandler } from "./container.ts";
export { serveFetchApp } from "./fetch-app.ts";
export { serveWebServer, WebServerStartupError } from "./web-server.ts";
export { listen, type Listening, type ListenOptions, type FetchHandler } from "./node.ts";
export { lambdaHandler, LAMBDA_SYNC_WINDOW_MS } from "./lambda.ts";
export { InProcessBackend } from "./in-process.ts";
