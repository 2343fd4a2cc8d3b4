/**
 * A benchmark's container: a no-op function app bundled as the image bundles it
 * (provider/aws/bundle.ts, the same entry on every target), its contract, the process started from
 * the bundle and watched through its health port.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { bundleApp } from "../provider/aws/bundle.ts";
import { encodeContainerEnv, type ContainerContractInput } from "../runtime/contract.ts";
import { DEFAULTS } from "../synth/spec.ts";
import type { Invoker } from "../sdk/invoker.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

export interface NoopBundle {
  main: string;
  app: string;
  /** removes the build directory */
  remove(): void;
}

/** `app` with one function `noop` (x => x), bundled inside the project (its build directory, so `import "gantry"` resolves as in a user's project). */
export async function bundleNoop(appName: string): Promise<NoopBundle> {
  const work = `.gantry/${appName}`;
  const dir = join(ROOT, work);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "app.ts"), `import { App } from "gantry";\nexport const app = new App(${JSON.stringify(appName)});\nexport const noop = app.function({}, async (x: number) => x);\n`);
  const built = await bundleApp(ROOT, `${work}/app.ts`, `${work}/bundle`, []);
  return { main: join(ROOT, built.dir, built.entry), app: join(ROOT, built.dir, "app.mjs"), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The environment a container of `noop` gets: its contract with this transport. */
export function noopContractEnv(appName: string, appFile: string, maxInputs: number, transport: ContainerContractInput["transport"]): Record<string, string> {
  return encodeContainerEnv({
    app: appName, stack: "bench", specHash: "bench", kind: "function", declaration: "noop", unit: "noop", appFile,
    timeout: 60, setupTimeout: 60, retries: DEFAULTS.retries, maxInputs, batching: {}, idleExit: null, stopTimeout: 120,
    healthPort: 0, httpPort: null, logLevel: "info", volumes: {}, transport,
  });
}

/** Starts the bundled container entry; resolves once it logged its health port. */
export async function startContainer(main: string, env: Record<string, string>): Promise<{ child: ChildProcess; healthPort: number }> {
  const child = spawn(process.execPath, [main], { env, stdio: ["ignore", "ignore", "pipe"] });
  const healthPort = await new Promise<number>((resolve, reject) => {
    let seen = "";
    child.stderr!.on("data", (chunk: Buffer) => {
      if (seen.length > 100_000) return; // only the first lines matter
      seen += chunk.toString();
      const m = seen.match(/"healthPort":(\d+)/);
      if (m) resolve(Number(m[1]));
    });
    child.once("exit", (code) => reject(new Error(`the container exited (${code}):\n${seen.slice(-2000)}`)));
  });
  child.stderr!.resume();
  return { child, healthPort };
}

/** Polls the container's /livez until it reports `n` completed inputs; returns inputs/s from the first one on. */
export async function drainRate(healthPort: number, n: number): Promise<number> {
  const completed = async () => ((await (await fetch(`http://127.0.0.1:${healthPort}/livez`)).json()) as { completed: number }).completed;
  let first: { at: number; count: number } | null = null;
  const deadline = Date.now() + 300_000;
  while (Date.now() < deadline) {
    const count = await completed();
    if (!first && count > 0) first = { at: performance.now(), count };
    if (count >= n && first) return (count - first.count) / ((performance.now() - first.at) / 1000);
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error("the worker did not finish within 300 s");
}

/**
 * Worker throughput: `n` calls of `noop` queued up front through `invoker`, then one container
 * (`env`) drains them; inputs/s from its first completed input on, every result checked.
 */
export async function drainQueued(invoker: Invoker, appName: string, main: string, env: Record<string, string>, n: number): Promise<number> {
  const target = { app: appName, name: "noop" };
  const ids = await Promise.all(Array.from({ length: n }, (_, i) => invoker.spawn(target, [i])));
  const { child, healthPort } = await startContainer(main, env);
  try {
    const rate = await drainRate(healthPort, n);
    // every result is there, and right
    const results = await Promise.all(ids.map((id) => invoker.result(id, {})));
    if (results.some((r, i) => r !== i)) throw new Error("wrong results");
    return rate;
  } finally {
    child.kill("SIGTERM");
  }
}
