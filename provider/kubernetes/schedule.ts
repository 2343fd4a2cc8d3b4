/**
 * gantry:k8s:Schedule — a function's `schedule` as a `batch/v1 CronJob` (`spec.timeZone` is GA
 * since Kubernetes 1.27). Its Job is a small CPU container (redis-cli) that makes one ordinary call
 * of the function (scheduleCallArgs), so retries, timeouts and scaling stay the function's own,
 * and KEDA wakes it from zero like any input. The call id comes from the Job's name, which the
 * CronJob controller derives from the scheduled time, so a retried Job is the same call.
 *
 * A `Cron` is used as written (5 fields; day-of-week 7 written as 0: the CronJob parser's range
 * is 0-6). A `Period` becomes a cron when one expresses it — periods that divide an hour or a day,
 * a day, a week — aligned to the clock (Modal counts a period from the deploy); any other period
 * has no CronJob form and is a synth error at the `Period(...)`: the ticker gantry chose for
 * Kubernetes is the CronJob controller, which ticks on minutes of the clock.
 *
 * Cost: one short pod per tick.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ScheduleSpec } from "../../synth/spec.ts";
import { CRON_FIELDS, expandCronField } from "../../synth/cron.ts";
import { ttlMs } from "../../runtime/redis/config.ts";
import { callKeys, unitKeys } from "../../runtime/redis/keys.ts";
import { ENQUEUE_ONCE } from "../../runtime/redis/scripts.ts";
import { newCallId, REDIS_WIRE_VERSION, type CallMeta } from "../../runtime/redis/wire.ts";
import { KubeComponent, formatSource, type DeclarationRef, type StackInfo } from "./component.ts";
import type { RedisConnection } from "./redis.ts";
import { redisClientEnv, redisCliArgs } from "./redis.ts";
import { RESULT_TTL_DAYS } from "./workload.ts";

export const SCHEDULE_BACKOFF_LIMIT = 3;
/** a tick missed by more than this (controller down) is skipped, not run late */
export const STARTING_DEADLINE_SECONDS = 300;

export interface CronSchedule {
  schedule: string;
  timeZone: string;
  /** how a Period was turned into a cron, for the summary */
  note: string | null;
}

export class ScheduleError extends Error {}

/** The CronJob schedule of a schedule spec; a Period no cron expresses is a ScheduleError at its source. */
export function cronScheduleOf(spec: ScheduleSpec): CronSchedule {
  if (spec.kind === "cron") return { schedule: withSundayAsZero(spec.expression), timeZone: spec.timezone, note: null };
  const cron = periodCron(spec.seconds);
  if (!cron) {
    throw new ScheduleError(`${formatSource(spec.source)}: Period of ${spec.seconds}s has no Kubernetes CronJob form: the CronJob controller ticks on minutes of the clock, so a period must divide an hour (1, 2, 3, 4, 5, 6, 10, 12, 15, 20 or 30 minutes) or a day (1, 2, 3, 4, 6, 8 or 12 hours), or be a day or a week; use one of those, or Cron("...") for the times you mean`);
  }
  return { schedule: cron, timeZone: "UTC", note: `Period(${spec.seconds}s) as "${cron}" UTC: aligned to the clock, not to the deploy` };
}

function periodCron(seconds: number): string | null {
  if (seconds % 60 !== 0) return null;
  const minutes = seconds / 60;
  if (minutes === 1) return "* * * * *";
  if (minutes < 60) return 60 % minutes === 0 ? `*/${minutes} * * * *` : null;
  if (minutes % 60 !== 0) return null;
  const hours = minutes / 60;
  if (hours === 1) return "0 * * * *";
  if (hours < 24) return 24 % hours === 0 ? `0 */${hours} * * *` : null;
  if (hours === 24) return "0 0 * * *";
  if (hours === 168) return "0 0 * * 0";
  return null;
}

/** The CronJob parser reads day-of-week 0-6; gantry's cron also accepts 7 for Sunday. */
function withSundayAsZero(expression: string): string {
  const fields = expression.split(" ");
  if (!/7/.test(fields[4])) return expression;
  const days = expandCronField(fields[4], CRON_FIELDS[4]);
  fields[4] = days.length === 7 ? "*" : days.join(",");
  return fields.join(" ");
}

