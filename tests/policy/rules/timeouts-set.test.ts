import { test } from "node:test";
import assert from "node:assert/strict";
import { timeoutsSet } from "../../../policy/rules/timeouts-set.ts";
import { cls, fn, resource, spec, at } from "../helpers.ts";
import { check } from "./_check.ts";

test("passes: explicit timeouts within the bound, queues that outlast them", () => {
  const s = spec({ functions: [fn("f", 4, { timeout: 600, maxContainers: 1 })] });
  const queue = resource("aws:sqs/queue:Queue", "f-queue", { visibilityTimeoutSeconds: 660, redrivePolicy: "{}" }, "f", at(4));
  const dlq = resource("aws:sqs/queue:Queue", "f-dlq", { visibilityTimeoutSeconds: 30 }, "f", at(4));
  assert.deepEqual(check(timeoutsSet, s, { maxSeconds: 3600 }, "prod", [queue, dlq]), []);
});

test("fails: a default timeout, one over the bound, and a queue that would deliver twice", () => {
  const s = spec({ functions: [fn("a", 4), fn("b", 9, { timeout: 7200 })] });
  const queue = resource("aws:sqs/queue:Queue", "b-queue", { visibilityTimeoutSeconds: 7200, redrivePolicy: "{}" }, "b", at(9));
  const findings = check(timeoutsSet, s, { maxSeconds: 3600 }, "prod", [queue]);
  assert.deepEqual(findings.map((f) => f.declaration), ["a", "b", "b"]);
  assert.match(findings[0].message, /default 300 s applies/);
  assert.match(findings[2].message, /visibility timeout 7200 s, not above the function timeout 7200 s/);
  assert.equal(findings[2].urn, queue.urn);
});

test("an explicit timeout: 300 is set, though it equals the default; without it the default is flagged", () => {
  const s = spec({
    functions: [fn("explicit", 4, { timeout: 300 }, { written: ["timeout"] }), fn("implicit", 9, {}, { written: ["gpu"] })],
    classes: [cls("Model", 12, { timeout: 300 }, { written: ["gpu", "timeout"] })],
  });
  assert.deepEqual(check(timeoutsSet, s, {}, "prod", []).map((f) => f.declaration), ["implicit"]);
});
