/**
 * Images: `Image.debianSlim/fromRegistry/fromDockerfile` and the chained builder calls, each one
 * layer with its own source location; unpinned packages are warned about where they are written.
 */
import { existsSync } from "node:fs";
import { dirname, relative, resolve, sep } from "node:path";
import type { Node } from "ts-morph";
import { contentId } from "../hash.ts";
import { DEFAULTS, type ImageBase, type ImageLayer, type ImageSpec } from "../spec.ts";
import type { Context } from "./context.ts";
import { readObject, readString, readStrings } from "./read.ts";
import { baseProvides, readDockerfile } from "./image-needs.ts";
import { describeValue, unknownValue, type LayerData, type LayerValue, type SValue } from "./values.ts";

export const IMAGE_METHODS = ["aptInstall", "pipInstall", "npmInstall", "runCommands", "env", "workdir", "addLocalFile", "addLocalDir"] as const;

type ImageSdk = { type: "image"; base: ImageBase; layers: LayerValue[] };

/** `Image.<factory>(...)` */
export function imageFactory(ctx: Context, factory: string, args: SValue[], node: Node): ImageSdk | SValue {
  const [first, second] = args;
  switch (factory) {
    case "debianSlim": {
      const opts = first ? readObject(ctx, first, "Image.debianSlim option", ["node", "python"]) : new Map();
      if (!opts) return unknownValue(node, "invalid image", "", true);
      const nodeVersion = opts.get("node") ? readVersion(ctx, opts.get("node")!.value, "the Node version") : DEFAULTS.nodeVersion;
      const python = opts.get("python") ? readVersion(ctx, opts.get("python")!.value, "the Python version") : null;
      if (nodeVersion === undefined || python === undefined) return unknownValue(node, "invalid image", "", true);
      return { type: "image", base: { kind: "debianSlim", node: nodeVersion, python }, layers: [] };
    }
    case "fromRegistry": {
      const ref = first ? readString(ctx, first, "the image reference") : missing(ctx, node, "Image.fromRegistry needs an image reference, e.g. \"python:3.12-slim\"");
      const opts = second ? readObject(ctx, second, "Image.fromRegistry option", ["addNode", "addPython"]) : new Map();
      if (ref === undefined || !opts) return unknownValue(node, "invalid image", "", true);
      const adds = readAdds(ctx, opts);
      if (!adds) return unknownValue(node, "invalid image", "", true);
      if (ref.trim() === "") {
        ctx.report("GANTRY1801", first!.node, "the image reference is empty");
        return unknownValue(node, "invalid image", "", true);
      }
      const image: ImageSdk = { type: "image", base: { kind: "registry", ref, addNode: adds.addNode ?? null, ...pythonOf(adds) }, layers: [] };
      warnNoNode(ctx, image.base, node);
      return image;
    }
    case "fromDockerfile": {
      const path = first ? readString(ctx, first, "the Dockerfile path") : missing(ctx, node, "Image.fromDockerfile needs the Dockerfile's path");
      const opts = second ? readObject(ctx, second, "Image.fromDockerfile option", ["context", "addNode", "addPython"]) : new Map();
      if (path === undefined || !opts) return unknownValue(node, "invalid image", "", true);
      const adds = readAdds(ctx, opts);
      if (!adds) return unknownValue(node, "invalid image", "", true);
      const dockerfile = localPath(ctx, node, path, first!.node, "the Dockerfile");
      const contextValue = opts.get("context") ? readString(ctx, opts.get("context")!.value, "the build context") : undefined;
      if (opts.get("context") && contextValue === undefined) return unknownValue(node, "invalid image", "", true);
      const context = contextValue !== undefined
        ? localPath(ctx, node, contextValue, opts.get("context")!.value.node, "the build context")
        : ctx.project.rel(dirname(resolve(ctx.project.root, dockerfile))) || ".";
      const image: ImageSdk = { type: "image", base: { kind: "dockerfile", path: dockerfile, context, ...(adds.addNode ? { addNode: adds.addNode } : {}), ...pythonOf(adds) }, layers: [] };
      warnNoNode(ctx, image.base, node);
      return image;
    }
    default:
      return unknownValue(node, `Image.${factory} is not an image factory`, "use Image.debianSlim, Image.fromRegistry or Image.fromDockerfile");
  }
}

