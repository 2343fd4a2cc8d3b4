/** A benchmark's container process: started from the image's bundle, watched through its health port. */
import { spawn, type ChildProcess } from "node:child_process";

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
