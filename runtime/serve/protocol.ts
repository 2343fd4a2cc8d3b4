/**
 * Messages between `gantry serve` (the supervisor: listener, runtime, schedules, watcher) and a
 * front-door process (one per version of the app: it analyses and imports the app, and serves
 * its web routes on a loopback port). They travel over the Node IPC channel with structured
 * cloning ("advanced" serialization), so request bodies and results keep their types.
 */
import type { CallTarget } from "../../sdk/invoker.ts";
import type { AppSpec } from "../../synth/spec.ts";
import type { SerializedRequest } from "../web/backend.ts";
import type { SpecRoute } from "../web/routes.ts";

export interface StartMessage {
  t: "start";
  /** absolute */
  appFile: string;
  tokens: string[];
  /** the same key for every version, so result URLs survive reloads */
  signingKey: Uint8Array;
  /** colors in diagnostics */
  color: boolean;
  /** paths in diagnostics are shown relative to it */
  cwd: string;
  /** the web layer's synchronous window (default 150 s); tests shorten it */
  syncWindowMs?: number;
}

/** An error as it crosses: the web layer looks only at its name and message. */
export interface WireError {
  name: string;
  message: string;
}

export type ToFrontDoor =
  | StartMessage
  | { t: "reply"; rid: number; ok: true; value: unknown }
  | { t: "reply"; rid: number; ok: false; error: WireError }
  /** stop: let requests in flight finish (at most graceMs), then exit */
  | { t: "drain"; graceMs: number };

export type RouteInfo = SpecRoute;

export interface ReadyMessage {
  t: "ready";
  /** where this front door listens (loopback) */
  url: string;
  routes: RouteInfo[];
  spec: AppSpec;
  secretValues: Record<string, Record<string, string>>;
  /** the app file and the project files it imports (to watch) */
  files: string[];
  /** warnings of the analysis, formatted; null without any */
  diagnostics: string | null;
}

export interface FailedMessage {
  t: "failed";
  /** "diagnostics": the analysis found errors; "error": importing the app or building its routes failed */
  reason: "diagnostics" | "error";
  text: string;
  files: string[];
}

export type RpcRequest =
  | { op: "spawn"; target: CallTarget; args: unknown[] }
  | { op: "result"; callId: string; timeoutMs: number }
  | { op: "forward"; target: CallTarget; request: SerializedRequest };

export type FromFrontDoor = ReadyMessage | FailedMessage | ({ t: "rpc"; rid: number } & RpcRequest);

export function toWireError(error: unknown): WireError {
  if (error instanceof Error) return { name: String(error.name), message: String(error.message) };
  return { name: "Error", message: typeof error === "string" ? error : String(error) };
}

export function fromWireError(wire: WireError): Error {
  const error = new Error(wire.message);
  error.name = wire.name;
  return error;
}
