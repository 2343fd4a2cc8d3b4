/**
 * `Cls.of(X).instance().updateAutoscaler(settings)` on AWS: changes the unit's ECS service scaling
 * through Application Auto Scaling, the same objects the stack created (provider/aws/autoscaling.ts).
 *
 * - minContainers / maxContainers: RegisterScalableTarget's MinCapacity / MaxCapacity on the
 *   service's `ecs:service:DesiredCount` (only the ones given change). Raising the minimum above
 *   the running count starts tasks at once; lowering the maximum stops the extra ones (they drain).
 * - bufferContainers: the headroom term of the backlog-per-task metric of the service's
 *   target-tracking policy, `(visible + inflight + buffer × targetInputs) / running`, rewritten with
 *   PutScalingPolicy (the policy is read first, so its other settings stay as deployed).
 * - scaledownWindow: that policy's ScaleInCooldown (seconds between scale-ins, rounded up).
 * Neither of the last two is a setting of the ECS service itself: its desired count belongs to
 * autoscaling (the stack ignores it after the first deploy), so they live in the policy.
 *
 * The changes last until a deploy changes those settings (or `pulumi up --refresh` resets the drift).
 * Class parameters share their class's service: the change applies to every parameter set.
 */
import type { AutoscalerSettings } from "../../sdk/options.ts";
import { backlogExpression } from "./backlog.ts";
import { loadAutoscaling, type CommandSender } from "./clients.ts";

const NAMESPACE = "ecs";
const DIMENSION = "ecs:service:DesiredCount";
/** the metric id of the backlog expression in the stack's target-tracking policy */
const BACKLOG_METRIC_ID = "backlog";

export function checkSettings(label: string, settings: AutoscalerSettings): void {
  for (const [name, value] of Object.entries(settings)) {
    if (value === undefined) continue;
    if (!["minContainers", "maxContainers", "bufferContainers", "scaledownWindow"].includes(name)) {
      throw new TypeError(`${label}.updateAutoscaler: unknown setting "${name}" (minContainers, maxContainers, bufferContainers, scaledownWindow)`);
    }
    const whole = name !== "scaledownWindow";
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || (whole && !Number.isInteger(value))) {
      throw new RangeError(`${label}.updateAutoscaler: ${name} must be a ${whole ? "whole " : ""}number >= 0, not ${String(value)}`);
    }
  }
  const { minContainers: min, maxContainers: max } = settings;
  if (min !== undefined && max !== undefined && min > max) {
    throw new RangeError(`${label}.updateAutoscaler: minContainers (${min}) is more than maxContainers (${max})`);
  }
}

interface TrackingPolicy {
  PolicyName: string;
  PolicyType: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  TargetTrackingScalingPolicyConfiguration?: any;
}

export async function updateServiceScaling(
  client: CommandSender, resourceId: string, label: string, settings: AutoscalerSettings,
): Promise<void> {
  checkSettings(label, settings);
  const sdk = await loadAutoscaling();
  const target = { ServiceNamespace: NAMESPACE, ResourceId: resourceId, ScalableDimension: DIMENSION } as const;
  const { minContainers: min, maxContainers: max, bufferContainers: buffer, scaledownWindow } = settings;
  if (min !== undefined || max !== undefined) {
    await client.send(new sdk.RegisterScalableTargetCommand({
      ...target,
      ...(min !== undefined ? { MinCapacity: min } : {}),
      ...(max !== undefined ? { MaxCapacity: max } : {}),
    }));
  }
  if (buffer === undefined && scaledownWindow === undefined) return;

  const policies: TrackingPolicy[] = [];
  let next: string | undefined;
  do {
    const out = await client.send(new sdk.DescribeScalingPoliciesCommand({ ...target, ...(next ? { NextToken: next } : {}) }));
    policies.push(...((out.ScalingPolicies ?? []) as TrackingPolicy[]).filter((p) => p.PolicyType === "TargetTrackingScaling"));
    next = out.NextToken;
  } while (next);
  if (policies.length === 0) {
    throw new Error(`${label}.updateAutoscaler: the service ${resourceId} has no target-tracking scaling policy (was it deployed by gantry?)`);
  }
  const updates = policies.map((p) => {
    const config = structuredClone(p.TargetTrackingScalingPolicyConfiguration ?? {});
    // the cooldown is in whole seconds
    if (scaledownWindow !== undefined) config.ScaleInCooldown = Math.ceil(scaledownWindow);
    if (buffer !== undefined) {
      const metric = (config.CustomizedMetricSpecification?.Metrics ?? []).find((m: { Id?: string }) => m.Id === BACKLOG_METRIC_ID);
      if (!metric) {
        throw new Error(`${label}.updateAutoscaler: bufferContainers applies to queue workers; the policy ${p.PolicyName} of ${resourceId} does not track a backlog`);
      }
      metric.Expression = backlogExpression(buffer * Number(config.TargetValue ?? 1));
    }
    return new sdk.PutScalingPolicyCommand({ ...target, PolicyName: p.PolicyName, PolicyType: "TargetTrackingScaling", TargetTrackingScalingPolicyConfiguration: config });
  });
  // every policy is checked before any is changed
  for (const command of updates) await client.send(command);
}
