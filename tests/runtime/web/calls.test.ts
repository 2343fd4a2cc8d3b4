// Calls past the synchronous window: 303 to a result URL that waits and never re-runs; capacity (429)
// held by a call until it finishes, not until its HTTP request ends.
import { test } from "node:test";
import assert from "node:assert/strict";
import { frontDoor, TOKEN } from "./fixtures/harness.ts";
import { defaultCapacity } from "../../../runtime/web/capacity.ts";

const { mod, backend, web, call, post } = await frontDoor({
  syncWindowMs: 30,
  capacity: (route) => (route.declaration === "slow" ? 2 : undefined),
});
const { slowState, closeGate } = mod;

test("303 to the result URL, which waits again, then answers the result without re-running", async () => {
  closeGate();
  slowState.runs = 0;
  const first = await post("/slow", { n: 21 }, { redirect: "manual" });
  assert.equal(first.status, 303);
  const location = first.headers.get("location")!;
  assert.match(location, /^\/_gantry\/calls\/[^/?]+\?ticket=[A-Za-z0-9_-]+$/);
  assert.deepEqual(await first.json(), { callId: first.headers.get("x-gantry-call-id"), status: "running", location });

  const again = await call(location, { redirect: "manual" });
  assert.equal(again.status, 303, "still running: another 303 to the same place");
  assert.equal(again.headers.get("location"), location);

  slowState.release();
  await slowState.finished;
  const done = await call(location);
  assert.equal(done.status, 200);
  assert.deepEqual(await done.json(), { doubled: 42 });
  const twice = await call(location);
  assert.deepEqual(await twice.json(), { doubled: 42 }, "the result can be read again");
  assert.equal(slowState.runs, 1, "the function ran once");
  assert.equal(backend.spawned.get("slow"), 1);
});

test("the result URL of a private endpoint needs the token; a tampered ticket is 404", async () => {
  closeGate();
  slowState.runs = 0;
  const first = await post("/slow", { n: 1 }, { redirect: "manual" });
  const location = first.headers.get("location")!;
  assert.equal((await call(location, { token: null })).status, 401);
  assert.equal((await call(location, { token: "nope" })).status, 401);
  const [path, ticket] = location.split("?ticket=");
  const tampered = ticket.slice(0, -1) + (ticket.endsWith("A") ? "B" : "A");
  assert.equal((await call(`${path}?ticket=${tampered}`)).status, 404);
  assert.equal((await call(path)).status, 404, "no ticket");
  assert.equal((await call(`/_gantry/calls/some-other-call?ticket=${ticket}`)).status, 404, "a ticket is bound to its call");
  slowState.release();
  await slowState.finished;
  assert.equal((await call(location)).status, 200);
  const viaPost = await call(location, { method: "POST", body: "ignored" });
  assert.equal(viaPost.status, 200, "curl -X POST -L keeps POST across the 303: it reads the result too");
  assert.equal(slowState.runs, 1);
});

test("the result URL of a public endpoint works without a token", async () => {
  closeGate();
  const first = await post("/slowPublic", {}, { token: null, redirect: "manual" });
  assert.equal(first.status, 303);
  slowState.release();
  await slowState.finished;
  const res = await call(first.headers.get("location")!, { token: null });
  assert.equal(res.status, 200);
  assert.equal(await res.json(), "public result");
});

test("a client following the 303s gets the result of the one run", async () => {
  closeGate();
  slowState.runs = 0;
  const pending = post("/slow", { n: 5 });
  setTimeout(() => slowState.release(), 100);
  // the in-process fetch handler is not a network client, so follow like a client would
  let res = await pending;
  while (res.status === 303) res = await call(res.headers.get("location")!);
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { doubled: 10 });
  assert.equal(slowState.runs, 1);
});

test("429 at capacity: a call past its window keeps its slot until it finishes", async () => {
  closeGate();
  const a = await post("/slow", { n: 1 }, { redirect: "manual" });
  const b = await post("/slow", { n: 2 }, { redirect: "manual" });
  assert.deepEqual([a.status, b.status], [303, 303]);
  const c = await post("/slow", { n: 3 });
  assert.equal(c.status, 429);
  assert.equal(c.headers.get("retry-after"), "1");
  assert.equal(((await c.json()) as any).error.type, "TooManyRequests");
  assert.equal((await post("/EmbeddingService/embed", { texts: ["x"] })).status, 200, "other declarations are not affected");

  slowState.release();
  await slowState.finished;
  // the tracker sees both calls finish within its next poll
  while (web.trackedCalls > 0) await new Promise((r) => setTimeout(r, 5));
  const d = await post("/slow", { n: 4 });
  assert.equal(d.status, 200);
  assert.deepEqual(await d.json(), { doubled: 8 });
});

test("default capacity: maxContainers × maxInputs running plus a queue; a guard without maxContainers", () => {
  assert.equal(defaultCapacity({ maxContainers: 2, maxInputs: 4, timeout: 300, retries: 0 }), 108);
  assert.equal(defaultCapacity({ maxContainers: 1, maxInputs: 1, timeout: 300, retries: 0 }, 0), 1);
  assert.equal(defaultCapacity({ maxContainers: null, maxInputs: 1, timeout: 300, retries: 0 }), 1000);
  const embed = web.routes.find((r) => r.declaration === "EmbeddingService.embed")!;
  assert.deepEqual(embed.limits, { maxContainers: 2, maxInputs: 4, timeout: 300, retries: 0 });
});

test.after(() => {
  web.close();
  void TOKEN;
});
