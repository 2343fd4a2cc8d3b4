import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseDotenv } from "../../../runtime/local/dotenv.ts";
import { listSecrets, readSecret, writeSecret } from "../../../runtime/local/secrets.ts";
import { startRuntime, tempDir, type Started } from "../helpers.ts";

type Mod = typeof import("../fixtures/secrets.ts");
let rt: Started<Mod>;

before(async () => {
  rt = await startRuntime<Mod>("secrets.ts");
});
after(() => rt.stop());

test("the local store writes one file per secret, readable only by its owner", () => {
  const home = tempDir();
  const file = writeSecret("db", { USER: "u", PASSWORD: "p" }, home);
  assert.equal(file, join(home, "secrets", "db.json"));
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(statSync(join(home, "secrets")).mode & 0o777, 0o700);
  assert.deepEqual(readSecret("db", home), { USER: "u", PASSWORD: "p" });
  assert.deepEqual(listSecrets(home), [{ name: "db", keys: ["PASSWORD", "USER"] }]);
  assert.throws(() => writeSecret("../escape", { A: "b" }, home), /invalid secret name/);
});

test("writing a secret tightens an existing store directory (0777) to 0700 and its files to 0600", () => {
  const home = tempDir();
  const dir = join(home, "secrets");
  mkdirSync(dir, { mode: 0o777 });
  chmodSync(dir, 0o777); // the umask applies to mkdir's mode
  writeFileSync(join(dir, "old.json"), "{}\n");
  chmodSync(join(dir, "old.json"), 0o666);
  writeSecret("new", { K: "v" }, home);
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  assert.equal(statSync(join(dir, "old.json")).mode & 0o777, 0o600);
  assert.equal(statSync(join(dir, "new.json")).mode & 0o777, 0o600);
});

test("a secret missing from the store fails the call before it runs, saying how to create it", async () => {
  const marker = join(tempDir(), "ran");
  await assert.rejects(rt.mod.needsKey.remote(marker), {
    name: "SecretError",
    message: `needsKey: secret "rt-test-secret" is not in the local secret store (${join(rt.home, "secrets")}); ` +
      "create it with: gantry secret create rt-test-secret API_KEY=...",
  });
  assert.equal(existsSync(marker), false);
});

test("a missing required key fails the call before it runs, naming the key", async () => {
  writeSecret("rt-test-secret", { OTHER: "x" }, rt.home);
  const marker = join(tempDir(), "ran");
  await assert.rejects(rt.mod.needsKey.remote(marker), {
    name: "SecretError",
    message: 'needsKey: secret "rt-test-secret" is missing the required key API_KEY',
  });
  assert.equal(existsSync(marker), false, "the function never ran");
});

test("secret values reach the container as environment variables", async () => {
  writeSecret("rt-test-secret", { API_KEY: "s3cret" }, rt.home);
  const marker = join(tempDir(), "ran");
  assert.equal(await rt.mod.needsKey.remote(marker), "s3cret");
  assert.ok(existsSync(marker));
  assert.deepEqual(await rt.mod.fromDict.remote(), { greeting: "hello", plain: "plain" });
  assert.equal(await rt.mod.fromDotenv.remote(), "from the .env file");
});

test(".env parsing: quotes, escapes, export, comments", () => {
  const env = parseDotenv([
    "# a comment",
    "export A=1",
    "B = two words # trailing comment",
    "C='single # not a comment'",
    'D="line\\nbreak \\"quoted\\""',
    'E="spans',
    'lines"',
    "not a line",
    "F=",
  ].join("\n"));
  assert.deepEqual(env, { A: "1", B: "two words", C: "single # not a comment", D: 'line\nbreak "quoted"', E: "spans\nlines", F: "" });
});