/** `image.<method>(...)`: the same image with one more layer. */
export function imageMethod(ctx: Context, image: ImageSdk, method: string, args: SValue[], nameNode: Node, callNode: Node): ImageSdk | SValue {
  const layer = readLayer(ctx, method, args, nameNode, callNode);
  if (!layer) return unknownValue(callNode, "invalid image layer", "", true);
  if (layer.layer.kind === "pip" && !image.layers.some((l) => l.layer.kind === "pip")) warnNoPython(ctx, image.base, nameNode);
  return { type: "image", base: image.base, layers: [...image.layers, layer] };
}

function readLayer(ctx: Context, method: string, args: SValue[], nameNode: Node, callNode: Node): LayerValue | undefined {
  const make = (layer: LayerData, packageNodes: Node[] = []): LayerValue => ({ layer, node: nameNode, packageNodes });
  switch (method) {
    case "aptInstall":
    case "npmInstall": {
      if (args.length === 0) return invalidLayer(ctx, callNode, `${method}() needs at least one package`);
      const packages = readStrings(ctx, args, `a package of ${method}`);
      if (packages.length !== countLeaves(args)) return undefined;
      for (const p of packages) warnUnpinned(ctx, method === "aptInstall" ? "apt" : "npm", p.value, p.node);
      return make({ kind: method === "aptInstall" ? "apt" : "npm", packages: packages.map((p) => p.value) }, packages.map((p) => p.node));
    }
    case "pipInstall": {
      // strings, arrays of strings, and an options object (anywhere, usually last)
      const options = args.filter((a) => a.kind === "object");
      const packageArgs = args.filter((a) => a.kind !== "object");
      const packages = readStrings(ctx, packageArgs, "a package of pipInstall");
      if (packages.length !== countLeaves(packageArgs)) return undefined;
      let extraOptions: string | null = null;
      if (options.length > 1) return invalidLayer(ctx, options[1].node, "pipInstall() takes one options object");
      if (options.length === 1) {
        const opts = readObject(ctx, options[0], "pipInstall option", ["extraOptions"]);
        if (!opts) return undefined;
        if (opts.get("extraOptions")) {
          const extra = readString(ctx, opts.get("extraOptions")!.value, "extraOptions");
          if (extra === undefined) return undefined;
          extraOptions = extra;
        }
      }
      if (packages.length === 0) return invalidLayer(ctx, callNode, "pipInstall() needs at least one package");
      for (const p of packages) warnUnpinned(ctx, "pip", p.value, p.node);
      return make({ kind: "pip", packages: packages.map((p) => p.value), extraOptions }, packages.map((p) => p.node));
    }
    case "runCommands": {
      if (args.length === 0) return invalidLayer(ctx, callNode, "runCommands() needs at least one command");
      const commands = readStrings(ctx, args, "a command of runCommands");
      if (commands.length !== countLeaves(args)) return undefined;
      return make({ kind: "run", commands: commands.map((c) => c.value) });
    }
    case "env": {
      if (args.length !== 1) return invalidLayer(ctx, callNode, "env() takes one object of variables, e.g. env({ HF_HOME: \"/models\" })");
      const vars = readEnv(ctx, args[0], "an image env variable");
      return vars ? make({ kind: "env", vars }) : undefined;
    }
    case "workdir": {
      const path = args[0] ? readString(ctx, args[0], "the workdir") : undefined;
      if (path === undefined) return args[0] ? undefined : invalidLayer(ctx, callNode, "workdir() needs a path");
      if (!path.startsWith("/")) return invalidLayer(ctx, args[0].node, `the workdir must be an absolute path in the image, got "${path}"`);
      return make({ kind: "workdir", path });
    }
    case "addLocalFile":
    case "addLocalDir": {
      if (args.length !== 2) return invalidLayer(ctx, callNode, `${method}() takes the local path and the path in the image`);
      const local = readString(ctx, args[0], "the local path");
      const remote = readString(ctx, args[1], "the path in the image");
      if (local === undefined || remote === undefined) return undefined;
      if (!remote.startsWith("/")) return invalidLayer(ctx, args[1].node, `the path in the image must be absolute, got "${remote}"`);
      const localRel = localPath(ctx, args[0].node, local, args[0].node, method === "addLocalFile" ? "the local file" : "the local directory");
      return make({ kind: method, local: localRel, remote });
    }
    default:
      return invalidLayer(ctx, nameNode, `images have no method "${method}"; they have ${IMAGE_METHODS.join(", ")}`);
  }
}

