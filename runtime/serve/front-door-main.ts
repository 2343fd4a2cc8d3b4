/**
 * Entry of a front-door process of `gantry serve` (`node --import tsx front-door-main.ts`, with an
 * IPC channel to the supervisor). One per version of the app: a fresh process is the only way to
 * import changed code (and everything it imports) again, and the old version's module state goes
 * away with its process.
 *
 * It analyses the app (the same static analysis as `gantry spec`), serves the spec's routes (the
 * web layer, runtime/web) on a loopback port, and imports the app only to check that it loads. The code of functions
 * never runs here: calls and forwarded requests go to the supervisor's local runtime over IPC.
 */
import { inspect } from "node:util";
import { analyzeApp, formatDiagnostics, summarizeDiagnostics } from "../../synth/index.ts";
import { importApp } from "../worker/target.ts";
import { createWebHandlerForSpec, type WebHandler, type WebLogger } from "../web/handler.ts";
import { routeSummary } from "../web/routes.ts";
import { listen, type Listening } from "../web/node.ts";
import type { WebBackend } from "../web/backend.ts";
import { fromWireError, type FromFrontDoor, type RouteInfo, type RpcRequest, type StartMessage, type ToFrontDoor } from "./protocol.ts";
import { projectImports } from "./imports.ts";

// Ctrl-C in a terminal reaches the whole process group: the supervisor decides when we stop
process.on("SIGINT", () => {});

let nextRid = 1;
const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
let listening: Listening | null = null;
let web: WebHandler | null = null;

function send(message: FromFrontDoor): Promise<void> {
  return new Promise((resolve) => {
    if (!process.connected) return resolve();
    process.send!(message, undefined, {}, () => resolve());
  });
}

function rpc(request: RpcRequest): Promise<any> {
  const rid = nextRid++;
  return new Promise((resolve, reject) => {
    if (!process.connected) return reject(new Error("gantry serve went away"));
    pending.set(rid, { resolve, reject });
    process.send!({ t: "rpc", rid, ...request } satisfies FromFrontDoor, undefined, {}, (err: Error | null) => {
      if (!err) return;
      // a value that cannot be cloned (a function in a parsed body cannot happen; be safe anyway)
      pending.delete(rid);
      reject(err);
    });
  });
}

const backend: WebBackend = {
  spawn: (target, args) => rpc({ op: "spawn", target, args }),
  result: (callId, { timeoutMs }) => rpc({ op: "result", callId, timeoutMs }),
  forward: (target, request) => rpc({ op: "forward", target, request }),
};

/** One line per request, and the web layer's warnings (its error summaries, never stacks or bodies). */
const accessLog: WebLogger = {
  info(fields) {
    const f = fields as { method?: string; path?: string; status?: number; ms?: number };
    if (f.method && f.status !== undefined) process.stdout.write(`[web] ${f.method} ${f.path} ${f.status} (${f.ms} ms)\n`);
  },
  warn: (fields, message) => void process.stderr.write(`[web] ${message ?? "warning"}: ${describe(fields)}\n`),
  error: (fields, message) => void process.stderr.write(`[web] ${message ?? "error"}: ${describe(fields)}\n`),
};

function describe(fields: object): string {
  const f = fields as { declaration?: string; callId?: string; error?: { type: string; message: string }; err?: unknown };
  const what = f.error ? `${f.error.type}: ${f.error.message}` : f.err instanceof Error ? `${f.err.name}: ${f.err.message}` : "";
  // the call id is what a caller's generic 500 names: it finds this line
  return [f.declaration, f.callId && `(call ${f.callId})`, what].filter(Boolean).join(" ");
}

async function start(message: StartMessage): Promise<void> {
  const files = projectImports(message.appFile);
  const analysis = analyzeApp(message.appFile);
  let diagnostics: string | null = null;
  if (analysis.diagnostics.length) {
    diagnostics = formatDiagnostics(analysis.diagnostics, { color: message.color, cwd: message.cwd }) +
      `\n${summarizeDiagnostics(analysis.diagnostics)}\n`;
  }
  const spec = analysis.spec;
  if (!spec) {
    await send({ t: "failed", reason: "diagnostics", text: diagnostics ?? "", files });
    process.exit(1);
  }
  let routes: RouteInfo[];
  try {
    // the code must load (a broken import is reported here, before any call); the routes and
    // their body schemas come from the spec, as the Lambda gateway gets them (runtime/web/schema.ts)
    await importApp(message.appFile, spec.app.name);
    web = createWebHandlerForSpec(spec, {
      backend, tokens: message.tokens, signingKey: message.signingKey, logger: accessLog,
      ...(message.syncWindowMs !== undefined ? { syncWindowMs: message.syncWindowMs } : {}),
    });
    routes = web.routes.map(routeSummary);
    listening = await listen(web, { port: 0, host: "127.0.0.1" });
  } catch (err) {
    await send({ t: "failed", reason: "error", text: `could not load the app: ${inspect(err, { colors: message.color })}`, files });
    process.exit(1);
  }
  await send({ t: "ready", url: listening.url, routes, spec, secretValues: analysis.secretValues, files, diagnostics });
}

async function drain(graceMs: number): Promise<void> {
  await listening?.close({ graceMs });
  web?.close();
  process.disconnect?.();
  process.exit(0);
}

process.on("message", (message: ToFrontDoor) => {
  switch (message.t) {
    case "start":
      void start(message);
      return;
    case "reply": {
      const p = pending.get(message.rid);
      if (!p) return;
      pending.delete(message.rid);
      if (message.ok) p.resolve(message.value);
      else p.reject(fromWireError(message.error));
      return;
    }
    case "drain":
      void drain(message.graceMs);
      return;
  }
});

// the supervisor is gone (killed): nobody can answer our calls any more
process.on("disconnect", () => {
  for (const p of pending.values()) p.reject(new Error("gantry serve went away"));
  pending.clear();
  void drain(1000);
});
