/**
 * Serialized Pulumi inputs -> plan JSON: secrets become "[secret]", unknowns "[unknown]",
 * resource references their URN, files and archives their content hash; object keys sorted.
 */
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { isAbsolute, join, relative } from "node:path";

const rpc = pulumi.runtime;
const SIG = rpc.specialSigKey;

function sha256(data: string | Buffer): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

function hashPath(root: string, path: string): string {
  const abs = isAbsolute(path) ? path : join(root, path);
  if (!existsSync(abs)) return "missing";
  if (!statSync(abs).isDirectory()) return sha256(readFileSync(abs));
  const hash = createHash("sha256");
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir).sort()) {
      const p = join(dir, entry);
      if (statSync(p).isDirectory()) walk(p);
      else hash.update(relative(abs, p)).update("\0").update(readFileSync(p)).update("\0");
    }
  };
  walk(abs);
  return `sha256:${hash.digest("hex")}`;
}

function normalizeAsset(value: Record<string, unknown>, root: string): unknown {
  if (typeof value.text === "string") return { "[text]": value.text };
  if (typeof value.path === "string") return { "[file]": value.path, sha256: hashPath(root, value.path) };
  return { "[uri]": value.uri };
}

function normalizeArchive(value: Record<string, unknown>, root: string): unknown {
  if (value.assets && typeof value.assets === "object") {
    const assets = value.assets as Record<string, Record<string, unknown>>;
    return {
      "[archive]": Object.fromEntries(Object.keys(assets).sort().map((name) => {
        const a = assets[name];
        return [name, a[SIG] === rpc.specialArchiveSig ? normalizeArchive(a, root) : normalizeAsset(a, root)];
      })),
    };
  }
  if (typeof value.path === "string") return { "[archive]": value.path, sha256: hashPath(root, value.path) };
  return { "[archive]": value.uri };
}

export function normalize(value: unknown, root: string): unknown {
  if (value === rpc.unknownValue) return "[unknown]";
  if (Array.isArray(value)) return value.map((v) => normalize(v, root));
  if (value === null || typeof value !== "object") return value;
  const obj = value as Record<string, unknown>;
  switch (obj[SIG]) {
    case rpc.specialSecretSig:
      return "[secret]";
    case rpc.specialResourceSig:
      return obj.urn;
    case rpc.specialAssetSig:
      return normalizeAsset(obj, root);
    case rpc.specialArchiveSig:
      return normalizeArchive(obj, root);
    case rpc.specialOutputValueSig:
      if (obj.secret) return "[secret]";
      return "value" in obj ? normalize(obj.value, root) : "[unknown]";
    default:
      return Object.fromEntries(Object.keys(obj).sort().map((k) => [k, normalize(obj[k], root)]));
  }
}
