/**
 * Errors the runtime itself raises. They cross processes like any error (by name), so callers
 * test `err.name`, e.g. `err.name === "FunctionTimeoutError"`.
 */

/** An attempt ran longer than the function's `timeout`; the attempt was stopped. */
export class FunctionTimeoutError extends Error {
  override name = "FunctionTimeoutError";
}

/** `FunctionCall.get({ timeout })` gave up waiting; the call itself goes on. */
export class TimeoutError extends Error {
  override name = "TimeoutError";
}

/** The call was cancelled (`FunctionCall.cancel()`, or the app stopped before it ran). */
export class InputCancelledError extends Error {
  override name = "InputCancelledError";
}

/** The container running the input died again and again (not the user's code throwing). */
export class ContainerCrashedError extends Error {
  override name = "ContainerCrashedError";
}

/** A container could not start: importing the app or an `@enter` hook failed. */
export class ContainerSetupError extends Error {
  override name = "ContainerSetupError";
}

/** `FunctionCall.fromId` or a result URL with an id the runtime never issued, or whose result expired. */
export class UnknownCallError extends Error {
  override name = "UnknownCallError";
}

/** A secret could not be resolved (unknown name, missing required key). */
export class SecretError extends Error {
  override name = "SecretError";
}
