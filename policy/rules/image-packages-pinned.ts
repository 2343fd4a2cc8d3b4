/**
 * Image packages are pinned to exact versions, so a rebuild installs what was reviewed:
 * pip `name==1.2.3`, npm `name@1.2.3`, apt `name=1.2-3` (apt only when asked), and a registry
 * base image has a tag other than `latest` (or a digest).
 */
import { z } from "zod";
import type { ImageLayer } from "../../synth/spec.ts";
import type { Finding, GantryPolicy } from "../types.ts";

const Manager = z.enum(["pip", "npm", "apt"]);
const Config = z.strictObject({
  managers: z.array(Manager).default(["pip", "npm"]),
  /** also require registry base images to be pinned by digest (`@sha256:...`) */
  requireBaseDigest: z.boolean().default(false),
});
type Config = z.infer<typeof Config>;

export const imagePackagesPinned: GantryPolicy<Config> = {
  name: "image-packages-pinned",
  description: "Image packages (pip, npm; apt on request) and registry base images are pinned.",
  defaultLevel: "advisory",
  config: Config,
  validate(ctx, config) {
    const findings: Finding[] = [];
    const managers = new Set(config.managers);
    for (const image of ctx.spec.images) {
      if (image.base.kind === "registry") {
        const problem = baseImageProblem(image.base.ref, config.requireBaseDigest);
        if (problem) findings.push({ message: `base image "${image.base.ref}" ${problem}`, declaration: null, source: image.source });
      }
      for (const layer of image.layers) {
        if (layer.kind !== "pip" && layer.kind !== "npm" && layer.kind !== "apt") continue;
        if (!managers.has(layer.kind)) continue;
        for (const pkg of layer.packages) {
          if (isPinned(layer.kind, pkg)) continue;
          findings.push({ message: `${layer.kind} package "${pkg}" is not pinned; write ${example(layer.kind, pkg)}`, declaration: null, source: layer.source });
        }
      }
    }
    return findings;
  },
};

export function isPinned(manager: Extract<ImageLayer["kind"], "pip" | "npm" | "apt">, pkg: string): boolean {
  const p = pkg.trim();
  if (p.startsWith("-")) return true; // an option such as -r requirements.txt: nothing to judge here
  switch (manager) {
    case "pip":
      return /^[A-Za-z0-9][A-Za-z0-9._-]*(\[[^\]]*\])?\s*===?\s*[A-Za-z0-9][A-Za-z0-9.+!_-]*$/.test(p) || /@\s*\S+#sha256=[0-9a-f]{64}$/.test(p);
    case "npm":
      return /^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*@v?\d+\.\d+\.\d+(-[\w.-]+)?(\+[\w.-]+)?$/i.test(p) || /#[0-9a-f]{40}$/.test(p);
    case "apt":
      return /^[a-z0-9][a-z0-9+.-]*=\S+$/.test(p);
  }
}

function example(manager: "pip" | "npm" | "apt", pkg: string): string {
  const name = pkg.replace(/[<>=~^!@* ].*$/, "") || pkg;
  return manager === "pip" ? `"${name}==<version>"` : manager === "npm" ? `"${name}@<version>"` : `"${name}=<version>"`;
}

function baseImageProblem(ref: string, requireDigest: boolean): string | null {
  if (/@sha256:[0-9a-f]{64}$/.test(ref)) return null;
  if (requireDigest) return "is not pinned by digest; add @sha256:<digest>";
  const lastSegment = ref.slice(ref.lastIndexOf("/") + 1);
  const tag = lastSegment.includes(":") ? lastSegment.slice(lastSegment.indexOf(":") + 1) : null;
  if (tag === null) return "has no tag (it means latest); pin a version tag or a digest";
  if (tag === "latest") return "uses the latest tag; pin a version tag or a digest";
  return null;
}