/** `{ NAME: "value" }`: names of environment variables, string values. */
export function readEnv(ctx: Context, v: SValue, what: string): Record<string, string> | undefined {
  if (v.kind === "unknown") return void ctx.reportUnknown(v, what);
  if (v.kind !== "object") {
    ctx.report("GANTRY1201", v.node, `${what}s must be given as an object literal, got ${describeValue(v)}`);
    return undefined;
  }
  const vars: Record<string, string> = {};
  let ok = true;
  for (const key of [...v.props.keys()].sort()) {
    const prop = v.props.get(key)!;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
      ctx.report("GANTRY1304", prop.key, `"${key}" is not a valid environment variable name (letters, digits and _, not starting with a digit)`);
      ok = false;
      continue;
    }
    const value = readString(ctx, prop.value, `${what} ${key}`);
    if (value === undefined) ok = false;
    else vars[key] = value;
  }
  return ok ? vars : undefined;
}

/** `addNode` / `addPython` of `fromRegistry` and `fromDockerfile`: versions, or undefined when invalid. */
function readAdds(ctx: Context, opts: Map<string, { value: SValue }>): { addNode: string | null; addPython: string | null } | undefined {
  const read = (key: string) => (opts.get(key) ? readVersion(ctx, opts.get(key)!.value, key) : null);
  const addNode = read("addNode");
  const addPython = read("addPython");
  if (addNode === undefined || addPython === undefined) return undefined;
  return { addNode, addPython };
}

function pythonOf(adds: { addPython: string | null }): { addPython?: string } {
  return adds.addPython ? { addPython: adds.addPython } : {};
}

/** What the base is called in messages, and how to write it with an option added (a Dockerfile's path as the file at `at` would write it). */
function describeBase(ctx: Context, base: ImageBase, option: string, at: Node): { what: string; fix: string } {
  if (base.kind === "registry") return { what: `the image ${base.ref}`, fix: `Image.fromRegistry(${JSON.stringify(base.ref)}, { ${option} })` };
  if (base.kind === "dockerfile") {
    const written = relative(dirname(at.getSourceFile().getFilePath()), resolve(ctx.project.root, base.path)).split(sep).join("/");
    return { what: `the Dockerfile ${base.path}`, fix: `Image.fromDockerfile(${JSON.stringify(written)}, { ${option} })` };
  }
  return { what: "Image.debianSlim()", fix: `Image.debianSlim({ ${option} })` };
}

function dockerfileOf(ctx: Context, base: ImageBase): string | undefined {
  return base.kind === "dockerfile" ? readDockerfile(ctx.project.root, base.path) : undefined;
}

/** GANTRY1803 at the image's factory call: its base has no Node, and the entrypoint of every container is `node`. */
function warnNoNode(ctx: Context, base: ImageBase, at: Node): void {
  if (baseProvides(base, dockerfileOf(ctx, base)).node !== false) return;
  const { what, fix } = describeBase(ctx, base, `addNode: "${DEFAULTS.nodeVersion}"`, at);
  ctx.report("GANTRY1803", at, `${what} has no Node that gantry can see, and every gantry container starts with node: write ${fix} (or a base with Node)`);
}

