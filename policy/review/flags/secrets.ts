/**
 * "Secret changed": secrets added, removed, given new keys or (for `fromDict`) new values, and
 * declarations that gain access to a secret. Names and keys only, never values. For a bare preview:
 * Secrets Manager secrets and secret versions that change; for any preview: every secret input
 * (a value the engine printed as "[secret]") that changes, or that a new resource is given.
 */
import type { AppSpec, SecretSpec } from "../../../synth/spec.ts";
import type { Flag, ResourceChange, Side } from "../model.ts";
import { formatPath, type PathSegment } from "../paths.ts";

export function secretFlagsFromSpecs(base: AppSpec, head: AppSpec): Flag[] {
  const flags: Flag[] = [];
  const before = new Map(base.secrets.map((s) => [s.id, s]));
  const after = new Map(head.secrets.map((s) => [s.id, s]));
  for (const s of head.secrets) {
    const old = before.get(s.id);
    const details = old ? changed(old, s) : [`new secret ${label(s)}`];
    if (details.length) flags.push({ kind: "secret-changed", declaration: null, source: s.source, details });
  }
  for (const s of base.secrets) {
    if (!after.has(s.id)) flags.push({ kind: "secret-changed", declaration: null, source: null, details: [`secret ${label(s)} removed`] });
  }
  // access: a declaration that reads a secret it did not read before
  const oldAccess = new Map([...base.functions, ...base.classes].map((d) => [d.name, new Set(d.options.secrets)]));
  for (const d of [...head.functions, ...head.classes]) {
    const had = oldAccess.get(d.name) ?? new Set<string>();
    const gained = d.options.secrets.filter((id) => !had.has(id)).map((id) => (after.get(id) ? label(after.get(id)!) : id));
    if (gained.length) flags.push({ kind: "secret-changed", declaration: d.name, source: d.source, details: [`${d.name} can now read ${gained.join(", ")}`] });
  }
  return flags;
}

function label(s: SecretSpec): string {
  if (s.kind === "named") return `"${s.name}"`;
  if (s.kind === "dict") return `Secret.fromDict(${s.keys.join(", ")})`;
  return `Secret.fromDotenv("${s.path}")`;
}

function changed(a: SecretSpec, b: SecretSpec): string[] {
  const out: string[] = [];
  if (a.kind === "named" && b.kind === "named") {
    if (a.name !== b.name) out.push(`secret "${a.name}" -> "${b.name}"`);
    const added = b.requiredKeys.filter((k) => !a.requiredKeys.includes(k));
    if (added.length) out.push(`secret "${b.name}" now requires ${added.join(", ")}`);
  } else if (a.kind === "dict" && b.kind === "dict") {
    if (a.keys.join() !== b.keys.join()) out.push(`Secret.fromDict keys ${a.keys.join(", ") || "none"} -> ${b.keys.join(", ") || "none"}`);
    else if (a.valueHash !== b.valueHash) out.push(`Secret.fromDict(${b.keys.join(", ")}) values changed`);
  } else if (a.kind === "dotenv" && b.kind === "dotenv") {
    if (a.path !== b.path || a.keys.join() !== b.keys.join()) out.push(`Secret.fromDotenv("${b.path}") keys ${b.keys.join(", ")}`);
  } else {
    out.push(`secret ${label(a)} -> ${label(b)}`);
  }
  return out;
}

export function secretFlagsFromResources(head: Side, changes: readonly ResourceChange[]): Flag[] {
  const flags: Flag[] = [];
  for (const c of changes) {
    if (c.type !== "aws:secretsmanager/secret:Secret" && c.type !== "aws:secretsmanager/secretVersion:SecretVersion") continue;
    const r = head.resources.get(c.urn);
    const name = String(r?.inputs.name ?? c.name);
    const what = c.type.endsWith(":Secret") ? `secret ${name} ${c.op === "create" ? "created" : c.op === "delete" ? "deleted" : "changed"}` : `value of ${name} ${c.op === "delete" ? "removed" : "changes"}`;
    flags.push({ kind: "secret-changed", declaration: c.declaration, source: c.source, details: [what] });
  }
  return flags;
}

const SECRETS_MANAGER = /^aws:secretsmanager\//;

/**
 * Secret inputs of any resource: the engine masks every secret value as "[secret]" (an ECR token
 * in `registries[0].password`, `environment.TOKEN`), so a row with "[secret]" on either side of an
 * update or replace is a secret that changes, and a created resource's "[secret]" inputs are
 * secrets it is given. Secrets Manager resources have their own facts above.
 */
export function secretInputFlags(head: Side, changes: readonly ResourceChange[]): Flag[] {
  const flags: Flag[] = [];
  for (const c of changes) {
    if (SECRETS_MANAGER.test(c.type)) continue;
    const what = `${c.type.split(":").pop()} ${c.name}`;
    let details: string[] = [];
    if (c.op === "update" || c.op === "replace") {
      details = c.properties
        .filter((p) => p.before === "[secret]" || p.after === "[secret]")
        .map((p) => `secret input ${p.path} of ${what} ${p.kind === "add" ? "added" : p.kind === "delete" ? "removed" : "changes"}`);
    } else if (c.op === "create") {
      const paths = secretPaths(head.resources.get(c.urn)?.inputs ?? {}, []);
      if (paths.length) details = [`new ${what} has secret input${paths.length > 1 ? "s" : ""} ${paths.join(", ")}`];
    }
    if (details.length) flags.push({ kind: "secret-changed", declaration: c.declaration, source: c.source, details });
  }
  return flags;
}

function secretPaths(value: unknown, at: PathSegment[]): string[] {
  if (value === "[secret]") return [formatPath(at)];
  if (Array.isArray(value)) return value.flatMap((v, i) => secretPaths(v, [...at, i]));
  if (value && typeof value === "object") return Object.entries(value).flatMap(([k, v]) => secretPaths(v, [...at, k]));
  return [];
}
