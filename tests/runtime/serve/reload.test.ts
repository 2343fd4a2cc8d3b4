// Reload on change under `gantry serve`: new code for new requests, nothing in flight dropped, old
// containers run @exit; broken edits keep the last good version serving.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { events, fixtureProject, serveReady, until } from "./harness.ts";

function edit(file: string, from: string | RegExp, to: string): void {
  const before = readFileSync(file, "utf8");
  const after = before.replace(from, to);
  assert.notEqual(after, before, `the edit of ${file} changed nothing`);
  writeFileSync(file, after);
}

test("a change reloads: new requests get the new code, a request in flight finishes on the old one, old containers run @exit",
  { timeout: 240_000 }, async (t) => {
    const project = fixtureProject();
    const s = await serveReady([project.appFile], { SERVE_MARKERS: project.markers });
    t.after(() => s.kill());
    const auth = { authorization: `Bearer ${s.token}` };
    const greet = async () => (await (await fetch(`${s.url}/Greeter/greet`, { method: "POST", headers: auth, body: '{"name":"a"}' })).json()) as { version: string; pid: number };

    const before = await greet();
    assert.equal(before.version, "v1");

    // a request in flight on v1 when the file changes
    const slow = fetch(`${s.url}/slow`);
    await until("the slow request to start", () => events(project.markers).some((e) => e.startsWith("slow started v1 ")));

    const mark = s.stdout().length;
    edit(project.appFile, 'const VERSION = "v1";', 'const VERSION = "v2";');
    await s.output(/app\.ts changed; reloading\n/, { after: mark });
    await s.output(/gantry serve: reloaded in \d+ ms\n/, { after: mark });

    // new requests: the new code, in new containers
    assert.deepEqual(await (await fetch(`${s.url}/version`, { headers: auth })).json(), { version: "v2" });
    const after = await greet();
    assert.equal(after.version, "v2");
    assert.notEqual(after.pid, before.pid);
    const hono = (await (await fetch(`${s.url}/api/hello/x`, { headers: auth })).json()) as { version: string };
    assert.equal(hono.version, "v2");

    // the request in flight was not dropped: it finishes, on the version it started on
    writeFileSync(join(project.markers, "release"), "");
    const answer = await slow;
    assert.equal(answer.status, 200);
    assert.deepEqual(await answer.json(), { version: "v1" });

    // the old Greeter container stopped and ran its @exit hook; the new one is still up
    await until("the old container's @exit", () => events(project.markers).includes(`exit v1 ${before.pid}`));
    assert.ok(!events(project.markers).includes(`exit v2 ${after.pid}`));
    // the schedule goes on, on the new version
    await until("a tick of v2", () => events(project.markers).includes("tick v2"));
  });

test("a broken edit prints its errors and keeps the last good version serving; imported files are watched too",
  { timeout: 240_000 }, async (t) => {
    const project = fixtureProject();
    const s = await serveReady([project.appFile], { SERVE_MARKERS: project.markers });
    t.after(() => s.kill());
    const auth = { authorization: `Bearer ${s.token}` };
    const version = async () => (await (await fetch(`${s.url}/version`, { headers: auth })).json()) as { version: string };

    // an analysis error: printed with its location, v1 keeps serving
    let mark = s.stderr().length;
    edit(project.appFile, "export const version = app.function({}", "export const version = app.function({ timeout: 999999 }");
    await s.output(/app\.ts:\d+:\d+: error GANTRY1302: option timeout/, { stream: "stderr", after: mark });
    await s.output(/still serving the last good version; fix the errors and save again/, { stream: "stderr", after: mark });
    assert.deepEqual(await version(), { version: "v1" });

    // an error while importing (the analysis cannot see it): printed, v1 keeps serving
    mark = s.stderr().length;
    edit(project.appFile, "export const version = app.function({ timeout: 999999 }", "export const version = app.function({}");
    edit(project.appFile, 'const VERSION = "v1";', 'const VERSION = "v2";\nif (!process.env.GANTRY_CONTAINER) throw new Error("boom at import");');
    await s.output(/could not load the app: Error: boom at import/, { stream: "stderr", after: mark });
    await s.output(/still serving the last good version; fix the error and save again/, { stream: "stderr", after: mark });
    assert.deepEqual(await version(), { version: "v1" });

    // fixed, and now importing a project file of its own
    let outMark = s.stdout().length;
    writeFileSync(join(project.dir, "suffix.ts"), 'export const SUFFIX = "-a";\n');
    edit(project.appFile, /\nif \(!process\.env\.GANTRY_CONTAINER\) throw new Error\("boom at import"\);/, "");
    edit(project.appFile, 'import { z } from "zod";', 'import { z } from "zod";\nimport { SUFFIX } from "./suffix.ts";');
    edit(project.appFile, "async () => ({ version: VERSION })", "async () => ({ version: VERSION + SUFFIX })");
    await s.output(/gantry serve: reloaded in \d+ ms\n/, { after: outMark });
    await until("v2-a", async () => (await version()).version === "v2-a");

    // a change to the imported file alone reloads as well
    outMark = s.stdout().length;
    writeFileSync(join(project.dir, "suffix.ts"), 'export const SUFFIX = "-b";\n');
    await s.output(/suffix\.ts changed; reloading\n/, { after: outMark });
    await s.output(/gantry serve: reloaded in \d+ ms\n/, { after: outMark });
    assert.deepEqual(await version(), { version: "v2-b" });
  });
