/** `gantry:artifact` read and checked the way the program and `gantry deploy` do. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { specHash } from "../../../synth/hash.ts";
import { ConfigError } from "../../../provider/overrides.ts";
import { ArtifactMismatch, checkStackArtifact, parseArtifactConfig } from "../../../policy/promote/artifact.ts";
import { cls, gpu, spec } from "../helpers.ts";

const s = spec({ name: "llm", classes: [cls("LlamaInference", 17, { gpu: gpu("A10G"), maxContainers: 5 })] });
const changed = spec({ name: "llm", classes: [cls("LlamaInference", 17, { gpu: gpu("H100"), maxContainers: 20 })] });
const artifact = {
  fromStack: "staging", app: "llm", specHash: specHash(s), planHash: `sha256:${"b".repeat(64)}`,
  images: { "img-default": `123456789012.dkr.ecr.us-east-1.amazonaws.com/llm@sha256:${"a".repeat(64)}` },
};

function projectWith(prodYaml: string | null): string {
  const root = mkdtempSync(join(tmpdir(), "gantry-artifact-"));
  if (prodYaml !== null) writeFileSync(join(root, "Pulumi.prod.yaml"), prodYaml);
  return root;
}

test("a stack without gantry:artifact has nothing to check", () => {
  assert.equal(checkStackArtifact(projectWith(null), "prod", changed), null);
  assert.equal(checkStackArtifact(projectWith("config:\n  aws:region: us-east-1\n"), "prod", changed), null);
  assert.equal(parseArtifactConfig(undefined, "Pulumi.prod.yaml"), null);
});

test("the artifact of the code as it is passes; a changed app is refused with both hashes", () => {
  const root = projectWith(`config:\n  gantry:artifact: ${JSON.stringify(artifact)}\n`);
  assert.deepEqual(checkStackArtifact(root, "prod", s), artifact);
  assert.throws(() => checkStackArtifact(root, "prod", changed), (e: Error) =>
    e instanceof ArtifactMismatch &&
    e.message.includes(`Pulumi.prod.yaml: gantry:artifact: the app is not the one promoted from stack "staging": the artifact pins spec ${specHash(s)}, the app's spec is now ${specHash(changed)}`) &&
    e.message.includes("gantry promote --from staging --to prod"));
});

test("a malformed artifact: each problem with its key path", () => {
  assert.throws(() => parseArtifactConfig("{not json", "Pulumi.prod.yaml"), /Pulumi\.prod\.yaml: gantry:artifact: expected a map/);
  try {
    parseArtifactConfig(JSON.stringify({ ...artifact, fromStack: 3, images: { "img-default": "llm:latest" } }), "Pulumi.prod.yaml");
    assert.fail("accepted");
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    assert.deepEqual(err.problems, [
      "Pulumi.prod.yaml: gantry:artifact.fromStack: Invalid input: expected string, received number",
      "Pulumi.prod.yaml: gantry:artifact.images.img-default: an image digest reference (repository@sha256:<64 hex>)",
    ]);
  }
});
