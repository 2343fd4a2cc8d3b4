/**
 * Container side of `webServer({ port, startupTimeout }, start)`: runs `start()`, waits until
 * something accepts TCP connections on the port (startupTimeout seconds at most), then proxies
 * each forwarded request to it over HTTP/1.1 with keep-alive.
 */
import { request as httpRequest, Agent } from "node:http";
import { connect } from "node:net";
import type { SerializedRequest, SerializedResponse } from "./backend.ts";
import { concat } from "./http.ts";

export class WebServerStartupError extends Error {
  override name = "WebServerStartupError";
}

export interface ProxiedServer {
  (request: SerializedRequest): Promise<SerializedResponse>;
  /** runs start() and waits for the port (idempotent; the worker calls it during setup) */
  start(): Promise<void>;
  close(): void;
}

export function serveWebServer(options: { port: number; startupTimeout: number; start: () => unknown; pollMs?: number }): ProxiedServer {
  const agent = new Agent({ keepAlive: true });
  let started: Promise<string> | undefined;
  const start = () => (started ??= startAndWait(options));
  const proxy = async (request: SerializedRequest) => forward(agent, await start(), options.port, request);
  return Object.assign(proxy, {
    start: async () => void (await start()),
    close: () => agent.destroy(),
  });
}

async function startAndWait(options: { port: number; startupTimeout: number; start: () => unknown; pollMs?: number }): Promise<string> {
  const deadline = Date.now() + options.startupTimeout * 1000;
  let startError: unknown;
  let failed = false;
  try {
    // not awaited to completion: start() may resolve when listening, or run as long as the server does
    Promise.resolve(options.start()).catch((e) => { startError = e; failed = true; });
  } catch (e) {
    startError = e;
    failed = true;
  }
  for (;;) {
    if (failed) {
      const detail = startError instanceof Error ? startError.message : String(startError);
      throw new WebServerStartupError(`webServer: start() failed before port ${options.port} was listening: ${detail}`);
    }
    for (const host of ["127.0.0.1", "::1"]) if (await canConnect(host, options.port)) return host;
    if (Date.now() >= deadline) {
      throw new WebServerStartupError(`webServer: nothing listened on port ${options.port} within startupTimeout ${options.startupTimeout}s`);
    }
    await new Promise((r) => setTimeout(r, options.pollMs ?? 50));
  }
}

export function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
    socket.setTimeout(1000, () => done(false));
  });
}

function forward(agent: Agent, host: string, port: number, req: SerializedRequest): Promise<SerializedResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of req.headers) {
      const prev = headers[name];
      headers[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
    }
    if (req.body) headers["content-length"] = String(req.body.byteLength);
    const outgoing = httpRequest({ agent, host, port, method: req.method, path: req.url, headers }, (res) => {
      const chunks: Uint8Array[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", reject);
      res.on("end", () => {
        const out: [string, string][] = [];
        const raw = res.rawHeaders;
        for (let i = 0; i < raw.length; i += 2) out.push([raw[i].toLowerCase(), raw[i + 1]]);
        const body = concat(chunks);
        resolve({ status: res.statusCode ?? 502, headers: out, body: body.byteLength ? body : null });
      });
    });
    outgoing.on("error", reject);
    outgoing.end(req.body ?? undefined);
  });
}
