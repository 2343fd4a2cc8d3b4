// SecretMask: the one masking function of the AWS container's logger and of gantry serve.
import { test } from "node:test";
import assert from "node:assert/strict";
import { SecretMask } from "../../runtime/secret-mask.ts";

test("values are masked as they are and JSON-escaped; a longer secret containing a shorter one is masked whole", () => {
  const mask = new SecretMask(['pa"ss\\word', "abcd", "abcdefgh"]);
  assert.equal(mask.mask('key=pa"ss\\word json={"k":"pa\\"ss\\\\word"}'), 'key=[secret] json={"k":"[secret]"}');
  assert.equal(mask.mask("abcdefgh abcd"), "[secret] [secret]");
});

test("short and non-string values are not masked (they would mask unrelated text)", () => {
  const mask = new SecretMask(["abc", "", 12345 as unknown as string]);
  assert.equal(mask.size, 0);
  assert.equal(mask.mask("abc 12345"), "abc 12345");
  mask.add(["abcd"]);
  assert.equal(mask.mask("abcde"), "[secret]e");
});
