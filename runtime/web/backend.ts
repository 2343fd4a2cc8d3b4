/**
 * What the web layer needs from whatever runs the code: start a call and fetch its result later
 * (webEndpoint), or hand a whole HTTP request to a container and get its response (webApp,
 * webServer). `gantry serve` implements it over the local runtime, the ECS service and the Lambda
 * gateway over SQS/DynamoDB; `InProcessBackend` (in-process.ts) runs the code in this process.
 */
import type { CallTarget } from "../../sdk/invoker.ts";

export type { CallTarget };

/** An HTTP request as plain data (msgpack- and JSON-friendly apart from the body bytes). */
export interface SerializedRequest {
  method: string;
  /** path and query as the app sees them: the mount prefix is already stripped ("/greet/ada?x=1") */
  url: string;
  /** lower-case names, in arrival order; repeated names appear once per value */
  headers: [string, string][];
  /** null for GET/HEAD and empty bodies */
  body: Uint8Array | null;
}

export interface SerializedResponse {
  status: number;
  headers: [string, string][];
  body: Uint8Array | null;
}

export interface WebBackend {
  /** Starts a call; resolves with its id as soon as the call is accepted. */
  spawn(target: CallTarget, args: unknown[]): Promise<string>;
  /**
   * The call's result. Rejects with an error named "TimeoutError" when it is not ready within
   * `timeoutMs` (the call goes on), and with the function's error when it failed. Never re-runs it.
   */
  result(callId: string, options: { timeoutMs: number }): Promise<unknown>;
  /** Runs one HTTP request through a webApp/webServer declaration's container. */
  forward(target: CallTarget, request: SerializedRequest): Promise<SerializedResponse>;
}

/** Thrown by backends when a result is not ready in time. Matched by name, so any "TimeoutError" works. */
export class CallTimeoutError extends Error {
  override name = "TimeoutError";
  constructor(callId: string, timeoutMs: number) {
    super(`call ${callId} did not finish within ${timeoutMs} ms (it is still running)`);
  }
}

export { UnknownCallError } from "../errors.ts";

export function isTimeoutError(error: unknown): boolean {
  return error instanceof Error && error.name === "TimeoutError";
}

export function isUnknownCallError(error: unknown): boolean {
  return error instanceof Error && error.name === "UnknownCallError";
}

/**
 * A WebBackend from the sdk's invoker calls (`spawn`/`result` have the same shape) and a forwarder
 * for webApp/webServer requests: what `gantry serve` and the AWS front door plug in.
 */
export function backendFromInvoker(
  invoker: { spawn(target: CallTarget, args: unknown[]): Promise<string>; result(callId: string, options: { timeoutMs?: number }): Promise<unknown> },
  forward: WebBackend["forward"],
): WebBackend {
  return {
    spawn: (target, args) => invoker.spawn(target, args),
    result: (callId, options) => invoker.result(callId, options),
    forward,
  };
}
