/**
 * The conformance suite's delivery rules (runtime/delivery.ts), run against every transport: the
 * setup timeout, crash redelivery and its limit, and neighbours in a @concurrent container — only
 * the input that ends a container is charged. A file of its own: each file gets its own time budget.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Cls } from "gantry";
import { MAX_REDELIVERIES } from "../../../runtime/delivery.ts";
import { TRANSPORTS, runs, scratch, until, type Harness } from "./harness.ts";

for (const [name, start] of TRANSPORTS) {
  describe(`conformance, delivery rules: ${name}`, { timeout: 280_000 }, () => {
    let h: Harness;
    before(async () => {
      h = await start();
    });
    after(async () => {
      await h?.stop();
    });

    test("setup timeout: an @enter slower than the timeout fails the call with ContainerSetupError", async () => {
      h.startUnit("SlowSetup");
      try {
        await assert.rejects(Cls.of(h.mod.SlowSetup).instance().run.remote(), (err: Error) => {
          assert.equal(err.name, "ContainerSetupError");
          return true;
        });
      } finally {
        await h.stopUnit("SlowSetup");
      }
    });

    test("a container killed (kill -9) mid-input: the input is redelivered, uncharged, and its result comes once", async () => {
      const dir = scratch(h, "crash-1");
      const call = h.mod.crashy.remote(dir, "k", "wait", 1);
      const pid = Number(await until(() => existsSync(join(dir, "k.pid")) && readFileSync(join(dir, "k.pid"), "utf8")));
      process.kill(pid, "SIGKILL");
      // no retries: an attempt charged for the crash would have failed the call
      assert.equal(await call, 2);
      assert.equal(runs(dir, "k"), 2);
    });

    test("crash limit: an input whose container dies every time fails with ContainerCrashedError after MAX_REDELIVERIES", async () => {
      const dir = scratch(h, "crash-2");
      await assert.rejects(h.mod.crashy.remote(dir, "k", "self", 100), (err: Error) => {
        assert.equal(err.name, "ContainerCrashedError");
        return true;
      });
      assert.equal(runs(dir, "k"), MAX_REDELIVERIES + 1);
    });

    for (const [deed, error] of [["exit", "ContainerCrashedError"], ["spin", "FunctionTimeoutError"]] as const) {
      const what = deed === "exit" ? "calls process.exit" : "blocks the event loop past its timeout";
      test(`neighbours: when one of 4 concurrent inputs ${what}, only it is charged; the others run again and succeed`, async () => {
        const dir = scratch(h, `neighbours-${deed}`);
        const n = Cls.of(h.mod.Neighbours).instance();
        const [culprit, ...innocent] = await Promise.allSettled([
          n.run.remote(dir, "c", "culprit", deed),
          ...["a", "b", "d"].map((k) => n.run.remote(dir, k, "innocent", deed)),
        ]);
        assert.equal(culprit.status, "rejected");
        assert.equal((culprit as PromiseRejectedResult).reason.name, error, String((culprit as PromiseRejectedResult).reason));
        // no retries: an innocent input charged for its neighbour would have failed
        assert.deepEqual(innocent.map((r) => (r.status === "fulfilled" ? r.value : String(r.reason))), [2, 2, 2]);
        assert.equal(runs(dir, "c"), 1, "the culprit is not redelivered");
      });
    }

  });
}
