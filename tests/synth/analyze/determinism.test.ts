/** The same source gives the same bytes: analyse twice, compare JSON and hashes. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { specHash } from "../../../synth/index.ts";
import { analyzeFixture } from "../helpers.ts";

for (const fixture of ["full", "consts", "images"]) {
  test(`${fixture}: two analyses give identical JSON and spec hashes`, () => {
    const first = analyzeFixture(fixture);
    const second = analyzeFixture(fixture);
    assert.ok(first.spec && second.spec);
    assert.equal(JSON.stringify(first.spec, null, 2), JSON.stringify(second.spec, null, 2));
    assert.equal(specHash(first.spec), specHash(second.spec));
    assert.deepEqual(first.diagnostics, second.diagnostics);
  });
}

test("the spec hash ignores key order and changes with content", () => {
  const spec = analyzeFixture("full").spec!;
  const reordered = Object.fromEntries(Object.entries(spec).reverse()) as typeof spec;
  assert.equal(specHash(reordered), specHash(spec));
  assert.match(specHash(spec), /^sha256:[0-9a-f]{64}$/);
  const changed = { ...spec, app: { ...spec.app, name: "other" } };
  assert.notEqual(specHash(changed), specHash(spec));
});
