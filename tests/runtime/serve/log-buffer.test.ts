// The ring buffer behind `gantry logs` against `gantry serve`: order, filters, limits, masking and the long poll.
import { test } from "node:test";
import assert from "node:assert/strict";
import { containerOf, LINES_PER_CONTAINER, LogBuffer, MAX_CONTAINERS } from "../../../runtime/serve/log-buffer.ts";

const src = (container: string, text: string, calls: string[] = []) => ({ container, text, calls });

test("lines come back in the order printed, filtered by function, call, time and sequence", () => {
  const logs = new LogBuffer();
  logs.add("stdout", src("square#1", "a", ["c1"]), 1000);
  logs.add("stderr", src("Model[gpu=H100]#1", "b", ["c2"]), 2000);
  logs.add("stdout", src("square#2", "c", []), 3000);
  logs.add("stdout", src("square#1", "d", ["c1", "c3"]), 4000);
  const texts = (q: Parameters<LogBuffer["query"]>[0]) => logs.query(q).map((l) => l.text);
  assert.deepEqual(texts({}), ["a", "b", "c", "d"]);
  assert.deepEqual(texts({ fn: "square" }), ["a", "c", "d"]);
  assert.deepEqual(texts({ fn: "Model" }), ["b"]);
  assert.deepEqual(texts({ fn: "Model[gpu=H100]" }), ["b"]);
  assert.deepEqual(texts({ fn: "squ" }), []);
  assert.deepEqual(texts({ call: "c1" }), ["a", "d"]);
  assert.deepEqual(texts({ sinceMs: 2500 }), ["c", "d"]);
  assert.deepEqual(texts({ after: 2 }), ["c", "d"]);
  assert.equal(logs.last, 4);
  assert.deepEqual(logs.query({ after: 1 })[0], { seq: 2, time: 2000, container: "Model[gpu=H100]#1", stream: "stderr", text: "b", calls: ["c2"] });
});

test("containerOf: a pool's containers belong to its function, its variants and parameterised pools to the class", () => {
  assert.equal(containerOf("square#1", "square"), true);
  assert.equal(containerOf("squares#1", "square"), false);
  assert.equal(containerOf("Model[gpu=H100]#2", "Model"), true);
  assert.equal(containerOf("Model(3fa9c1)#1", "Model"), true);
  assert.equal(containerOf("Model[gpu=H100]#2", "Model[gpu=T4]"), false);
});

test("each container keeps its last lines; beyond the container limit the least recently written goes first", () => {
  const logs = new LogBuffer();
  for (let i = 0; i < LINES_PER_CONTAINER + 5; i++) logs.add("stdout", src("busy#1", `line ${i}`));
  const kept = logs.query({ fn: "busy" });
  assert.equal(kept.length, LINES_PER_CONTAINER);
  assert.equal(kept[0].text, "line 5");
  logs.add("stdout", src("first#1", "old"));
  for (let i = 0; i < MAX_CONTAINERS - 1; i++) logs.add("stdout", src(`c${i}#1`, "x"));
  // busy#1 was written longest ago: dropped when the limit is passed; first#1 stays
  assert.equal(logs.query({ fn: "busy" }).length, 0);
  assert.equal(logs.query({ fn: "first" }).length, 1);
});

test("lines are stored masked", () => {
  const logs = new LogBuffer((t) => t.replaceAll("hunter2", "[secret]"));
  logs.add("stdout", src("login#1", "password hunter2"));
  assert.equal(logs.query({})[0].text, "password [secret]");
});

test("next() waits for a matching line and answers with it; an abort ends the wait empty", async () => {
  const logs = new LogBuffer();
  logs.add("stdout", src("a#1", "before"));
  const waiting = logs.next({ after: logs.last, fn: "b" }, 60_000);
  logs.add("stdout", src("a#1", "not this one"));
  logs.add("stdout", src("b#1", "this one"));
  assert.deepEqual((await waiting).map((l) => l.text), ["this one"]);

  const controller = new AbortController();
  const aborted = logs.next({ after: logs.last }, 60_000, controller.signal);
  controller.abort();
  assert.deepEqual(await aborted, []);
});
