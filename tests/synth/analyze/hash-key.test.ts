/**
 * `Secret.fromDict` hashes are an HMAC under the project's key (issue 11, item 9): a plan reader
 * without the code cannot test guesses of a weak value against the spec's value hash or id.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { analyzeApp } from "../../../synth/index.ts";
import { HASH_KEY_FILE, projectHashKey } from "../../../synth/analyze/hash-key.ts";
import { canonicalJson } from "../../../synth/hash.ts";
import { brief } from "../helpers.ts";

const APP = `import { App, Secret } from "gantry";

export const app = new App("hash-key");

export const f = app.function({ secrets: [Secret.fromDict({ PASSWORD: "password123" })] }, async () => 1);
`;

function project(key?: string): string {
  const dir = mkdtempSync(join(tmpdir(), "gantry-hash-key-"));
  writeFileSync(join(dir, "package.json"), "{}\n");
  writeFileSync(join(dir, "app.ts"), APP);
  if (key !== undefined) writeFileSync(join(dir, HASH_KEY_FILE), `# a comment line\n${key}\n`);
  return dir;
}

const dictOf = (dir: string) => {
  const result = analyzeApp(join(dir, "app.ts"), { projectRoot: dir });
  const dict = result.spec?.secrets.find((s) => s.kind === "dict");
  assert.ok(dict?.kind === "dict", result.diagnostics.map((d) => d.message).join("\n"));
  return { dict, result };
};

test("the value hash and the id are an HMAC under the project key, not a plain sha256 of the values", () => {
  const key = "k".repeat(32);
  const { dict } = dictOf(project(key));
  const values = canonicalJson({ PASSWORD: "password123" });
  const mac = createHmac("sha256", key).update(values).digest("hex");
  assert.equal(dict.valueHash, `hmac-sha256:${mac}`);
  assert.equal(dict.id, `dict-${mac.slice(0, 12)}`);
  const plain = createHash("sha256").update(values).digest("hex");
  assert.ok(!JSON.stringify(dict).includes(plain.slice(0, 12)), "the unkeyed hash of the values is nowhere in the spec");
});

test("the same values under another project's key hash differently; the same key gives the same id", () => {
  const a = dictOf(project("a".repeat(32))).dict;
  const b = dictOf(project("b".repeat(32))).dict;
  const a2 = dictOf(project("a".repeat(32))).dict;
  assert.notEqual(a.valueHash, b.valueHash);
  assert.notEqual(a.id, b.id);
  assert.deepEqual(a2, a);
});

test("a project without a key gets one, once, with a warning at the App (never at the line holding the values)", () => {
  const dir = project();
  const first = dictOf(dir);
  assert.deepEqual(first.result.diagnostics.map(brief), ["GANTRY1309 app.ts:3:20"]);
  assert.match(first.result.diagnostics[0]!.message, /created gantry-hash\.key .* commit it/);
  const file = readFileSync(join(dir, HASH_KEY_FILE), "utf8");
  assert.match(file, /^# gantry: the key that hashes Secret\.fromDict values/);
  assert.match(file, /\n[0-9a-f]{64}\n$/);
  assert.ok(statSync(join(dir, HASH_KEY_FILE)).isFile());
  const second = dictOf(dir);
  assert.deepEqual(second.result.diagnostics, [], "the second analysis reads the key it wrote");
  assert.deepEqual(second.dict, first.dict);
});

test("GANTRY_HASH_KEY wins over the file (CI without the file); a short key is refused", () => {
  const dir = project("f".repeat(32));
  assert.equal(projectHashKey(dir, { GANTRY_HASH_KEY: "e".repeat(32) }).key, "e".repeat(32));
  assert.equal(projectHashKey(dir, {}).key, "f".repeat(32));
  assert.throws(() => projectHashKey(dir, { GANTRY_HASH_KEY: "short" }), /at least 16 characters/);
  assert.throws(() => projectHashKey(project("tiny"), {}), /holds no key/);
});

test("an app without fromDict secrets creates no key file", () => {
  const dir = mkdtempSync(join(tmpdir(), "gantry-hash-key-"));
  writeFileSync(join(dir, "package.json"), "{}\n");
  writeFileSync(join(dir, "app.ts"), APP.replace(/\{ secrets: \[.*\] \}/, "{}"));
  const result = analyzeApp(join(dir, "app.ts"), { projectRoot: dir });
  assert.deepEqual(result.diagnostics, []);
  assert.throws(() => statSync(join(dir, HASH_KEY_FILE)), /ENOENT/);
});
