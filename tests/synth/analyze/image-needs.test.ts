/**
 * Images that would fail at deploy are warned about where they are declared (issue 14, item 6): a
 * base without Node (every container starts with node) at its factory call, a base without Python
 * at its first pipInstall; `addNode`/`addPython` silence them and reach the spec.
 */
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import assert from "node:assert/strict";
import { analyzeFixture, brief, fn } from "../helpers.ts";
import { dockerfileProvides } from "../../../synth/analyze/image-needs.ts";

const result = analyzeFixture("image-needs");
const spec = result.spec!;
const baseOf = (name: string) => spec.images.find((i) => i.id === fn(spec, name).options.image)!.base;

test("a base without Node is warned about at its factory call, and one without Python at its first pipInstall", () => {
  assert.ok(spec, "warnings keep the spec");
  assert.deepEqual(result.diagnostics.map(brief), [
    "GANTRY1803 app.ts:8:43", // Image.fromRegistry(cuda)
    "GANTRY1804 app.ts:8:68", // .pipInstall on it
    "GANTRY1803 app.ts:11:44", // Plain.Dockerfile
    "GANTRY1804 app.ts:11:92",
    "GANTRY1804 app.ts:15:92", // node:22 has no Python
  ]);
  const [noNode, noPython, noNodeFile] = result.diagnostics;
  assert.equal(noNode.severity, "warning");
  assert.match(noNode.message, /the image nvidia\/cuda:12\.4\.1-runtime-ubuntu22\.04 has no Node that gantry can see, and every gantry container starts with node: write Image\.fromRegistry\("nvidia\/cuda:12\.4\.1-runtime-ubuntu22\.04", \{ addNode: "24" \}\)/);
  assert.match(noPython.message, /pipInstall needs Python, and the image nvidia\/cuda:12\.4\.1-runtime-ubuntu22\.04 has none that gantry can see: write Image\.fromRegistry\("nvidia\/cuda:12\.4\.1-runtime-ubuntu22\.04", \{ addPython: "3\.12" \}\)/);
  assert.match(noNodeFile.message, /the Dockerfile docker\/Plain\.Dockerfile has no Node .* write Image\.fromDockerfile\("docker\/Plain\.Dockerfile", \{ addNode: "24" \}\)/);
});

test("addNode and addPython are in the spec (and only when given)", () => {
  assert.deepEqual(baseOf("added"), { kind: "registry", ref: "nvidia/cuda:12.4.1-runtime-ubuntu22.04", addNode: "22", addPython: "3.12" });
  assert.deepEqual(baseOf("bare"), { kind: "registry", ref: "nvidia/cuda:12.4.1-runtime-ubuntu22.04", addNode: null });
  assert.deepEqual(baseOf("plainAdded"), { kind: "dockerfile", path: "docker/Plain.Dockerfile", context: "docker", addNode: "22", addPython: "3.11" });
});

test("a Dockerfile is judged by its final stage, through its aliases; a FROM built from an ARG is not judged", () => {
  assert.deepEqual(dockerfileProvides("FROM node:22 AS base\nRUN apt-get install -y \\\n  python3\nFROM base\n"), { node: true, python: true });
  assert.deepEqual(dockerfileProvides("FROM node:22 AS build\nRUN npm ci\nFROM ubuntu:24.04\nCOPY --from=build /app /app\n"), { node: false, python: false });
  assert.deepEqual(dockerfileProvides("FROM nvidia/cuda:12.4.1-devel-ubuntu22.04\nRUN curl -fsSL https://deb.nodesource.com/setup_22.x | bash - && apt-get install -y nodejs\n"), { node: true, python: false });
  assert.deepEqual(dockerfileProvides("ARG BASE\nFROM ${BASE}\n"), { node: null, python: null });
});

test("gantry synth prints the warnings with their locations, and still plans", () => {
  const run = spawnSync(process.execPath, ["cli/bin.mjs", "synth", "tests/synth/fixtures/image-needs/app.ts", "--stack", "dev"], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stderr, /^tests\/synth\/fixtures\/image-needs\/app\.ts:8:43: warning GANTRY1803: the image nvidia\/cuda/m);
  assert.match(run.stderr, /^tests\/synth\/fixtures\/image-needs\/app\.ts:11:92: warning GANTRY1804: .*write Image\.fromDockerfile\("docker\/Plain\.Dockerfile", \{ addPython: "3\.12" \}\)/m);
  assert.match(run.stdout, /^gantry plan: app image-needs, stack dev, target aws$/m);
});
