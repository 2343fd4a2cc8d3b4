/**
 * The wake path from zero (runtime/aws/waker.ts): the ECS commands a caller sends, exactly, with
 * the SDK's own command objects, against a stand-in that keeps a service's desired count.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Waker, wakeCount, AWAKE_RECHECK_MS } from "../../../runtime/aws/waker.ts";
import { wakeTargetsOf } from "../../../runtime/aws/invoker.ts";

interface Sent { command: string; input: Record<string, unknown> }

function ecsStandIn(desired = 0, fail?: string, tags: Array<{ key: string; value: string }> = []) {
  const sent: Sent[] = [];
  const state = { desired };
  return {
    sent,
    state,
    client: {
      async send(command: { constructor: { name: string }; input: Record<string, unknown> }) {
        sent.push({ command: command.constructor.name, input: command.input });
        if (fail) throw Object.assign(new Error(fail), { name: "AccessDeniedException" });
        if (command.constructor.name === "UpdateServiceCommand") {
          state.desired = command.input.desiredCount as number;
          return { service: { desiredCount: state.desired } };
        }
        return { services: [{ serviceName: "s", desiredCount: state.desired, runningCount: 0, tags }] };
      },
    },
  };
}

const target = { resourceId: "service/gantry-dev/llama-inference", targetInputs: 6, maxContainers: 5 };

describe("waking a unit at zero", () => {
  it("one input: DescribeServices, then UpdateService to exactly one task", async () => {
    const ecs = ecsStandIn(0);
    const waker = new Waker({ targets: { LlamaInference: target }, ecs: async () => ecs.client });
    await waker.wake("LlamaInference");
    assert.deepEqual(ecs.sent, [
      { command: "DescribeServicesCommand", input: { cluster: "gantry-dev", services: ["llama-inference"], include: ["TAGS"] } },
      { command: "UpdateServiceCommand", input: { cluster: "gantry-dev", service: "llama-inference", desiredCount: 1 } },
    ]);
  });

  it("inputs sent together are counted into one wake: ceil(inputs / targetInputs), at most maxContainers", async () => {
    const ecs = ecsStandIn(0);
    const waker = new Waker({ targets: { LlamaInference: target }, ecs: async () => ecs.client });
    await Promise.all([...Array(13)].map(() => waker.wake("LlamaInference")));
    assert.equal(ecs.sent.filter((s) => s.command === "UpdateServiceCommand").length, 1);
    assert.equal(ecs.state.desired, 3, "13 inputs at 6 per container");
    assert.deepEqual([wakeCount(target, 1), wakeCount(target, 6), wakeCount(target, 7), wakeCount(target, 1000)], [1, 1, 2, 5]);
  });

  it("a unit already asked for is left to target tracking, and not asked about again for a while", async () => {
    let now = 1_000_000;
    const ecs = ecsStandIn(2);
    const waker = new Waker({ targets: { LlamaInference: target }, ecs: async () => ecs.client, now: () => now });
    await waker.wake("LlamaInference", 40);
    assert.deepEqual(ecs.sent.map((s) => s.command), ["DescribeServicesCommand"], "never lowered or raised from 2");
    await waker.wake("LlamaInference");
    assert.equal(ecs.sent.length, 1, "within the recheck window: no call at all");
    now += AWAKE_RECHECK_MS + 1;
    ecs.state.desired = 0;
    await waker.wake("LlamaInference");
    assert.deepEqual(ecs.sent.map((s) => s.command), ["DescribeServicesCommand", "DescribeServicesCommand", "UpdateServiceCommand"]);
  });

  it("a failed wake is logged and never fails the call", async () => {
    const ecs = ecsStandIn(0, "not authorized to perform: ecs:UpdateService");
    const logged: string[] = [];
    const waker = new Waker({ targets: { LlamaInference: target }, ecs: async () => ecs.client, log: (m) => logged.push(m) });
    await waker.wake("LlamaInference");
    assert.match(logged.join("\n"), /could not wake LlamaInference: not authorized to perform: ecs:UpdateService/);
  });

  it("a unit gantry stop stopped (its service tagged gantry:stopped) is not woken, and not asked about again for a while", async () => {
    const ecs = ecsStandIn(0, undefined, [{ key: "gantry:app", value: "a" }, { key: "gantry:stopped", value: "min=0 max=5 desired=0 schedules= at=2026-12-04T21:00:00Z" }]);
    const logged: string[] = [];
    const waker = new Waker({ targets: { LlamaInference: target }, ecs: async () => ecs.client, log: (m) => logged.push(m) });
    await waker.wake("LlamaInference", 3);
    await waker.wake("LlamaInference");
    assert.deepEqual(ecs.sent, [
      { command: "DescribeServicesCommand", input: { cluster: "gantry-dev", services: ["llama-inference"], include: ["TAGS"] } },
    ]);
    assert.equal(ecs.state.desired, 0);
    assert.deepEqual(logged, ["LlamaInference is stopped (gantry stop): its inputs wait on its queue until gantry start"]);
  });

  it("units without a wake target (web servers, min > 0) are not touched", async () => {
    const ecs = ecsStandIn(0);
    const waker = new Waker({ targets: {}, ecs: async () => ecs.client });
    await waker.wake("api");
    assert.deepEqual(ecs.sent, []);
  });

  it("the caller config's wake table joins the scaling targets", () => {
    const targets = wakeTargetsOf({
      queues: {}, resultsTable: "t", bucket: "b", maxMessageBytes: 1, resultTtlDays: 1,
      scalingTargets: { LlamaInference: target.resourceId, api: "service/gantry-dev/api" },
      wake: { LlamaInference: { targetInputs: 6, maxContainers: 5 }, orphan: { targetInputs: 1, maxContainers: 1 } },
    });
    assert.deepEqual(targets, { LlamaInference: target });
  });
});
