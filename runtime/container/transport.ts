/**
 * What the container entry (main.ts) needs from the transport its contract names
 * (`contract.transport.kind`): the worker loop's inputs, nested calls, and the secrets and tokens
 * the target keeps in its own store. Each kind provides one (`aws`: runtime/aws/container.ts); main
 * loads only the one it was given, so a container never parses another target's SDK.
 */
import type { Invoker } from "../../sdk/invoker.ts";
import type { ContainerContract, TransportKind } from "../contract.ts";
import type { Transport } from "../worker/transport.ts";
import type { Logger } from "./log.ts";

/** A worker transport with what the entry adds: health state, stopping, and names for inputs. */
export interface ContainerWorkerTransport extends Transport {
  /** starting / ready / setup-failed / stopping / closed, for `/readyz` */
  readonly state: string;
  /** inputs received and not settled yet */
  readonly inFlight: number;
  readonly stats: { completed: number; retried: number; deadLettered: number };
  /** stop fetching; in-flight inputs get `drainMs`, the others are handed back */
  stop(drainMs: number, reason: string): void;
  /** how logs and errors name an input's target (`Model.generate`), once the app is loaded */
  nameInputsWith(label: (method: string | null) => string): void;
}

export interface ContainerTransport {
  /** before the app is imported (its module code may read them): secrets into `process.env`; returns their values, to mask */
  loadSecrets(): Promise<string[]>;
  /** bearer tokens a private web unit accepts, from the target's secret store */
  webTokens(): Promise<string[]>;
  /** what nested `.remote()` calls go through */
  invoker(): Invoker;
  /** the inputs of a worker unit */
  worker(log: Logger): ContainerWorkerTransport;
}

export type ContainerTransportFactory = (contract: ContainerContract) => ContainerTransport;

/** One entry per transport kind, loaded on demand. */
const TRANSPORTS: { [K in TransportKind]: () => Promise<ContainerTransportFactory> } = {
  aws: async () => (await import("../aws/container.ts")).awsContainerTransport,
  redis: async () => (await import("../redis/container.ts")).redisContainerTransport,
};

export async function containerTransportOf(contract: ContainerContract): Promise<ContainerTransport> {
  return (await TRANSPORTS[contract.transport.kind]())(contract);
}
