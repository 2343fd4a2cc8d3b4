/**
 * Test helpers for the local runtime: analyse a fixture app with the real static analysis, start a
 * LocalRuntime on it (state and secret store in temp dirs), and import the fixture for its handles.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { analyzeApp, formatDiagnostics } from "../../synth/index.ts";
import { setInvoker } from "../../sdk/invoker.ts";
import { LocalRuntime, type LocalRuntimeOptions } from "../../runtime/local/runtime.ts";
import { importApp } from "../../runtime/worker/target.ts";

export function fixturePath(name: string): string {
  return fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
}

export function tempDir(prefix = "gantry-rt-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface Started<M> {
  runtime: LocalRuntime;
  mod: M;
  /** container output lines, prefixed `[label] ` */
  lines: string[];
  stateDir: string;
  home: string;
  stop(): Promise<void>;
}

export async function startRuntime<M = Record<string, any>>(
  fixture: string,
  options: Partial<LocalRuntimeOptions> = {},
): Promise<Started<M>> {
  const appFile = fixturePath(fixture);
  const analysis = analyzeApp(appFile);
  assert.ok(analysis.spec, formatDiagnostics(analysis.diagnostics, { color: false, cwd: process.cwd() }));
  const stateDir = options.stateDir ?? tempDir("gantry-state-");
  const home = options.gantryHome ?? tempDir("gantry-home-");
  const lines: string[] = [];
  const runtime = new LocalRuntime({
    spec: analysis.spec,
    appFile,
    secretValues: analysis.secretValues,
    stateDir,
    gantryHome: home,
    output: { stdout: (l) => lines.push(l), stderr: (l) => lines.push(l) },
    stopGraceMs: 5000,
    ...options,
  });
  setInvoker(runtime);
  await importApp(appFile, analysis.spec.app.name);
  const mod = (await import(appFile)) as M;
  return {
    runtime, mod, lines, stateDir, home,
    async stop() {
      await runtime.shutdown();
      setInvoker(undefined);
      if (!options.stateDir) rmSync(stateDir, { recursive: true, force: true });
      if (!options.gantryHome) rmSync(home, { recursive: true, force: true });
    },
  };
}

/** Polls `check` until it returns a truthy value (the test's own timeout bounds the wait). */
export async function waitFor<T>(check: () => T | Promise<T>, everyMs = 20): Promise<NonNullable<T>> {
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Collects runtime events of one kind. */
export function record<E = Record<string, unknown>>(runtime: LocalRuntime, event: string): E[] {
  const seen: E[] = [];
  runtime.events.on(event, (e: E) => seen.push(e));
  return seen;
}
