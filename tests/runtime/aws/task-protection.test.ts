/**
 * Task scale-in protection (runtime/aws/task-protection.ts) against a real HTTP server standing in
 * for the ECS agent's endpoint: the requests a worker sends, exactly, as its inputs start and end.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { after, before, describe, it } from "node:test";
import { TaskProtection, withTaskProtection } from "../../../runtime/aws/task-protection.ts";
import type { Transport, WorkInput } from "../../../runtime/worker/transport.ts";

let server: Server;
let agentUri = "";
let answer: (body: unknown) => { status: number; json: unknown } = () => ({ status: 200, json: { protection: {} } });
const requests: Array<{ method: string; path: string; body: unknown }> = [];

before(async () => {
  server = createServer((req, res) => {
    let text = "";
    req.on("data", (c) => (text += c));
    req.on("end", () => {
      const body = JSON.parse(text || "null");
      requests.push({ method: req.method!, path: req.url!, body });
      const a = answer(body);
      res.writeHead(a.status, { "content-type": "application/json" }).end(JSON.stringify(a.json));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const address = server.address() as { port: number };
  agentUri = `http://127.0.0.1:${address.port}/api/task-1`;
});
after(() => server.close());

function fakeTransport(batches: WorkInput[][]): Transport & { completed: number } {
  const t = {
    completed: 0,
    ready: async () => {},
    setupFailed: async () => {},
    receive: async () => batches.shift() ?? [],
    complete: async () => {
      t.completed++;
    },
    handBack: async () => {},
    close: async () => {},
  };
  return t;
}
const input = (id: string) => ({ id }) as unknown as WorkInput;
const settle = () => new Promise((r) => setTimeout(r, 150));

describe("task scale-in protection", () => {
  it("on when the first input starts, for the input's timeout plus a margin; off once idle", async () => {
    requests.length = 0;
    const protection = new TaskProtection({ agentUri, inputSeconds: 900, releaseAfterMs: 50 });
    const t = withTaskProtection(fakeTransport([[input("a"), input("b")], [input("c")]]), protection);
    const signal = new AbortController().signal;
    const first = (await t.receive(2, signal))!;
    await t.complete(first[0], { ok: true } as never);
    const second = (await t.receive(1, signal))!;
    await t.complete(first[1], { ok: true } as never);
    await settle();
    assert.equal(requests.length, 1, "still busy with c: not released, not asked again");
    await t.complete(second[0], { ok: true } as never);
    await settle();
    assert.deepEqual(requests, [
      { method: "PUT", path: "/api/task-1/task-protection/v1/state", body: { ProtectionEnabled: true, ExpiresInMinutes: 17 } },
      { method: "PUT", path: "/api/task-1/task-protection/v1/state", body: { ProtectionEnabled: false } },
    ]);
  });

  it("inputs handed back on a stop count as ended, and close releases at once", async () => {
    requests.length = 0;
    const protection = new TaskProtection({ agentUri, inputSeconds: 60, releaseAfterMs: 60_000 });
    const t = withTaskProtection(fakeTransport([[input("a"), input("b")]]), protection);
    const inputs = (await t.receive(2, new AbortController().signal))!;
    await t.handBack!(inputs);
    await t.close();
    assert.deepEqual(requests.map((r) => r.body), [{ ProtectionEnabled: true, ExpiresInMinutes: 3 }, { ProtectionEnabled: false }]);
  });

  it("a refusal from the agent (HTTP error or a failure body) is logged, and the input goes on", async () => {
    requests.length = 0;
    const logged: string[] = [];
    answer = () => ({ status: 200, json: { failure: { Arn: "arn:task", Reason: "TASK_NOT_VALID" } } });
    try {
      const protection = new TaskProtection({ agentUri, inputSeconds: 60, releaseAfterMs: 10, log: (m) => logged.push(m) });
      const t = withTaskProtection(fakeTransport([[input("a")]]), protection);
      const [a] = (await t.receive(1, new AbortController().signal))!;
      await t.complete(a, { ok: true } as never);
      await t.close();
      assert.match(logged.join("\n"), /task scale-in protection on failed: TASK_NOT_VALID/);
    } finally {
      answer = () => ({ status: 200, json: { protection: {} } });
    }
  });

  it("the expiry stays within the agent's 1 to 2,880 minutes", () => {
    assert.equal(new TaskProtection({ agentUri, inputSeconds: 1 }).expiresInMinutes, 3);
    assert.equal(new TaskProtection({ agentUri, inputSeconds: 86400 * 3 }).expiresInMinutes, 2880);
  });
});
