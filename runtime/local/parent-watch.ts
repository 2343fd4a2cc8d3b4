/**
 * Noticing that the process which started this one has died. A process cannot ask the kernel to
 * be told (prctl's parent-death signal is not reachable from Node), but an orphan is re-parented
 * (to init or the nearest subreaper), so `process.ppid`, which Node reads afresh each time,
 * changes. `gantry run` uses this to stop its containers when the wrapper that started it is
 * killed (`npx` puts `npm exec` and `sh -c` between the user and gantry, and a SIGTERM to npm
 * stops at the shell); containers use it next to their pipe closing.
 */

export interface ParentWatch {
  /** stops watching */
  stop(): void;
}

/**
 * Calls `onExit` once, within about `everyMs`, after the current parent process exits. The timer
 * does not keep this process alive. It watches the parent of the moment it starts.
 */
export function watchParent(onExit: (parentPid: number) => void, options: { everyMs?: number } = {}): ParentWatch {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    onExit(parent);
  }, options.everyMs ?? 250);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
