import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { MAX_DEPTH, SerializationError } from "../../../runtime/serialize.ts";
import { startRuntime, type Started } from "../helpers.ts";

type Mod = typeof import("../fixtures/values.ts");
let rt: Started<Mod>;

before(async () => {
  rt = await startRuntime<Mod>("values.ts");
});
after(() => rt.stop());

const tooDeep = (callee: string) => new RegExp(
  `^${callee.replace(".", "\\.")}: argument 1 \\(x\\) is nested deeper than ${MAX_DEPTH} levels \\(at \\[0\\]\\[0\\]`);

test("a 10,000-deep argument is refused with an error naming the argument, on every call path", async () => {
  const deep = rt.mod.nested(10_000) as number;
  for (const [how, send] of [
    ["remote", () => rt.mod.square.remote(deep)],
    ["spawn", () => rt.mod.square.spawn(deep)],
    ["map", async () => rt.mod.square.map([1, deep])],
  ] as const) {
    await assert.rejects(send(), (err: unknown) => {
      assert.ok(err instanceof SerializationError, `${how}: ${String(err)}`);
      assert.match(err.message, tooDeep(`square.${how}`));
      return true;
    });
  }
});

test("inside a container, nested calls refuse a too-deep argument the same way", async () => {
  const messages = await rt.mod.sendDeepFromInside.remote(10_000);
  assert.equal(messages.length, 3);
  for (const [i, how] of ["remote", "spawn", "map"].entries()) {
    assert.match(messages[i], new RegExp(`^SerializationError: ${tooDeep(`square.${how}`).source.slice(1)}`));
  }
  assert.deepEqual(await rt.mod.sendDeepFromInside.remote(MAX_DEPTH - 1), ["sent", "sent", "sent"]);
});

test("a too-deep result fails the call with an error naming the function", async () => {
  await assert.rejects(rt.mod.returnDeep.remote(10_000),
    new RegExp(`returnDeep returned a value nested deeper than ${MAX_DEPTH} levels`));
});

test("-0 and NaN next to a cycle cross a container intact", async () => {
  const value: Record<string, unknown> = { nan: NaN, zero: -0, list: [-0, NaN] };
  value.self = value;
  const out = (await rt.mod.echo.remote(value)) as Record<string, any>;
  assert.equal(out.self, out);
  assert.ok(Object.is(out.zero, -0) && Object.is(out.list[0], -0));
  assert.ok(Number.isNaN(out.nan) && Number.isNaN(out.list[1]));
});
