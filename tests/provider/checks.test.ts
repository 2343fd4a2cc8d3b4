/** What every target checks before declaring anything (provider/checks.ts), and how a plan reports it. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkSpec } from "../../provider/checks.ts";
import { SynthError } from "../../provider/errors.ts";
import { app, cls, ENTRY, fn, gpu } from "./fixtures/specs.ts";
import { planOf } from "./plan-view.ts";

const at = (line: number, column = 1) => ({ file: ENTRY, line, column });

describe("target-neutral checks", () => {
  it("an image that is not in the spec, for a function, a class and a variant", () => {
    const model = cls("Model", 5, { image: "img-missing" });
    model.variants = [{ id: "Model[gpu=T4]", options: { ...model.options, image: "img-gone" }, concurrency: null, batching: {}, overrides: {}, source: at(9, 3) }];
    assert.deepEqual(checkSpec(app({ functions: [fn("square", 2, { image: "img-nope" })], classes: [model] })), [
      `${ENTRY}:2:1: square: image img-nope is not in the spec`,
      `${ENTRY}:5:1: Model: image img-missing is not in the spec`,
      `${ENTRY}:9:3: Model[gpu=T4]: image img-gone is not in the spec`,
    ]);
  });

  it("a cron in a timezone that does not exist, at the schedule's location", () => {
    const report = fn("report", 3, {}, { schedule: { kind: "cron", expression: "0 9 * * *", timezone: "Mars/Olympus", source: at(3, 40) } });
    assert.deepEqual(checkSpec(app({ functions: [report] })), [`${ENTRY}:3:40: unknown timezone "Mars/Olympus" (an IANA name such as Europe/Paris)`]);
    assert.deepEqual(checkSpec(app({ functions: [fn("ok", 3, {}, { schedule: { kind: "cron", expression: "0 9 * * *", timezone: "Europe/Paris", source: at(3, 40) } })] })), []);
  });

  it("the program refuses them with the target's own problems, all at once, before any resource", async () => {
    await assert.rejects(
      planOf(app({ functions: [fn("square", 2, { image: "img-nope" }), fn("huge", 7, { gpu: gpu("T4"), memory: 64000, maxContainers: 1 })] })),
      (err: unknown) => {
        assert.ok(err instanceof SynthError);
        assert.equal(err.problems[0], `${ENTRY}:2:1: square: image img-nope is not in the spec`);
        assert.match(err.problems[1], /huge: memory 64000 MiB does not fit g4dn.xlarge/);
        return true;
      },
    );
  });
});
