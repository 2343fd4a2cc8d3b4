/**
 * `POST /_gantry/calls`: how another local app calls this `gantry serve`'s functions and classes
 * (`Cls.fromName("my-app", "Model")` under `gantry run client.ts`, runtime/local/peers.ts). The
 * body is one msgpack call request as a container would send it (remote, spawn, result, cancel,
 * autoscaler: payloads stay packed), the answer the msgpack reply. Behind the operations token of
 * the server record (record.ts, readable only by its user), answered by the supervisor.
 */
import { request as httpRequest } from "node:http";
import { relative } from "node:path";
import { Packr } from "msgpackr";
import type { CallRequest, Peer, PeerResolver } from "../local/peers.ts";
import type { RequestReply } from "../local/pool.ts";
import { authorized } from "./ops.ts";
import { listRecords, type ServerRecord } from "./record.ts";

export const CALLS_PATH = "/_gantry/calls";
const OPS = new Set(["remote", "spawn", "result", "cancel", "autoscaler"]);
const packr = new Packr({ useRecords: false, moreTypes: false });

export async function handleCalls(request: Request, host: { token: string; call(req: CallRequest): Promise<RequestReply> }): Promise<Response> {
  if (!authorized(request.headers.get("authorization"), host.token)) {
    return Response.json({ error: "gantry serve's call route needs the token in its server record (gantry run reads it)" }, { status: 401 });
  }
  if (request.method !== "POST") return Response.json({ error: "POST only" }, { status: 405 });
  let req: CallRequest;
  try {
    req = packr.unpack(new Uint8Array(await request.arrayBuffer())) as CallRequest;
  } catch {
    return Response.json({ error: "the body is not a msgpack call request" }, { status: 400 });
  }
  if (!req || typeof req !== "object" || !OPS.has((req as { op?: string }).op ?? "")) {
    return Response.json({ error: `op must be one of ${[...OPS].join(", ")}` }, { status: 400 });
  }
  const reply = await host.call(req);
  return new Response(packr.pack(reply), { headers: { "content-type": "application/msgpack" } });
}

/** A peer that is a running `gantry serve`, found by its server record. */
export function servePeer(record: ServerRecord, shown: string): Peer {
  const via = `gantry serve of ${shown} at ${record.url}`;
  return {
    app: record.app,
    via,
    async request(req) {
      let answer: { status: number; body: Buffer };
      try {
        answer = await post(`${record.url}${CALLS_PATH}`, record.token, packr.pack(req));
      } catch (err) {
        throw new Error(`${record.app}: the ${via} (pid ${record.pid}) does not answer: ${(err as Error).message}`);
      }
      if (answer.status !== 200) throw new Error(`${record.app}: the ${via} answered ${answer.status}: ${answer.body.toString("utf8")}`);
      return packr.unpack(answer.body) as RequestReply;
    },
  };
}

/** One POST with node:http: a call may take longer than fetch's default 300 s wait for headers. */
function post(url: string, token: string, body: Uint8Array): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/msgpack", "content-length": body.byteLength },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** The peers of a local run found by server records: a running `gantry serve` of the app under `stateDir`. */
export function servedPeers(stateDir: string, cwd = process.cwd()): PeerResolver {
  const found = new Map<string, Peer>();
  return (app) => {
    const cached = found.get(app);
    if (cached) return cached;
    const record = listRecords(stateDir).find((r) => r.app === app);
    if (!record) return undefined;
    const peer = servePeer(record, relative(cwd, record.appFile) || record.appFile);
    found.set(app, peer);
    return peer;
  };
}
