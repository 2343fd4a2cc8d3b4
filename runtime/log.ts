/**
 * The runtime's structured logs (pino, JSON lines on stderr). User output is not logged here: a
 * container's stdout/stderr is forwarded to the terminal line by line, prefixed by the container.
 * Level from `GANTRY_LOG_LEVEL` (default "warn", so a normal `gantry run` prints only problems).
 */
import { pino, type Logger } from "pino";

export type { Logger };

let root: Logger | undefined;

export function rootLogger(): Logger {
  root ??= pino(
    {
      name: "gantry",
      level: process.env.GANTRY_LOG_LEVEL ?? "warn",
      base: { pid: process.pid },
      // secrets reach containers through env vars; never log those
      redact: { paths: ["env", "*.env", "secrets", "*.secrets"], censor: "[redacted]" },
    },
    pino.destination({ fd: 2, sync: true }),
  );
  return root;
}

export function logger(component: string, bindings: Record<string, unknown> = {}): Logger {
  return rootLogger().child({ component, ...bindings });
}
