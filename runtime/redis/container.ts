/**
 * The Redis side of a container (the `redis` transport of its contract, the Kubernetes target):
 * inputs from the unit's work stream with the call state in the unit's keys (transport.ts), nested
 * calls through the same server (invoker.ts). Secrets arrive as environment variables from the
 * unit's Kubernetes Secrets, so there is nothing to load; a private web unit's token is
 * `GANTRY_WEB_TOKEN` (read by the container entry).
 */
import type { ContainerTransportFactory } from "../container/transport.ts";
import { callerConfigOf, workerConfigOf } from "./config.ts";
import { RedisInvoker } from "./invoker.ts";
import { RedisTransport } from "./transport.ts";

export const redisContainerTransport: ContainerTransportFactory = (contract) => {
  const caller = callerConfigOf(contract);
  const volumes = contract.volumes;
  return {
    loadSecrets: async () => [],
    webTokens: async () => [],
    invoker: () => new RedisInvoker({ config: { ...caller, connection: { ...caller.connection, unrefWhenIdle: false } }, source: contract.unit, volumes }),
    worker: (log) => new RedisTransport({ config: workerConfigOf(contract), log }),
  };
};
