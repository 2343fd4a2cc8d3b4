// Secret values under `gantry serve`: a failed call whose error quotes them answers an
// unauthenticated caller with a generic body (the call id only), and the server's output — the
// front door's log line for the failure included — shows them masked, as the AWS container does.
// Also here, as it needs an endpoint without a schema: a too deeply nested body is a 400.
import { test } from "node:test";
import assert from "node:assert/strict";
import { writeSecret } from "../../../runtime/local/secrets.ts";
import { fixtureProject, serveReady, tempDir, until } from "./harness.ts";

const NAMED = 'named-secret-"quoted"-0815';
const DICT = "dict-password-4711";

test("a failed call's error never shows a secret value: generic 500 body, masked log lines", { timeout: 180_000 }, async () => {
  const project = fixtureProject("secret-app.ts");
  const home = tempDir("gantry-home-");
  writeSecret("serve-leak", { LEAK_TOKEN: NAMED }, home);
  const s = await serveReady([project.appFile, "--no-watch"], { GANTRY_HOME: home });
  process.on("exit", () => { if (process.exitCode) console.error(`--- stdout\n${s.stdout()}\n--- stderr\n${s.stderr()}`); });
  try {
    const res = await fetch(`${s.url}/leak`, { method: "POST", body: "{}" });
    assert.equal(res.status, 500);
    const text = await res.text();
    const { error } = JSON.parse(text);
    assert.equal(error.type, "InternalError");
    assert.ok(!text.includes("could not log in"), `no error text in the answer: ${text}`);
    assert.equal(error.callId, res.headers.get("x-gantry-call-id"));

    const app = await fetch(`${s.url}/leakyApp/x`);
    assert.equal(app.status, 502);
    assert.ok(!(await app.text()).includes("upstream refused"));

    // the front door logs the failure with the call id, masked
    const line = await until("the failure's log line", () => s.stderr().split("\n").find((l) => l.includes(error.callId)));
    // the value as it is, and as it looks JSON-escaped
    assert.match(line, /could not log in with \[secret\] \/ \[secret\] \(""\[secret\]""\)/);
    await until("the webApp's failure line", () => s.stderr().includes("upstream refused [secret]"));
    // 2,000 levels would not even reach the function (the call's serializer cannot take them): 400, not 503
    const deep = await fetch(`${s.url}/leak`, { method: "POST", body: "[".repeat(2000) + "]".repeat(2000) });
    assert.equal(deep.status, 400);
    assert.equal(((await deep.json()) as { error: { message: string } }).error.message, "the body is nested deeper than 128 levels");

    for (const value of [NAMED, JSON.stringify(NAMED).slice(1, -1), DICT]) {
      assert.ok(!s.stdout().includes(value), `stdout shows a secret:\n${s.stdout()}`);
      assert.ok(!s.stderr().includes(value), `stderr shows a secret:\n${s.stderr()}`);
    }
  } finally {
    s.kill();
  }
});
