/**
 * The Dockerfile for an Image spec. Deterministic (same spec, same bytes) and one instruction per
 * builder call, so an edit to one call only rebuilds the layers from there on. The app bundle
 * comes last, from the build context named `gantry`, so code changes never invalidate the
 * package layers above it.
 */
import type { ImageLayer, ImageSpec } from "../../synth/spec.ts";
import { dockerfileUser } from "../../synth/analyze/image-needs.ts";

/** Where the bundle lives in the image, and where `npmInstall` puts packages it can resolve. */
export const APP_DIR = "/opt/gantry/app";
export const NPM_PREFIX = "/opt/gantry";

export interface DockerfileOptions {
  /** the bundle's entry file, relative to the bundle dir (`main.mjs`, or `app.mjs` without a runtime) */
  entry: string;
  /** content of the user's Dockerfile, for `Image.fromDockerfile` */
  userDockerfile?: string;
}

function sh(value: string): string {
  return /^[A-Za-z0-9_@%+=:,./~^-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

function json(values: string[]): string {
  return JSON.stringify(values);
}

function nodeFromImage(version: string): string {
  return `node:${version}-bookworm-slim`;
}

/** Copies Node (a self-contained binary plus npm) into a glibc image. */
function addNodeLines(version: string): string[] {
  const from = nodeFromImage(version);
  return [
    `COPY --from=${from} /usr/local/bin/node /usr/local/bin/node`,
    `COPY --from=${from} /usr/local/lib/node_modules /usr/local/lib/node_modules`,
    "RUN ln -sf ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm && ln -sf ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx",
  ];
}

/** uv, pinned: it installs a standalone CPython (python-build-standalone) that runs on any glibc image. */
export const UV_IMAGE = "ghcr.io/astral-sh/uv:0.8.14";

/**
 * `addPython`: a standalone CPython of that version in /opt/python with a venv (pip seeded) at
 * /opt/venv first on PATH, as Modal's `add_python` does; independent of the base's own packages.
 */
function addPythonLines(version: string): string[] {
  return [
    `COPY --from=${UV_IMAGE} /uv /usr/local/bin/uv`,
    `RUN UV_PYTHON_INSTALL_DIR=/opt/python UV_PYTHON_PREFERENCE=only-managed uv venv --seed --python ${sh(version)} /opt/venv`,
    "ENV PATH=/opt/venv/bin:$PATH",
  ];
}

/** `lines` run as root, then the build goes on as the user the user's Dockerfile left it in. */
function asRoot(lines: string[], user: string | null): string[] {
  if (!lines.length || user === null || user === "root" || user === "0" || user.startsWith("0:")) return lines;
  return ["USER root", ...lines, `USER ${user}`];
}

function addLines(base: { addNode?: string | null; addPython?: string }): string[] {
  return [...(base.addNode ? addNodeLines(base.addNode) : []), ...(base.addPython ? addPythonLines(base.addPython) : [])];
}

function baseLines(spec: ImageSpec, options: DockerfileOptions): { lines: string[]; hasPython: boolean } {
  const base = spec.base;
  switch (base.kind) {
    case "debianSlim":
      if (base.python) {
        return { lines: [`FROM python:${base.python}-slim-bookworm`, ...addNodeLines(base.node)], hasPython: true };
      }
      return { lines: [`FROM ${nodeFromImage(base.node)}`], hasPython: false };
    case "registry":
      return { lines: [`FROM ${base.ref}`, ...addLines(base)], hasPython: !!base.addPython };
    case "dockerfile": {
      if (options.userDockerfile === undefined) throw new Error(`the Dockerfile ${base.path} was not read`);
      const user = options.userDockerfile.replace(/\s+$/, "");
      return { lines: [`# from ${base.path}`, user, ...asRoot(addLines(base), dockerfileUser(options.userDockerfile))], hasPython: !!base.addPython };
    }
  }
}

/** A Debian system Python refuses `pip install` (PEP 668): give it a venv once. */
const PYTHON_SETUP = [
  "RUN apt-get update && apt-get install -y --no-install-recommends python3 python3-pip python3-venv && rm -rf /var/lib/apt/lists/* && python3 -m venv /opt/venv",
  "ENV PATH=/opt/venv/bin:$PATH",
];

function layerLine(layer: ImageLayer): string {
  switch (layer.kind) {
    case "apt":
      return `RUN apt-get update && apt-get install -y --no-install-recommends ${layer.packages.map(sh).join(" ")} && rm -rf /var/lib/apt/lists/*`;
    case "pip":
      return `RUN pip install --no-cache-dir ${layer.extraOptions ? `${layer.extraOptions} ` : ""}${layer.packages.map(sh).join(" ")}`;
    case "npm":
      return `RUN npm install --prefix ${NPM_PREFIX} --no-audit --no-fund --omit=dev ${layer.packages.map(sh).join(" ")}`;
    case "run":
      return `RUN ${layer.commands.join(" && ")}`;
    case "env":
      return `ENV ${Object.entries(layer.vars).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(" ")}`;
    case "workdir":
      return `WORKDIR ${layer.path}`;
    case "addLocalFile":
      return `COPY ${json([layer.local, layer.remote])}`;
    case "addLocalDir":
      return `COPY ${json([layer.local.endsWith("/") ? layer.local : `${layer.local}/`, layer.remote])}`;
  }
}

export function renderDockerfile(spec: ImageSpec, options: DockerfileOptions): string {
  const { lines, hasPython } = baseLines(spec, options);
  const out = ["# syntax=docker/dockerfile:1", `# gantry image ${spec.id}: generated, do not edit`, ...lines];
  let python = hasPython || spec.base.kind !== "debianSlim";
  for (const layer of spec.layers) {
    if (layer.kind === "pip" && !python) {
      out.push(...PYTHON_SETUP);
      python = true;
    }
    out.push(layerLine(layer));
  }
  out.push(
    `COPY --from=gantry / ${APP_DIR}/`,
    `ENV NODE_ENV=production GANTRY_APP_DIR=${APP_DIR}`,
    "STOPSIGNAL SIGTERM",
    `ENTRYPOINT ${json(["node", `${APP_DIR}/${options.entry}`])}`,
  );
  return `${out.join("\n")}\n`;
}
