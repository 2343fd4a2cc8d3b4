/**
 * Reads a stack's config the way `pulumi` would hand it to the program: project defaults from
 * `Pulumi.yaml` (`config:`), then `Pulumi.<stack>.yaml`. Secure values cannot be decrypted
 * offline; they become the string "[secret]" and their keys are marked secret.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

export interface StackConfig {
  values: Record<string, string>;
  secretKeys: string[];
  /** the files read, relative to the project root */
  files: string[];
}

function isSecure(value: unknown): boolean {
  return !!value && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length === 1 && "secure" in value;
}

/** Replaces `{ secure: ... }` leaves; reports whether any was found. */
function stripSecure(value: unknown): { value: unknown; secret: boolean } {
  if (isSecure(value)) return { value: "[secret]", secret: true };
  if (Array.isArray(value)) {
    const parts = value.map(stripSecure);
    return { value: parts.map((p) => p.value), secret: parts.some((p) => p.secret) };
  }
  if (value && typeof value === "object") {
    let secret = false;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const p = stripSecure(v);
      out[k] = p.value;
      secret ||= p.secret;
    }
    return { value: out, secret };
  }
  return { value, secret: false };
}

/** `gantry:app` stays as is; a key without namespace belongs to the project. */
function fullKey(key: string, project: string): string {
  return key.includes(":") ? key : `${project}:${key}`;
}

function addValue(out: StackConfig, key: string, raw: unknown): void {
  const { value, secret } = stripSecure(raw);
  out.values[key] = typeof value === "string" ? value : JSON.stringify(value);
  if (secret && !out.secretKeys.includes(key)) out.secretKeys.push(key);
}

export function readStackConfig(projectRoot: string, stack: string, projectName = "gantry"): StackConfig {
  const out: StackConfig = { values: {}, secretKeys: [], files: [] };
  const projectFile = join(projectRoot, "Pulumi.yaml");
  let project = projectName;
  if (existsSync(projectFile)) {
    const doc = (parse(readFileSync(projectFile, "utf8")) ?? {}) as { name?: string; config?: Record<string, unknown> };
    project = doc.name ?? project;
    out.files.push("Pulumi.yaml");
    for (const [key, entry] of Object.entries(doc.config ?? {})) {
      const v = entry && typeof entry === "object" && !Array.isArray(entry) && ("default" in entry || "value" in entry)
        ? (entry as { default?: unknown; value?: unknown }).value ?? (entry as { default?: unknown }).default
        : entry;
      if (v !== undefined) addValue(out, fullKey(key, project), v);
    }
  }
  const stackFile = join(projectRoot, `Pulumi.${stack}.yaml`);
  if (existsSync(stackFile)) {
    const doc = (parse(readFileSync(stackFile, "utf8")) ?? {}) as { config?: Record<string, unknown> };
    out.files.push(`Pulumi.${stack}.yaml`);
    for (const [key, value] of Object.entries(doc.config ?? {})) addValue(out, fullKey(key, project), value);
  }
  out.secretKeys.sort();
  return out;
}
