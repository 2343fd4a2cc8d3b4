import { test } from "node:test";
import assert from "node:assert/strict";
import { matches, noSecretFromDict } from "../../../policy/rules/no-secret-from-dict.ts";
import { at, fn, spec } from "../helpers.ts";
import { check } from "./_check.ts";

const app = spec({
  secrets: [
    { kind: "dict", id: "sec-dict", keys: ["GREETING_STYLE"], valueHash: "abc", source: at(36) },
    { kind: "named", id: "sec-hf", name: "hf", requiredKeys: ["HF_TOKEN"], source: at(37) },
  ],
  functions: [fn("api", 38, { secrets: ["sec-dict", "sec-hf"], maxContainers: 2 })],
});

test("passes: fromDict outside production; fromName anywhere", () => {
  assert.deepEqual(check(noSecretFromDict, app, {}, "staging"), []);
  assert.deepEqual(check(noSecretFromDict, spec({ secrets: [{ kind: "named", id: "s", name: "x", requiredKeys: [], source: at(1) }] }), {}, "prod"), []);
});

test("fails: fromDict in a production stack, by name or by pattern", () => {
  for (const stack of ["prod", "eu-prod"]) {
    const [f] = check(noSecretFromDict, app, {}, stack);
    assert.equal(f.declaration, "api");
    assert.equal(f.source?.line, 36);
    assert.match(f.message, /Secret.fromDict \(keys GREETING_STYLE\) in production stack ".*", used by api/);
    assert.ok(!f.message.includes("plain"), "values never appear");
  }
  assert.equal(check(noSecretFromDict, app, { productionStacks: ["live"] }, "live").length, 1);
  assert.ok(matches("prod-*", "prod-eu") && !matches("prod", "preprod"));
});
