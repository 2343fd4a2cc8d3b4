/**
 * The Redis container transport (the Kubernetes target). Being built in issue 9: until then a
 * container given `GANTRY_TRANSPORT=redis` stops at start with this message.
 */
import type { ContainerTransportFactory } from "../container/transport.ts";

export const redisContainerTransport: ContainerTransportFactory = () => {
  throw new Error("the redis transport is not built yet (issue 9)");
};
