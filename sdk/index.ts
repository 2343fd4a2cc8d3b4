/** gantry's user-facing API (API.md §1). */
export { App, LocalEntrypoint } from "./app.ts";
export { Cls, type Instance, type MethodHandle, type ParamsOf, type VariantOptions } from "./cls.ts";
export { FunctionCall, MapResult, type CallHandle, type FunctionHandle, type FromIdOptions } from "./handles.ts";
export { Function, type DeployedFunction, type FromNameOptions } from "./function.ts";
export { method, enter, exit, batched, concurrent, parameter, type Parameter } from "./decorators.ts";
export { webEndpoint, webApp, webServer, type WebEndpointOptions, type FetchApp, type HttpMethod } from "./web.ts";
export { Image } from "./image.ts";
export { Volume } from "./volume.ts";
export { Secret } from "./secret.ts";
export { Dict } from "./dict.ts";
export { Queue } from "./queue.ts";
export { Cron, Period, type Schedule } from "./schedule.ts";
export { Retries, type RetriesInit } from "./retries.ts";
export type { MapOptions } from "./invoker.ts";
export type {
  FunctionOptions, ClsOptions, GpuOption, GpuType, ConcurrentOptions, BatchedOptions, AutoscalerSettings,
} from "./options.ts";
