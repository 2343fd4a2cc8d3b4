import { test } from "node:test";
import assert from "node:assert/strict";
import { endpointsPrivate } from "../../../policy/rules/endpoints-private.ts";
import { cls, endpoint, fn, spec } from "../helpers.ts";
import { check } from "./_check.ts";

const app = () => spec({
  functions: [fn("health", 28, { maxContainers: 1 }, { web: endpoint(28, true) }), fn("private", 30, { maxContainers: 1 }, { web: endpoint(30) })],
  classes: [cls("Embed", 14, { maxContainers: 1 }, { methods: [{ name: "embed", source: { file: "app.ts", line: 18, column: 3 }, batched: null, web: endpoint(18, true), params: [], returns: "x" }] })],
});

test("passes: private endpoints, and public ones the stack allows", () => {
  assert.deepEqual(check(endpointsPrivate, spec({ functions: [fn("p", 3, {}, { web: endpoint(3) })] })), []);
  assert.deepEqual(check(endpointsPrivate, app(), { allowPublic: ["health", "Embed.embed"] }), []);
});

test("fails: public endpoints not in allowPublic, at the endpoint's source", () => {
  const findings = check(endpointsPrivate, app(), { allowPublic: ["health"] }, "prod");
  assert.equal(findings.length, 1);
  assert.equal(findings[0].declaration, "Embed");
  assert.deepEqual(findings[0].source, { file: "app.ts", line: 18, column: 1 });
  assert.match(findings[0].message, /Embed.embed is a public endpoint/);
});
