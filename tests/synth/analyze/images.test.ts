/** Images in every form, unpinned-package warnings at their packages, secrets from .env and dicts. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { analyzeFixture, brief, fn } from "../helpers.ts";

const result = analyzeFixture("images");
const spec = result.spec!;
const imageOf = (name: string) => spec.images.find((i) => i.id === fn(spec, name).options.image)!;

test("warnings keep the spec", () => {
  assert.ok(spec);
  assert.ok(result.diagnostics.every((d) => d.severity === "warning"));
});

test("fromRegistry with spread package lists, pip options, commands and local files", () => {
  const image = imageOf("a");
  assert.deepEqual(image.base, { kind: "registry", ref: "python:3.12-slim", addNode: "20" });
  assert.deepEqual(image.layers.map(({ source: _, ...l }) => l), [
    { kind: "pip", packages: ["numpy==1.26.4", "pandas==2.2.2"], extraOptions: "--index-url https://pypi.example/simple" },
    { kind: "run", commands: ["echo one", "echo two"] },
    { kind: "addLocalFile", local: "assets/config.yaml", remote: "/app/config.yaml" },
    { kind: "addLocalDir", local: "assets", remote: "/app/assets" },
  ]);
});

test("the same image used twice is one entry with one id", () => {
  assert.equal(fn(spec, "a").options.image, fn(spec, "d").options.image);
  assert.equal(spec.images.length, 3);
});

test("fromDockerfile: path and context relative to the project root", () => {
  assert.deepEqual(imageOf("b").base, { kind: "dockerfile", path: "docker/Dockerfile", context: "docker" });
});

test("unpinned apt, pip and npm packages are warned about where each is written", () => {
  assert.deepEqual(result.diagnostics.map(brief), [
    "GANTRY1800 app.ts:17:15", // ffmpeg
    "GANTRY1800 app.ts:18:15", // torch>=2.0
    "GANTRY1800 app.ts:19:15", // sharp@^0.33.0
    "GANTRY1800 app.ts:19:53", // zod
  ]);
  assert.match(result.diagnostics[0].message, /apt package "ffmpeg" is not pinned: write "ffmpeg=<version>"/);
  assert.match(result.diagnostics[1].message, /write "torch==<version>"/);
});

test("secrets: .env key names (never values), dict keys with a value hash, values kept aside", () => {
  const dotenv = spec.secrets.find((s) => s.kind === "dotenv");
  assert.ok(dotenv?.kind === "dotenv");
  assert.equal(dotenv.path, "secrets.env");
  assert.deepEqual(dotenv.keys, ["DB_URL", "EMPTY", "MULTI", "OPENAI_KEY"]);
  const dict = spec.secrets.find((s) => s.kind === "dict");
  assert.ok(dict?.kind === "dict");
  assert.deepEqual(dict.keys, ["TOKEN", "USER"]);
  assert.deepEqual(result.secretValues, { [dict.id]: { TOKEN: "abc", USER: "me" } });
  const json = JSON.stringify(spec);
  for (const value of ["sk-test", "postgres://x", "abc\"", "\"me\""]) assert.ok(!json.includes(value), value);
});
