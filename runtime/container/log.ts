/**
 * The container's structured logs: pino JSON lines on stderr (awslogs ships them to CloudWatch),
 * at the contract's `logLevel` (`GANTRY_LOG_LEVEL`, default "info": one line per input with call
 * id, function, attempt and duration). Secrets never reach a log line: fields named like env/secrets are
 * redacted, and the values of secrets loaded at start are masked wherever they appear.
 */
import { writeSync } from "node:fs";
import { pino, type Logger } from "pino";

export type { Logger };

const MASK = "[secret]";

export interface ContainerLogger {
  log: Logger;
  /** values that must never appear in a log line (secret values) */
  addSecrets(values: Iterable<string>): void;
}

export function containerLogger(bindings: Record<string, unknown>, options: { level: string; write?: (line: string) => void }): ContainerLogger {
  const secrets = new Set<string>();
  const write = options.write ?? ((line: string) => void writeSync(2, line));
  const destination = {
    write(line: string) {
      let out = line;
      for (const s of secrets) {
        out = out.split(s).join(MASK);
        // how the value looks inside a JSON string
        const escaped = JSON.stringify(s).slice(1, -1);
        if (escaped !== s) out = out.split(escaped).join(MASK);
      }
      write(out);
    },
  };
  const log = pino({
    level: options.level,
    base: { pid: process.pid, ...bindings },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ["env", "*.env", "secrets", "*.secrets", "headers.authorization", "*.headers.authorization"], censor: "[redacted]" },
  }, destination);
  return {
    log,
    addSecrets(values) {
      // very short values would mask unrelated text; they are not worth a secret store anyway
      for (const v of values) if (typeof v === "string" && v.length >= 4) secrets.add(v);
    },
  };
}
