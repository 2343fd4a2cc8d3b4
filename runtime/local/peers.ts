/**
 * Other apps a local run can call (`Cls.fromName("my-app", "Model")`, `Function.fromName(...)`):
 * a peer is where calls addressed to another app go, at the level of packed payloads, so a
 * container's nested call passes through untouched. Two kinds (built by the CLI): another app run
 * by the same `gantry run` (`--with ../server/app.ts`, another LocalRuntime) and a running
 * `gantry serve` of that app (runtime/serve/calls.ts, over HTTP).
 */
import type { ContainerRequest } from "./protocol.ts";
import type { RequestReply } from "./pool.ts";

/** The requests that concern calls (not Dicts, Queues or Volumes, which live with each run). */
export type CallRequest = Extract<ContainerRequest, { op: "remote" | "spawn" | "result" | "cancel" | "autoscaler" }>;

export interface Peer {
  /** the app it runs */
  app: string;
  /** how it is reached, for messages: `gantry serve of ../server/app.ts at http://…`, `../server/app.ts in this run` */
  via: string;
  request(req: CallRequest): Promise<RequestReply>;
}

/** The peer running `app`, if there is one. */
export type PeerResolver = (app: string) => Peer | undefined;

/** The error for a call to an app that nothing here runs, naming the ways to make it run. */
export function noPeerError(target: { app: string; name: string }, ownApp: string, ownFile: string): Error {
  return new Error(
    `${target.app}.${target.name}: app "${target.app}" is not part of this run (it runs app "${ownApp}"). ` +
    `To call it locally, either run both apps: gantry run ${ownFile} --with <path to ${target.app}'s app file>, ` +
    `or start its dev server first: gantry serve <path to ${target.app}'s app file> (this run finds a running gantry serve ` +
    `of "${target.app}" in this project, or the one of a --with file)`,
  );
}
