import { test } from "node:test";
import assert from "node:assert/strict";

test("standard decorators run under tsx", () => {
  const seen: string[] = [];
  function mark(_value: unknown, context: ClassMethodDecoratorContext) { seen.push(String(context.name)); }
  class A { @mark run() {} }
  new A();
  assert.deepEqual(seen, ["run"]);
});
