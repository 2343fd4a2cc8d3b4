import { test } from "node:test";
import assert from "node:assert/strict";
import { imagePackagesPinned, isPinned } from "../../../policy/rules/image-packages-pinned.ts";
import type { ImageSpec } from "../../../synth/spec.ts";
import { at, spec } from "../helpers.ts";
import { check } from "./_check.ts";

const image = (layers: ImageSpec["layers"], base: ImageSpec["base"] = { kind: "debianSlim", node: "20", python: "3.11" }): ImageSpec => ({ id: "img-1", base, layers, source: at(8) });

test("passes: pinned pip, npm and base image", () => {
  const s = spec({ images: [image([
    { kind: "pip", packages: ["torch==2.3.0", "transformers[torch]==4.41.0"], extraOptions: null, source: at(9) },
    { kind: "npm", packages: ["onnxruntime-node@1.20.1", "@scope/pkg@2.0.0-rc.1"], source: at(10) },
    { kind: "apt", packages: ["libgomp1"], source: at(11) },
  ], { kind: "registry", ref: "nvcr.io/nvidia/pytorch:24.01-py3", addNode: "20" })] });
  assert.deepEqual(check(imagePackagesPinned, s), []);
});

test("fails: ranges, bare names, latest; apt only when asked", () => {
  const s = spec({ images: [image([
    { kind: "pip", packages: ["torch>=2", "numpy"], extraOptions: null, source: at(9) },
    { kind: "npm", packages: ["left-pad@^1.3.0", "zod"], source: at(10) },
    { kind: "apt", packages: ["libgomp1"], source: at(11) },
  ], { kind: "registry", ref: "python:latest", addNode: null })] });
  const findings = check(imagePackagesPinned, s, { managers: ["pip", "npm", "apt"] });
  assert.deepEqual(findings.map((f) => f.source?.line), [8, 9, 9, 10, 10, 11]);
  assert.match(findings[0].message, /latest tag/);
  assert.match(findings[1].message, /pip package "torch>=2" is not pinned; write "torch==<version>"/);
});

test("what counts as pinned", () => {
  assert.ok(isPinned("pip", "torch===2.3.0"));
  assert.ok(!isPinned("pip", "torch==2.*"));
  assert.ok(isPinned("npm", "hono@4.6.3"));
  assert.ok(!isPinned("npm", "hono@latest"));
  assert.ok(isPinned("apt", "libgomp1=12.2.0-14"));
});
