/**
 * The container's structured logs: pino JSON lines on stderr (awslogs ships them to CloudWatch),
 * at the contract's `logLevel` (`GANTRY_LOG_LEVEL`, default "info": one line per input with call
 * id, function, attempt and duration). Secrets never reach a log line: fields named like env/secrets are
 * redacted, and the values of secrets loaded at start are masked wherever they appear.
 */
import { writeSync } from "node:fs";
import { pino, type Logger } from "pino";
import { SecretMask } from "../secret-mask.ts";

export type { Logger };

export interface ContainerLogger {
  log: Logger;
  /** values that must never appear in a log line (secret values) */
  addSecrets(values: Iterable<string>): void;
}

export function containerLogger(bindings: Record<string, unknown>, options: { level: string; write?: (line: string) => void }): ContainerLogger {
  const secrets = new SecretMask();
  const write = options.write ?? ((line: string) => void writeSync(2, line));
  const destination = { write: (line: string) => write(secrets.mask(line)) };
  const log = pino({
    level: options.level,
    base: { pid: process.pid, ...bindings },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ["env", "*.env", "secrets", "*.secrets", "headers.authorization", "*.headers.authorization"], censor: "[redacted]" },
  }, destination);
  return {
    log,
    addSecrets: (values) => secrets.add(values),
  };
}
