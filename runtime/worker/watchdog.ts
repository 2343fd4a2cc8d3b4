/**
 * Names the input that blocks a container's event loop past its timeout.
 *
 * JavaScript cannot be interrupted: an input that busy-loops keeps every timer of its container
 * from firing, its own timeout included, so from outside all inputs in flight look timed out. A
 * watchdog thread watches the main thread's heartbeat; when it stopped beating past the earliest
 * deadline of the inputs in flight, the thread pauses the main thread through the inspector
 * (`Session.connectToMainThread`, served on the main thread by V8 interrupts even while it spins)
 * and calls `onBlocked` on the paused frame: it runs synchronously on the main thread, in the async
 * context of the code that was running, so the worker loop's AsyncLocalStorage says which input
 * that is. When `onBlocked` answers true (that input is past its deadline, and the transport was
 * told), the thread kills the process; otherwise the main thread resumes.
 *
 * The thread is plain JavaScript evaluated from a string (no file to bundle), using node builtins
 * only; it costs one idle thread per container.
 */
import { Worker } from "node:worker_threads";

/** where `onBlocked` is reachable from code evaluated on the paused frame */
const HOOK = "gantry.worker.blocked";
/** how often the main thread proves it is alive */
const BEAT_MS = 100;
/** a deadline counts as missed this long after it passed with no heartbeat since (a busy machine is slow, not blocked) */
const GRACE_MS = 1000;

export interface Watchdog {
  /** the earliest deadline (ms since epoch) of the inputs in flight, or null when none has one */
  setDeadline(at: number | null): void;
  stop(): void;
}

export function startWatchdog(onBlocked: () => boolean): Watchdog {
  const shared = new BigInt64Array(new SharedArrayBuffer(16));
  const beat = () => Atomics.store(shared, 0, BigInt(Date.now()));
  beat();
  const beating = setInterval(beat, BEAT_MS);
  beating.unref();
  (globalThis as Record<symbol, unknown>)[Symbol.for(HOOK)] = onBlocked;
  const thread = new Worker(THREAD, {
    eval: true,
    workerData: { shared, graceMs: GRACE_MS, hook: HOOK },
    // no loaders (tsx) in the thread: it runs plain JavaScript
    execArgv: [],
    stdout: false,
    stderr: false,
  });
  thread.unref();
  thread.on("error", () => {});
  return {
    setDeadline(at) {
      Atomics.store(shared, 1, at === null ? 0n : BigInt(Math.ceil(at)));
    },
    stop() {
      clearInterval(beating);
      delete (globalThis as Record<symbol, unknown>)[Symbol.for(HOOK)];
      void thread.terminate();
    },
  };
}

const THREAD = `
const { workerData } = require("node:worker_threads");
const { Session } = require("node:inspector");
const { shared, graceMs, hook } = workerData;
const grace = BigInt(graceMs);
let busy = false;
let lastLook = 0n;
// the interval keeps this thread alive (the main thread unrefs it)
setInterval(() => {
  if (busy) return;
  const deadline = Atomics.load(shared, 1);
  if (deadline === 0n) return;
  const now = BigInt(Date.now());
  const alive = Atomics.load(shared, 0);
  if (now < deadline + grace || now - alive < grace || now - lastLook < grace) return;
  busy = true;
  lastLook = now;
  look().catch(() => {}).finally(() => { busy = false; });
}, Math.max(50, graceMs / 4));

async function look() {
  const session = new Session();
  session.connectToMainThread();
  const post = (method, params) => new Promise((resolve, reject) =>
    session.post(method, params, (err, result) => (err ? reject(err) : resolve(result))));
  try {
    const paused = new Promise((resolve) => {
      session.once("Debugger.paused", resolve);
      // the main thread got free meanwhile and runs no JavaScript to pause in
      setTimeout(() => resolve(null), 2 * graceMs);
    });
    await post("Debugger.enable");
    await post("Debugger.pause");
    const event = await paused;
    if (!event) return;
    const frame = event.params.callFrames[0];
    const answer = await post("Debugger.evaluateOnCallFrame", {
      callFrameId: frame.callFrameId,
      expression: "globalThis[Symbol.for(" + JSON.stringify(hook) + ")]?.() === true",
      returnByValue: true,
    });
    if (answer.result && answer.result.value === true) {
      // the transport has the culprit's outcome: the process dies with the input still spinning
      process.kill(process.pid, "SIGKILL");
      return;
    }
    await post("Debugger.resume");
  } finally {
    try { await post("Debugger.disable"); } catch {}
    session.disconnect();
  }
}
`;
