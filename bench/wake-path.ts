/**
 * The wake path from zero, before and after (runtime/aws/waker.ts, provider/aws/autoscaling.ts):
 * one input reaches a unit with no task. The AWS control loop cannot run here, so it is replayed
 * second by second with the documented behaviour, and the caller's side runs the real Waker
 * against an ECS stand-in (its DescribeServices / UpdateService answers take `API_MS`).
 *
 * Replayed behaviour, with where it comes from:
 * - SQS sends queue metrics to CloudWatch once a minute ("CloudWatch metrics for your Amazon SQS
 *   queues are automatically collected and pushed to CloudWatch at one-minute intervals");
 *   a datapoint is usable about a minute after its period ends (METRIC_DELAY_S, an assumption:
 *   AWS gives no bound);
 * - the alarm evaluates once a period on the newest datapoint, and an Auto Scaling action "is
 *   performed again" while the alarm stays in ALARM (CloudWatch "Alarm actions": except for Auto
 *   Scaling actions, actions happen only on state transitions), subject to the policy's cooldown;
 * - RunningTaskCount stays 0 until the task runs: COLD_START_S after the desired count rose
 *   (instance launch, ECS registration, image pull; a GPU image pull takes minutes).
 * Before: ChangeInCapacity +1 on "visible > 0 and running == 0". After: the caller's wake sets the
 * desired count to what the inputs need, and the alarm ("… and desired == 0") sets ExactCapacity 1.
 * The figures are times from the input to the first capacity request and the peak desired count.
 */
import { Waker } from "../runtime/aws/waker.ts";
import { printTable } from "./stats.ts";

const PERIOD_S = 60;
const METRIC_DELAY_S = 60;
const COOLDOWN_S = 60;
const API_MS = 40;

interface Scenario {
  name: string;
  coldStartS: number;
  maxContainers: number;
}

const SCENARIOS: Scenario[] = [
  { name: "CPU function (2 min cold start, max 100)", coldStartS: 120, maxContainers: 100 },
  { name: "GPU class, LlamaInference (6 min, max 5)", coldStartS: 360, maxContainers: 5 },
  { name: "GPU, large image (10 min, max 100)", coldStartS: 600, maxContainers: 100 },
];

type Policy = "before" | "after-alarm" | "after-wake";

interface Outcome {
  requestedAtS: number;
  peakDesired: number;
}

/**
 * One input at t = 0; the alarm evaluates at `phase`, `phase + 60`, … The run ends a period after
 * the first task runs (the alarm then sees it).
 */
function replay(s: Scenario, policy: Policy, phase: number, wakeS: number): Outcome {
  let desired = 0;
  let peak = 0;
  let requestedAt = Infinity;
  let lastAction = -Infinity;
  let firstRunningAt = Infinity;
  const history: Array<{ visible: number; running: number; desired: number }> = [];
  const raise = (t: number, to: number) => {
    if (to <= desired) return;
    if (desired === 0) firstRunningAt = Math.min(firstRunningAt, t + s.coldStartS);
    desired = to;
    peak = Math.max(peak, desired);
    requestedAt = Math.min(requestedAt, t);
  };
  for (let t = 0; t < 3600; t++) {
    if (policy === "after-wake" && t === Math.ceil(wakeS)) raise(wakeS, 1);
    const running = t >= firstRunningAt ? desired : 0;
    history.push({ visible: running > 0 ? 0 : 1, running, desired });
    if (t >= phase && (t - phase) % PERIOD_S === 0) {
      // the newest datapoint: the period that ended METRIC_DELAY_S ago, maxima over it
      const end = t - METRIC_DELAY_S;
      const window = history.slice(Math.max(0, end - PERIOD_S), Math.max(0, end));
      if (window.length) {
        const visible = Math.max(...window.map((h) => h.visible));
        const run = Math.max(...window.map((h) => h.running));
        const want = Math.max(...window.map((h) => h.desired));
        const alarm = visible > 0 && run === 0 && (policy === "before" || want === 0);
        if (alarm && t - lastAction >= COOLDOWN_S) {
          lastAction = t;
          if (policy === "before") raise(t, Math.min(s.maxContainers, desired + 1));
          else raise(t, 1);
        }
      }
    }
    if (t > firstRunningAt + METRIC_DELAY_S + 2 * PERIOD_S) break;
  }
  return { requestedAtS: requestedAt, peakDesired: peak };
}

/** The real Waker's time from `wake()` to UpdateService, against a stand-in that takes API_MS a call. */
async function measureWake(): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    let desired = 0;
    let updatedAt = 0;
    const ecs = {
      async send(command: { constructor: { name: string }; input: { desiredCount?: number } }) {
        await new Promise((r) => setTimeout(r, API_MS));
        if (command.constructor.name === "UpdateServiceCommand") {
          desired = command.input.desiredCount ?? desired;
          updatedAt = performance.now();
          return {};
        }
        return { services: [{ desiredCount: desired }] };
      },
    };
    const waker = new Waker({ targets: { unit: { resourceId: "service/c/s", targetInputs: 1, maxContainers: 5 } }, ecs: async () => ecs });
    const t0 = performance.now();
    await waker.wake("unit");
    samples.push(updatedAt - t0);
  }
  return samples.sort((a, b) => a - b)[2];
}

export async function run(): Promise<void> {
  const wakeMs = await measureWake();
  console.log(`Waker.wake() -> UpdateService: ${wakeMs.toFixed(0)} ms (median of 5; ECS calls ${API_MS} ms each)`);
  const rows: Array<Record<string, string | number>> = [];
  for (const s of SCENARIOS) {
    const phases = Array.from({ length: PERIOD_S }, (_, p) => p);
    const summarize = (policy: Policy) => {
      const outcomes = phases.map((p) => replay(s, policy, p, wakeMs / 1000));
      const mean = outcomes.reduce((a, o) => a + o.requestedAtS, 0) / outcomes.length;
      return { mean, worst: Math.max(...outcomes.map((o) => o.requestedAtS)), peak: Math.max(...outcomes.map((o) => o.peakDesired)) };
    };
    const before = summarize("before");
    const alarm = summarize("after-alarm");
    const wake = summarize("after-wake");
    rows.push({
      scenario: s.name,
      "before: requested (s, mean/worst)": `${before.mean.toFixed(0)} / ${before.worst.toFixed(0)}`,
      "before: peak desired": before.peak,
      "after, woken: requested (s)": wake.worst.toFixed(2),
      "after, woken: peak": wake.peak,
      "after, alarm only (schedules): requested (s) / peak": `${alarm.mean.toFixed(0)} / ${alarm.peak}`,
      "speed-up (before mean / after)": `${(before.mean / Math.max(wake.worst, 0.001)).toFixed(0)}x`,
    });
  }
  printTable(rows);
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
