/**
 * Messages between the local supervisor and a container process (framed by channel.ts).
 * Payloads (`a`, `v`, `e`) are bytes packed by runtime/serialize.ts.
 */
import type { AppSpec } from "../../synth/spec.ts";
import type { TargetSpec } from "../worker/target.ts";
import type { CallTarget } from "../../sdk/invoker.ts";
import type { AutoscalerSettings } from "../../sdk/options.ts";

/** Everything a container needs to start, sent as its first message: its target, and the rest. */
export interface BootInfo extends TargetSpec {
  /** bound on the `@enter` hooks */
  setupTimeoutMs: number;
  /** volume mount path -> local directory (and image files: image-files.ts) */
  mounts: Array<{ mountPath: string; hostPath: string }>;
  /**
   * How child processes of the container see the mounts (namespace.ts): `namespace`, the container
   * runs in a mount namespace with `root` and `bound` mounted; `rewrite`, their paths are rewritten.
   */
  childMounts: { mode: "namespace"; root: string; bound: Array<{ mountPath: string; hostPath: string }> } | { mode: "rewrite" };
  /** for naming arguments in errors of nested calls */
  spec: AppSpec;
  /** `square#2`, for logs */
  label: string;
  /** a webApp/webServer function: the container serves forwarded HTTP requests (inputs of kind "http") */
  web?: boolean;
}

export type ToContainer =
  | { t: "boot"; boot: BootInfo }
  /** `k: "http"`: `a` packs one forwarded HTTP request (webApp/webServer), answered with the response */
  | { t: "in"; id: string; call: string; m: string | null; a: Uint8Array; n: number; to: number; k?: "http" }
  | { t: "cancel"; id: string }
  | { t: "stop"; drainMs: number }
  | { t: "res"; rid: number; ok: true; v?: Uint8Array }
  | { t: "res"; rid: number; ok: false; e: Uint8Array };

export type FromContainer =
  | { t: "ready" }
  | { t: "setup-failed"; e: Uint8Array }
  | { t: "out"; id: string; s: "ok"; v: Uint8Array }
  /** `ended`: this input ended the container (process.exit, or it blocked the event loop past its timeout) */
  | { t: "out"; id: string; s: "error"; e: Uint8Array; timedOut: boolean; ended?: boolean }
  | { t: "out"; id: string; s: "cancelled" }
  | { t: "req"; rid: number; req: ContainerRequest };

/** What code inside a container asks of the supervisor (nested calls, shared state). */
export type ContainerRequest =
  /** `id` is chosen by the container so it can cancel the call later */
  | { op: "remote"; id: string; target: CallTarget; a: Uint8Array }
  | { op: "spawn"; id: string; target: CallTarget; a: Uint8Array }
  | { op: "result"; id: string; timeoutMs: number | null }
  | { op: "cancel"; id: string }
  | { op: "dict"; name: string; create: boolean; method: "get" | "put" | "pop" | "has" | "keys" | "len"; k?: Uint8Array; v?: Uint8Array }
  | { op: "queue"; name: string; create: boolean; method: "put"; items: Uint8Array[] }
  | { op: "queue"; name: string; create: boolean; method: "get"; max: number; timeoutMs: number | null }
  | { op: "queue"; name: string; create: boolean; method: "len" }
  | { op: "volume"; name: string; method: "commit" | "reload" }
  | { op: "autoscaler"; target: CallTarget; settings: AutoscalerSettings };
