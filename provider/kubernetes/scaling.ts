/**
 * KEDA `ScaledObject` of a unit (keda.sh/v1alpha1), pure: from zero on one input, never to zero
 * while work is pending.
 *
 * Queue units read three numbers from Redis (as KEDA's read-only user, TriggerAuthentication
 * `keda-redis`), combined by `advanced.scalingModifiers`:
 * - `lag`: entries of the work stream not yet delivered to the consumer group (XINFO GROUPS;
 *   redis-streams in lag mode, the only mode that scales from zero, Redis >= 7);
 * - `pending`: entries delivered and not acknowledged, i.e. running or waiting for a crash claim
 *   (XPENDING), so in-flight work holds the unit above zero (KEDA #1663);
 * - `retry`: inputs waiting out their backoff in the retry sorted set (the `redis` scaler; KEDA
 *   counts a sorted set with ZCARD), so a unit whose only work is a retry stays up to run it.
 * The formula adds `bufferContainers * targetInputs` while there is any work (Modal's buffer:
 * extra idle containers while the function is active), `target` is `targetInputs` per container
 * (AverageValue), and `activationTarget: "0"` activates on the first input (an activation
 * threshold of 0 needs KEDA >= 2.17, #6478/#6481).
 *
 * `cooldownPeriod` only governs 1 -> 0; N -> 1 is the HPA's scale-down stabilization window, so
 * both are the unit's `scaledownWindow`. Web units (webApp/webServer) are never at zero: CPU
 * utilization scales them between min (at least 1) and max.
 */
import { unitKeys, WORK_GROUP } from "../../runtime/redis/keys.ts";
import { scalingFormula as formulaOf } from "../../runtime/redis/scaled-object.ts";
import type { RedisConnection } from "./redis.ts";
import { KEDA_AUTH } from "./redis.ts";
import type { Unit } from "./units.ts";

/** seconds between KEDA's checks of an idle (zero-replica) unit's numbers */
export const POLLING_INTERVAL = 5;
/** CPU utilization a web unit's pods are kept at */
export const WEB_CPU_UTILIZATION = 70;

export function scalingFormula(unit: Pick<Unit, "options" | "concurrency">): string {
  return formulaOf(unit.options.bufferContainers, unit.concurrency.targetInputs);
}

export interface ScaledObjectSpec {
  scaleTargetRef: { apiVersion: string; kind: string; name: string };
  pollingInterval: number;
  cooldownPeriod: number;
  minReplicaCount: number;
  maxReplicaCount: number;
  advanced: Record<string, unknown>;
  triggers: Array<Record<string, unknown>>;
}

export function scaledObjectSpec(unit: Unit, redis: RedisConnection): ScaledObjectSpec {
  const window = unit.options.scaledownWindow;
  const base = {
    scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: unit.slug },
    pollingInterval: POLLING_INTERVAL,
    cooldownPeriod: window,
    minReplicaCount: unit.scaling.minContainers,
    maxReplicaCount: unit.scaling.maxContainers,
  };
  const behavior = { scaleDown: { stabilizationWindowSeconds: window } };
  if (unit.server) {
    return {
      ...base,
      advanced: { restoreToOriginalReplicaCount: false, horizontalPodAutoscalerConfig: { behavior } },
      triggers: [{ type: "cpu", metricType: "Utilization", metadata: { value: String(WEB_CPU_UTILIZATION) } }],
    };
  }
  const keys = unitKeys(redis.keyNamespace, unit.id);
  const target = String(unit.concurrency.targetInputs);
  const connection = {
    address: redis.address,
    enableTLS: String(redis.tls),
    databaseIndex: String(redis.databaseIndex),
  };
  const auth = { authenticationRef: { name: KEDA_AUTH } };
  return {
    ...base,
    advanced: {
      restoreToOriginalReplicaCount: false,
      horizontalPodAutoscalerConfig: { behavior },
      scalingModifiers: { formula: scalingFormula(unit), target, activationTarget: "0", metricType: "AverageValue" },
    },
    triggers: [
      { type: "redis-streams", name: "lag", metadata: { ...connection, stream: keys.work, consumerGroup: WORK_GROUP, lagCount: target, activationLagCount: "0" }, ...auth },
      { type: "redis-streams", name: "pending", metadata: { ...connection, stream: keys.work, consumerGroup: WORK_GROUP, pendingEntriesCount: target }, ...auth },
      { type: "redis", name: "retry", metadata: { ...connection, listName: keys.retry, listLength: target, activationListLength: "0" }, ...auth },
    ],
  };
}
