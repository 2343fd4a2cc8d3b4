/**
 * What an image base provides that gantry's layers need: Node (the container's entrypoint is
 * `node`) and Python (for `pipInstall`). A base is read, never run: a registry reference by its
 * repository and tag (`node:22`, `nvcr.io/nvidia/pytorch:24.01-py3`), a Dockerfile by its final
 * stage (its `FROM`, through `AS` aliases, and what its instructions install). `null` is "cannot
 * tell" (a `FROM ${BASE}`), which is never warned about.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { ImageBase } from "../spec.ts";

export interface Provides {
  node: boolean | null;
  python: boolean | null;
}

const NODE_REF = /(^|[/_-])(node|nodejs|playwright|puppeteer|deno-node)([/_:.-]|$)/;
const PYTHON_REF = /(^|[/_:-])(python\d*(\.\d+)*|py3\d*|pytorch|tensorflow|jupyter|conda|miniconda\d*|mambaforge|miniforge\d*|anaconda\d*|vllm|sglang|huggingface|transformers-pytorch-gpu)([/_:.-]|$)/;
/** Instructions of a Dockerfile that put Node or Python in the image. */
const NODE_INSTALL = /\bnodejs\b|\bnvm install\b|\bfnm install\b|\bvolta install\b|\bnodesource\b|--from=node\b|\/bin\/node\b|\bn (lts|latest|\d+)\b/;
const PYTHON_INSTALL = /\bpython3?(\.\d+)?(-\w+)?\b|\bconda\b|\bmamba\b|\bpyenv\b|\buv python install\b|\bpip3?\b/;

/** What `base` provides (`dockerfileText`: the Dockerfile's content, for `fromDockerfile`). */
export function baseProvides(base: ImageBase, dockerfileText?: string): Provides {
  switch (base.kind) {
    case "debianSlim":
      // the generator installs a Python venv before the first pipInstall of a debianSlim image
      return { node: true, python: true };
    case "registry": {
      const repo = base.ref.toLowerCase();
      return { node: base.addNode ? true : NODE_REF.test(repo), python: base.addPython ? true : PYTHON_REF.test(repo) };
    }
    case "dockerfile": {
      const found = dockerfileText === undefined ? { node: null, python: null } : dockerfileProvides(dockerfileText);
      return { node: base.addNode ? true : found.node, python: base.addPython ? true : found.python };
    }
  }
}

/** The final stage of a Dockerfile: its base image (through stage aliases) and its instructions. */
export function dockerfileProvides(text: string): Provides {
  const stage = finalStage(text);
  if (!stage || stage.from.includes("$")) return { node: null, python: null };
  const body = stage.lines.join("\n");
  return {
    node: NODE_REF.test(stage.from) || NODE_INSTALL.test(body),
    python: PYTHON_REF.test(stage.from) || PYTHON_INSTALL.test(body),
  };
}

/** The user the final stage of a Dockerfile leaves its build in (its last `USER`), null when it sets none. */
export function dockerfileUser(text: string): string | null {
  const users = (finalStage(text)?.lines ?? []).map((l) => /^USER\s+(\S+)/i.exec(l)?.[1]).filter((u): u is string => !!u);
  return users.at(-1) ?? null;
}

/**
 * The final stage: the registry image it starts from, through `AS` aliases, and the instructions
 * of the stages on that chain, first stage first.
 */
function finalStage(text: string): { from: string; lines: string[] } | null {
  const stages = new Map<string, { from: string; lines: string[] }>();
  let current: { from: string; lines: string[] } | null = null;
  // continuation lines joined, comments dropped
  const instructions = text.replace(/\\\r?\n/g, " ").split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
  for (const line of instructions) {
    const from = /^FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) {
      current = { from: from[1].toLowerCase(), lines: [] };
      if (from[2]) stages.set(from[2].toLowerCase(), current);
      continue;
    }
    current?.lines.push(line);
  }
  if (!current) return null;
  // walk the aliases down to a registry image, collecting each stage's instructions
  const chain: string[][] = [];
  let stage: { from: string; lines: string[] } = current;
  const seen = new Set<string>();
  for (;;) {
    chain.unshift(stage.lines);
    const parent = stages.get(stage.from);
    if (!parent || seen.has(stage.from)) break;
    seen.add(stage.from);
    stage = parent;
  }
  return { from: stage.from, lines: chain.flat() };
}

/** Reads the Dockerfile of a `fromDockerfile` base (a path relative to the project root); undefined when it cannot be read. */
export function readDockerfile(projectRoot: string, path: string): string | undefined {
  try {
    return readFileSync(resolve(projectRoot, path), "utf8");
  } catch {
    return undefined;
  }
}
