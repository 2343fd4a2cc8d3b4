/**
 * A schedule's tick on Kubernetes, end to end: the CronJob's container exactly as the plan of
 * examples/schedules declares it (`redis-cli` with its arguments, `$(VAR)` expanded from its
 * environment as the kubelet does, as the function's own Redis user with the stack's ACL rules)
 * makes the call; the function's container (the image's entry on the Redis transport) runs it and
 * stores its one result under the id the Job name gives. The Job run again (a retry: same name)
 * makes no second call.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { buildPlan } from "../../../provider/plan/build.ts";
import { keyNamespace } from "../../../provider/kubernetes/names.ts";
import { unitUser } from "../../../provider/kubernetes/redis.ts";
import { unitKeys } from "../../../runtime/redis/keys.ts";
import { stackConfig } from "../../provider/plan-view.ts";
import { startRedis, type LocalRedis } from "./fixtures/redis-server.ts";
import { RedisFleet } from "./fixtures/fleet.ts";

const APP = fileURLToPath(new URL("../../../examples/schedules/app.ts", import.meta.url));
const exec = promisify(execFile);
const PASSWORD = "nightly-password";

let redis: LocalRedis;
let fleet: RedisFleet;
let job: { command: string[]; args: string[]; env: Array<{ name: string; value?: string; valueFrom?: unknown }> };

before(async () => {
  redis = await startRedis();
  const plan = await buildPlan({
    projectRoot: process.cwd(), stack: "dev", app: APP, target: "kubernetes",
    config: stackConfig({ "gantry:redisSecret": "seed" }, ["gantry:redisSecret"]),
  });
  const cron = plan.resources.find((r) => r.type === "kubernetes:batch/v1:CronJob" && r.declaration === "nightlyReport");
  assert.ok(cron, "the plan has nightlyReport's CronJob");
  job = (cron.inputs as any).spec.jobTemplate.spec.template.spec.containers[0];
  fleet = await RedisFleet.start(APP, { url: redis.url, namespace: keyNamespace("schedules", "dev") });
  // the function's user, with the rules the stack gives it
  const all = fleet.units();
  const user = unitUser(fleet.namespace, "nightly-report", { unit: "nightlyReport", calls: all.filter((u) => u !== "nightlyReport"), dicts: fleet.spec.dicts.map((d) => d.name), queues: [] });
  await (await redis.admin()).cmd(["ACL", "SETUSER", user.name, "on", `>${PASSWORD}`, ...user.rules]);
});

after(async () => {
  await fleet?.stop();
  await redis?.stop();
});

/** The Job's container, run here: its environment as the kubelet builds it, then its arguments expanded. */
async function runJob(jobName: string): Promise<string> {
  const env: Record<string, string> = { JOB_NAME: jobName, REDISCLI_AUTH: PASSWORD };
  for (const e of job.env) if (e.value !== undefined) env[e.name] = e.value;
  const args = job.args.map((a) => a.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, name: string) => env[name] ?? m));
  // the cluster's address of the server, pointed at this test's
  const u = args.indexOf("-u");
  args[u + 1] = redis.url;
  const { stdout } = await exec(job.command[0], args, { env: { PATH: process.env.PATH, ...env } });
  return stdout.trim();
}

test("the CronJob's Job makes one call of the function; its container runs it; a retried Job makes none", { timeout: 120_000 }, async () => {
  assert.deepEqual(job.command, ["redis-cli"]);
  const jobName = "nightly-report-tick-29433720";
  const entry = await runJob(jobName);
  assert.match(entry, /^\d+-\d+$/, "the entry id of the call");
  fleet.scale("nightlyReport", 1);
  const caller = fleet.invoker();
  const callId = `nightlyReport/sched-nightlyReport-${jobName}`;
  assert.equal(await caller.result(callId, { timeoutMs: 60_000 }), "nightly report #1");
  assert.equal(await runJob(jobName), "0", "the same Job again: the call exists, nothing is added");
  assert.equal(await (await redis.admin()).cmd(["XLEN", unitKeys(fleet.namespace, "nightlyReport").work]), 0);
  assert.deepEqual(await caller.dict("schedule-stats", { createIfMissing: false }).get("nightly"), { found: true, value: 1 }, "it ran once");
  // the next tick is another call
  await runJob("nightly-report-tick-29435160");
  assert.equal(await caller.result("nightlyReport/sched-nightlyReport-nightly-report-tick-29435160", { timeoutMs: 60_000 }), "nightly report #2");
});
