/**
 * Noticing that the process which started this one has died. A process cannot ask the kernel to
 * be told (prctl's parent-death signal is not reachable from Node), but an orphan is re-parented
 * (to init or the nearest subreaper), so `process.ppid`, which Node reads afresh each time,
 * changes. `gantry run` uses this to stop its containers when the wrapper that started it is
 * killed (`npx` puts `npm exec` and `sh -c` between the user and gantry, and a SIGTERM to npm
 * stops at the shell); containers use it next to their pipe closing.
 */
import { readFileSync } from "node:fs";

export interface ParentWatch {
  /** stops watching */
  stop(): void;
}

export interface ParentWatchOptions {
  /** how often to look (ms, default 250) */
  everyMs?: number;
  /**
   * When the parent is a `sh -c` wrapper (as `npx` and `npm run` start their commands), watch
   * its parent too: a `kill -9` of npm leaves the shell alive, waiting for us. Linux only.
   */
  throughShell?: boolean;
}

/**
 * Calls `onExit` once, within about `everyMs`, after the current parent process exits (with the
 * pid of the process that went away). The timer does not keep this process alive. It watches the
 * parent of the moment it starts.
 */
export function watchParent(onExit: (parentPid: number) => void, options: ParentWatchOptions = {}): ParentWatch {
  const parent = process.ppid;
  const wrapped = options.throughShell ? shellParent(parent) : null;
  const timer = setInterval(() => {
    let gone: number | null = null;
    if (process.ppid !== parent) gone = parent;
    else if (wrapped !== null && parentOf(parent) !== wrapped) gone = wrapped;
    if (gone === null) return;
    clearInterval(timer);
    onExit(gone);
  }, options.everyMs ?? 250);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

const SHELLS = new Set(["sh", "dash", "bash", "zsh", "ash", "ksh"]);

/** The parent of `pid` when `pid` is a shell running `-c`; null otherwise (or off Linux). */
function shellParent(pid: number): number | null {
  if (process.platform !== "linux") return null;
  try {
    if (!SHELLS.has(readFileSync(`/proc/${pid}/comm`, "utf8").trim())) return null;
    if (!readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").includes("-c")) return null;
    return parentOf(pid);
  } catch {
    return null;
  }
}

/** The parent pid of `pid` (Linux /proc), null when it is gone. */
function parentOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // the command name (field 2) may hold spaces and parentheses: fields resume after the last ")"
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return null;
  }
}