/** GANTRY1804 at the first pipInstall: the base has no Python, so the build's `pip install` would fail. */
function warnNoPython(ctx: Context, base: ImageBase, at: Node): void {
  if (baseProvides(base, dockerfileOf(ctx, base)).python !== false) return;
  const { what, fix } = describeBase(ctx, base, `addPython: "${DEFAULT_ADD_PYTHON}"`, at);
  ctx.report("GANTRY1804", at, `pipInstall needs Python, and ${what} has none that gantry can see: write ${fix} (or a base with Python)`);
}

/** The Python version suggested for `addPython`. */
const DEFAULT_ADD_PYTHON = "3.12";

function readVersion(ctx: Context, v: SValue, what: string): string | undefined {
  // `{ node: 20 }` reads as well as `{ node: "20" }`
  if (v.kind === "primitive" && typeof v.value === "number") return String(v.value);
  return readString(ctx, v, what);
}

/**
 * A local path is resolved against the directory of the file that wrote it, and recorded relative
 * to the project root; a path that does not exist is a warning (it may be generated before a build).
 */
export function localPath(ctx: Context, owner: Node, path: string, at: Node, what: string): string {
  const absolute = resolve(dirname(owner.getSourceFile().getFilePath()), path);
  if (!existsSync(absolute)) ctx.report("GANTRY1802", at, `${what} "${path}" does not exist (looked for ${ctx.project.rel(absolute) || "."} in the project)`);
  return ctx.project.rel(absolute) || ".";
}

/** Values in a list of arguments, arrays flattened (what readStrings should return when all are strings). */
function countLeaves(values: SValue[]): number {
  return values.reduce((n, v) => n + (v.kind === "array" ? countLeaves(v.items) : 1), 0);
}

function missing(ctx: Context, node: Node, message: string): undefined {
  ctx.report("GANTRY1801", node, message);
  return undefined;
}

function invalidLayer(ctx: Context, node: Node, message: string): undefined {
  ctx.report("GANTRY1801", node, message);
  return undefined;
}

/** apt `name=version`, pip `name==version` (or a direct reference), npm `name@version` with an exact version. */
export function unpinnedReason(manager: "apt" | "pip" | "npm", spec: string): string | undefined {
  const s = spec.trim();
  if (s.startsWith("-")) return undefined; // a flag, e.g. "--no-install-recommends"
  if (manager === "apt") {
    return s.includes("=") ? undefined : `apt package "${s}" is not pinned: write "${s}=<version>"`;
  }
  if (manager === "pip") {
    if (/===?/.test(s.replace(/[<>!~]=/g, "")) || s.includes(" @ ") || /^(git\+|https?:|file:)/.test(s)) return undefined;
    const name = s.split(/[<>=!~;\[ ]/)[0];
    return `pip package "${s}" is not pinned: write "${name}==<version>"`;
  }
  const at = s.indexOf("@", s.startsWith("@") ? 1 : 0);
  const name = at === -1 ? s : s.slice(0, at);
  const version = at === -1 ? "" : s.slice(at + 1);
  if (/^(git\+|https?:|file:|github:)/.test(version) || /^\d+\.\d+\.\d+([-+][\w.+-]*)?$/.test(version)) return undefined;
  return `npm package "${s}" is not pinned: write "${name}@<exact version>"`;
}

function warnUnpinned(ctx: Context, manager: "apt" | "pip" | "npm", spec: string, node: Node): void {
  const reason = unpinnedReason(manager, spec);
  if (reason) ctx.report("GANTRY1800", node, `${reason} so every build installs the same thing`);
}

/** The spec entry of an image value; ids hash the content, not the source locations. */
export function imageSpec(ctx: Context, image: ImageSdk, node: Node | null): ImageSpec {
  const layers: ImageLayer[] = image.layers.map((l) => ({ ...l.layer, source: ctx.location(l.node) }) as ImageLayer);
  const id = contentId("img", { base: image.base, layers: image.layers.map((l) => l.layer) });
  return { id, base: image.base, layers, source: node ? ctx.location(node) : null };
}

export const DEFAULT_IMAGE: ImageSdk = {
  type: "image",
  base: { kind: "debianSlim", node: DEFAULTS.nodeVersion, python: null },
  layers: [],
};
