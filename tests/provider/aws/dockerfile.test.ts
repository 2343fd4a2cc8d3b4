import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { renderDockerfile } from "../../../provider/aws/dockerfile.ts";
import type { ImageSpec } from "../../../synth/spec.ts";

const at = (line: number) => ({ file: "app.ts", line, column: 3 });

const image: ImageSpec = {
  id: "img-3f2a9c1d0b7e",
  base: { kind: "debianSlim", node: "20", python: null },
  layers: [
    { kind: "apt", packages: ["libgomp1"], source: at(2) },
    { kind: "npm", packages: ["onnxruntime-node@1.20.1"], source: at(3) },
    { kind: "pip", packages: ["torch==2.3.0", "transformers>=4.41"], extraOptions: "--index-url https://download.pytorch.org/whl/cu121", source: at(4) },
    { kind: "run", commands: ["echo one", "echo two"], source: at(5) },
    { kind: "env", vars: { HF_HOME: "/models/hf", MODE: "a b" }, source: at(6) },
    { kind: "workdir", path: "/work", source: at(7) },
    { kind: "addLocalFile", local: "config.json", remote: "/work/config.json", source: at(8) },
    { kind: "addLocalDir", local: "assets", remote: "/work/assets", source: at(9) },
  ],
  source: at(1),
};

describe("Dockerfile from an Image spec", () => {
  const text = renderDockerfile(image, { entry: "main.mjs" });
  const lines = text.trimEnd().split("\n");

  it("is the same bytes every time", () => assert.equal(renderDockerfile(structuredClone(image), { entry: "main.mjs" }), text));

  it("has one instruction per builder call, in order, after the base", () => {
    assert.deepEqual(lines.slice(2), [
      "FROM node:20-bookworm-slim",
      "RUN apt-get update && apt-get install -y --no-install-recommends libgomp1 && rm -rf /var/lib/apt/lists/*",
      "RUN npm install --prefix /opt/gantry --no-audit --no-fund --omit=dev onnxruntime-node@1.20.1",
      // a Debian system Python refuses pip (PEP 668): gantry adds a venv once, before the first pip layer
      "RUN apt-get update && apt-get install -y --no-install-recommends python3 python3-pip python3-venv && rm -rf /var/lib/apt/lists/* && python3 -m venv /opt/venv",
      "ENV PATH=/opt/venv/bin:$PATH",
      "RUN pip install --no-cache-dir --index-url https://download.pytorch.org/whl/cu121 torch==2.3.0 'transformers>=4.41'",
      "RUN echo one && echo two",
      "ENV HF_HOME=\"/models/hf\" MODE=\"a b\"",
      "WORKDIR /work",
      "COPY [\"config.json\",\"/work/config.json\"]",
      "COPY [\"assets/\",\"/work/assets\"]",
      "COPY --from=gantry / /opt/gantry/app/",
      "ENV NODE_ENV=production GANTRY_APP_DIR=/opt/gantry/app",
      "STOPSIGNAL SIGTERM",
      "ENTRYPOINT [\"node\",\"/opt/gantry/app/main.mjs\"]",
    ]);
  });

  it("a Python base gets Node copied in from the official image", () => {
    const py = renderDockerfile({ ...image, base: { kind: "debianSlim", node: "22", python: "3.11" }, layers: [image.layers[2]] }, { entry: "app.mjs" });
    assert.match(py, /^FROM python:3\.11-slim-bookworm\nCOPY --from=node:22-bookworm-slim \/usr\/local\/bin\/node \/usr\/local\/bin\/node\n/m);
    assert.doesNotMatch(py, /python3-venv/);
  });

  it("a registry image keeps its ref; a Dockerfile image starts from the user's file", () => {
    assert.match(renderDockerfile({ ...image, base: { kind: "registry", ref: "nvcr.io/nvidia/pytorch:24.01-py3", addNode: "20" }, layers: [] }, { entry: "main.mjs" }), /^FROM nvcr\.io\/nvidia\/pytorch:24\.01-py3$/m);
    const fromFile = renderDockerfile({ ...image, base: { kind: "dockerfile", path: "docker/Dockerfile", context: "." }, layers: [] }, { entry: "main.mjs", userDockerfile: "FROM ubuntu:24.04\nRUN true\n" });
    assert.match(fromFile, /# from docker\/Dockerfile\nFROM ubuntu:24\.04\nRUN true\nCOPY --from=gantry/);
  });

  it("addPython installs a standalone Python with a venv before pip layers; addNode copies Node after a user's Dockerfile", () => {
    const pip = image.layers[2];
    const cuda = renderDockerfile({ ...image, base: { kind: "registry", ref: "nvidia/cuda:12.4.1-runtime-ubuntu22.04", addNode: "22", addPython: "3.12" }, layers: [pip] }, { entry: "main.mjs" });
    assert.deepEqual(cuda.split("\n").slice(2, 10), [
      "FROM nvidia/cuda:12.4.1-runtime-ubuntu22.04",
      "COPY --from=node:22-bookworm-slim /usr/local/bin/node /usr/local/bin/node",
      "COPY --from=node:22-bookworm-slim /usr/local/lib/node_modules /usr/local/lib/node_modules",
      "RUN ln -sf ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm && ln -sf ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx",
      "COPY --from=ghcr.io/astral-sh/uv:0.8.14 /uv /usr/local/bin/uv",
      "RUN UV_PYTHON_INSTALL_DIR=/opt/python UV_PYTHON_PREFERENCE=only-managed uv venv --seed --python 3.12 /opt/venv",
      "ENV PATH=/opt/venv/bin:$PATH",
      "RUN pip install --no-cache-dir --index-url https://download.pytorch.org/whl/cu121 torch==2.3.0 'transformers>=4.41'",
    ]);
    assert.doesNotMatch(cuda, /python3-venv/, "no second Python from apt");
    const fromFile = renderDockerfile({ ...image, base: { kind: "dockerfile", path: "Dockerfile", context: ".", addNode: "20" }, layers: [] }, { entry: "main.mjs", userDockerfile: "FROM ubuntu:24.04\n" });
    assert.match(fromFile, /^FROM ubuntu:24\.04\nCOPY --from=node:20-bookworm-slim \/usr\/local\/bin\/node /m);
  });

  it("addNode/addPython after a Dockerfile that ends as another user run as root, then give the build back to that user", () => {
    const text = renderDockerfile({ ...image, base: { kind: "dockerfile", path: "Dockerfile", context: ".", addPython: "3.12" }, layers: [] },
      { entry: "main.mjs", userDockerfile: "FROM ubuntu:24.04 AS base\nUSER builder\nFROM base\nRUN make\nUSER app\n" });
    assert.match(text, /\nUSER app\nUSER root\nCOPY --from=ghcr\.io\/astral-sh\/uv:0\.8\.14 \/uv \/usr\/local\/bin\/uv\nRUN .*uv venv .*\nENV PATH=\/opt\/venv\/bin:\$PATH\nUSER app\n/);
    const asRoot = renderDockerfile({ ...image, base: { kind: "dockerfile", path: "Dockerfile", context: ".", addNode: "22" }, layers: [] }, { entry: "main.mjs", userDockerfile: "FROM ubuntu:24.04\n" });
    assert.doesNotMatch(asRoot, /^USER /m);
  });
});
