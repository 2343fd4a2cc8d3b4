/**
 * The other apps a `gantry run` can call (runtime/local/peers.ts): each `--with` app file runs in
 * this run (its own local runtime, state dir and containers) unless a `gantry serve` of that file
 * is running, which then takes its calls; any other app is looked for among the `gantry serve`s
 * running in this project.
 */
import { existsSync, statSync } from "node:fs";
import { relative, resolve } from "node:path";
import { analyzeApp, formatDiagnostics, summarizeDiagnostics } from "../synth/index.ts";
import { defaultStateDir, LocalRuntime, type LocalRuntimeOptions } from "../runtime/local/runtime.ts";
import type { Peer, PeerResolver } from "../runtime/local/peers.ts";
import { servedPeers, servePeer } from "../runtime/serve/calls.ts";
import { readRecord } from "../runtime/serve/record.ts";
import { UsageError } from "./main.ts";

export interface RunPeers {
  resolver: PeerResolver;
  /** the runtimes of `--with` apps that run here (stopped with the run) */
  runtimes: LocalRuntime[];
  /** one line per `--with` app: where its calls go */
  lines: string[];
  /** the run's own runtime, which `--with` apps call back into */
  attach(own: LocalRuntime): void;
}

/**
 * Analyses each `--with` file (its diagnostics printed; errors: null) and builds the peers.
 * `own` is the app of the run: a `--with` of the same app, or two of one app, is a usage error.
 */
export function runPeers(appFile: string, own: string, withFiles: string[], options: { color: boolean; output?: LocalRuntimeOptions["output"] }): RunPeers | null {
  const peers = new Map<string, Peer>();
  const runtimes: LocalRuntime[] = [];
  const lines: string[] = [];
  const fallback = servedPeers(defaultStateDir(appFile));
  const resolver: PeerResolver = (app) => peers.get(app) ?? fallback(app);
  // the `--with` apps call back into the run's own app through it
  let ownRuntime: LocalRuntime | undefined;
  const ownPeer: Peer = { app: own, via: "this run", request: (req) => ownRuntime!.callRequest(req) };
  let failed = false;
  for (const given of withFiles) {
    if (!existsSync(given) || !statSync(given).isFile()) throw new UsageError(`--with ${given}: no such file`);
    const file = resolve(given);
    const shown = relative(process.cwd(), file) || file;
    const analysis = analyzeApp(file);
    if (analysis.diagnostics.length) {
      process.stderr.write(formatDiagnostics(analysis.diagnostics, { color: options.color, cwd: process.cwd() }));
      process.stderr.write(`\n${summarizeDiagnostics(analysis.diagnostics)}\n`);
    }
    if (!analysis.spec) {
      failed = true;
      continue;
    }
    const app = analysis.spec.app.name;
    if (app === own) throw new UsageError(`--with ${given}: that is app "${app}", the app this run runs`);
    if (peers.has(app)) throw new UsageError(`--with ${given}: app "${app}" is given twice (${peers.get(app)!.via})`);
    const record = readRecord(defaultStateDir(file), file);
    if (record) {
      peers.set(app, servePeer(record, shown));
    } else {
      const runtime = new LocalRuntime({ spec: analysis.spec, appFile: file, secretValues: analysis.secretValues, peers: (a) => (a === own ? ownPeer : resolver(a)), ...(options.output ? { output: options.output } : {}) });
      runtimes.push(runtime);
      peers.set(app, { app, via: `${shown} in this run`, request: (req) => runtime.callRequest(req) });
    }
    lines.push(`gantry run: calls to app "${app}" go to ${peers.get(app)!.via}`);
  }
  return failed ? null : { resolver, runtimes, lines, attach: (rt) => void (ownRuntime = rt) };
}
