/**
 * The server record: how `gantry logs` / `gantry status` without `--stack` find the `gantry serve`
 * running an app. `gantry serve` writes `<state dir>/serve/<hash of the app file>.json` (mode 0600,
 * in a 0700 directory) with its URL, pid and the operations token, and removes it when it stops.
 * A record whose process is gone (the server was killed) counts as none.
 */
import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

export interface ServerRecord {
  app: string;
  appFile: string;
  url: string;
  pid: number;
  /** the bearer token of `/_gantry/ops/*` (runtime/serve/ops.ts) */
  token: string;
  startedAt: string;
}

export function recordPath(stateDir: string, appFile: string): string {
  const key = createHash("sha256").update(resolve(appFile)).digest("hex").slice(0, 16);
  return join(stateDir, "serve", `${key}.json`);
}

export function writeRecord(stateDir: string, record: ServerRecord): string {
  const file = recordPath(stateDir, record.appFile);
  mkdirSync(join(stateDir, "serve"), { recursive: true, mode: 0o700 });
  writeFileSync(file, JSON.stringify(record, null, 2), { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}

/** Removes the record when it is still this process's (a newer server may have replaced it). */
export function removeRecord(stateDir: string, appFile: string, pid = process.pid): void {
  const file = recordPath(stateDir, appFile);
  const current = readRecordFile(file);
  if (current && current.pid === pid) rmSync(file, { force: true });
}

/** The live server's record for the app, or null. */
export function readRecord(stateDir: string, appFile: string): ServerRecord | null {
  const record = readRecordFile(recordPath(stateDir, appFile));
  return record && alive(record.pid) ? record : null;
}

function readRecordFile(file: string): ServerRecord | null {
  try {
    const value = JSON.parse(readFileSync(file, "utf8")) as ServerRecord;
    return typeof value.url === "string" && typeof value.token === "string" && typeof value.pid === "number" ? value : null;
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Every live server's record under the state dir (`gantry app list`). */
export function listRecords(stateDir: string): ServerRecord[] {
  let names: string[];
  try {
    names = readdirSync(join(stateDir, "serve"));
  } catch {
    return [];
  }
  return names.filter((n) => n.endsWith(".json")).map((n) => readRecordFile(join(stateDir, "serve", n)))
    .filter((r): r is ServerRecord => r !== null && alive(r.pid))
    .sort((a, b) => a.appFile.localeCompare(b.appFile));
}