/**
 * What the tick's Job runs after `redis-cli <connection>`: one call of the function, made with the
 * transport's ENQUEUE_ONCE script (the call record and the work-stream entry in one step, so a
 * worker admits it like any call; nothing when the record exists, so a retried Job is not a second
 * call). Its id `<unit>/sched-<function>-<Job name>` comes from the Job's name, which the CronJob
 * controller derives from the scheduled time; the kubelet expands `$(JOB_NAME)` in the arguments.
 * No arguments (JSON `[]`).
 */
export function scheduleCallArgs(functionName: string, keyNamespace: string, unit: string): string[] {
  const local = `sched-${functionName}-$(JOB_NAME)`;
  const keys = unitKeys(keyNamespace, unit);
  const meta: CallMeta = { v: REDIS_WIRE_VERSION, callId: newCallId(unit, local), unit, method: null, encoding: "json", enqueuedAt: 0, source: "schedule $(JOB_NAME)" };
  return ["EVAL", ENQUEUE_ONCE.source, "2", callKeys(keys, local).call, keys.work, JSON.stringify(meta), "[]", String(ttlMs(RESULT_TTL_DAYS)), local];
}

export interface ScheduleInputs {
  /** the function's object name (`nightly-report`) */
  slug: string;
  functionName: string;
  spec: ScheduleSpec;
  /** the function's unit id (its keys) */
  unit: string;
  redis: RedisConnection;
  /** the function's own Redis user (it may add to its own stream) */
  user: { name: string; passwordSecret: pulumi.Input<string> };
  labels: Record<string, string>;
}

export class Schedule extends KubeComponent {
  readonly cronJob: k8s.batch.v1.CronJob;

  constructor(name: string, info: StackInfo, ref: DeclarationRef, inputs: ScheduleInputs, opts?: pulumi.ComponentResourceOptions) {
    super("gantry:k8s:Schedule", name, info, ref, opts);
    const cron = cronScheduleOf(inputs.spec);
    const labels = { ...inputs.labels, "gantry.dev/role": "schedule", "gantry.dev/redis-client": "true" };
    this.cronJob = new k8s.batch.v1.CronJob(`${name}-schedule`, {
      metadata: this.meta(`${inputs.slug}-tick`, labels),
      spec: {
        schedule: cron.schedule,
        timeZone: cron.timeZone,
        concurrencyPolicy: "Allow",
        startingDeadlineSeconds: STARTING_DEADLINE_SECONDS,
        successfulJobsHistoryLimit: 1,
        failedJobsHistoryLimit: 3,
        jobTemplate: {
          metadata: { labels },
          spec: {
            backoffLimit: SCHEDULE_BACKOFF_LIMIT,
            activeDeadlineSeconds: 300,
            ttlSecondsAfterFinished: 86400,
            template: {
              metadata: { labels },
              spec: {
                restartPolicy: "Never",
                automountServiceAccountToken: false,
                enableServiceLinks: false,
                securityContext: { runAsNonRoot: true, runAsUser: 999, runAsGroup: 999, seccompProfile: { type: "RuntimeDefault" } },
                containers: [{
                  name: "enqueue",
                  image: inputs.redis.cliImage,
                  imagePullPolicy: "IfNotPresent",
                  command: ["redis-cli"],
                  args: [...redisCliArgs(inputs.redis), ...scheduleCallArgs(inputs.functionName, inputs.redis.keyNamespace, inputs.unit)],
                  env: [
                    { name: "JOB_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.labels['batch.kubernetes.io/job-name']" } } },
                    ...redisClientEnv(inputs.redis, inputs.user),
                  ],
                  resources: { requests: { cpu: "50m", memory: "32Mi" }, limits: { cpu: "200m", memory: "64Mi" } },
                  securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
                }],
              },
            },
          },
        },
      },
    }, this.childOpts);
    this.registerOutputs({ schedule: cron.schedule, timeZone: cron.timeZone });
  }
}
