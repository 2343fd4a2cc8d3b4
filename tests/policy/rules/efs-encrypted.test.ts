import { test } from "node:test";
import assert from "node:assert/strict";
import { efsEncrypted } from "../../../policy/rules/efs-encrypted.ts";
import { at, fn, resource, spec } from "../helpers.ts";
import { check } from "./_check.ts";

const s = spec({ functions: [fn("f", 4, { maxContainers: 1 })], volumes: ["weights"] });
const task = (transit: string) => resource("aws:ecs/taskDefinition:TaskDefinition", "f-task", { volumes: [{ name: "weights", efsVolumeConfiguration: { fileSystemId: "[unknown]", transitEncryption: transit } }] }, "f", at(4));

test("passes: encrypted at rest and in transit (and nothing to check without a plan)", () => {
  assert.deepEqual(check(efsEncrypted, s, {}, "prod", [resource("aws:efs/fileSystem:FileSystem", "weights", { encrypted: true }, null, at(5)), task("ENABLED")]), []);
  assert.deepEqual(check(efsEncrypted, s), []);
});

test("fails: a file system without encryption, a mount without TLS", () => {
  const findings = check(efsEncrypted, s, {}, "prod", [resource("aws:efs/fileSystem:FileSystem", "weights", {}, null, at(5)), task("DISABLED")]);
  assert.equal(findings.length, 2);
  assert.match(findings[0].message, /EFS file system weights is not encrypted at rest/);
  assert.match(findings[1].message, /without transit encryption/);
  assert.equal(findings[1].declaration, "f");
});
