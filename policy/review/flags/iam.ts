/**
 * "IAM broadened": an Allow grant (action on resource) that the head has and the base had not, on
 * role policies, managed policies, inline policies of roles, policy attachments and trust
 * policies. Wildcards are called out. Works on plans and previews alike (it reads resources).
 *
 * A preview cannot show a policy that refers to resources not created yet (a new queue's ARN): the
 * engine prints the whole document as unknown. That is flagged "cannot tell yet", not passed over:
 * the grant is whatever the document turns out to be.
 */
import type { Flag, NormalResource, Side } from "../model.ts";
import { asJsonDocument } from "../properties.ts";

const MAX_GRANTS = 6;

export function iamFlags(base: Side, head: Side): Flag[] {
  const flags: Flag[] = [];
  for (const r of head.resources.values()) {
    const old = base.resources.get(r.urn);
    const unknown = unknownDocuments(r).filter((what) => !old || !unknownDocuments(old).includes(what));
    if (unknown.length) {
      flags.push({ kind: "iam-broadened", declaration: r.declaration, source: r.source, details: [`${old ? "" : "new "}${roleOf(r)}: cannot tell yet, its ${unknown.join(" and ")} ${unknown.length > 1 ? "are" : "is"} not known until the resources it refers to exist`] });
    }
    const now = grantsOf(r);
    if (now.size === 0) continue;
    const before = old ? grantsOf(old) : new Set<string>();
    const added = [...now].filter((g) => !before.has(g)).sort();
    if (added.length === 0) continue;
    // wildcards first: they are what a reviewer must not miss
    const ordered = [...added.filter(isWildcard).map((g) => `${g} (wildcard)`), ...added.filter((g) => !isWildcard(g))];
    const shown = ordered.slice(0, MAX_GRANTS).join(", ") + (ordered.length > MAX_GRANTS ? `, and ${ordered.length - MAX_GRANTS} more` : "");
    flags.push({ kind: "iam-broadened", declaration: r.declaration, source: r.source, details: [`${old ? "" : "new "}${roleOf(r)} grants ${shown}`] });
  }
  return flags;
}

/** Any action (`s3:*`, `*`) or any resource (`*`): a scoped ARN such as `bucket/*` is not one. */
function isWildcard(grant: string): boolean {
  const [action, resource] = grant.split(" on ");
  return action.includes("*") || resource === "*";
}

function roleOf(r: NormalResource): string {
  const role = typeof r.inputs.role === "string" && !r.inputs.role.startsWith("[") ? r.inputs.role : null;
  return role ? `${r.type.split(":").pop()} ${r.name} (role ${role})` : `${r.type.split(":").pop()} ${r.name}`;
}

/** The grant-bearing inputs of a resource that the engine printed as unknown ("[unknown]"). */
function unknownDocuments(r: NormalResource): string[] {
  const unknown = (v: unknown) => v === "[unknown]";
  const i = r.inputs;
  switch (r.type) {
    case "aws:iam/rolePolicy:RolePolicy":
    case "aws:iam/policy:Policy":
    case "aws:iam/userPolicy:UserPolicy":
      return unknown(i.policy) ? ["policy"] : [];
    case "aws:iam/role:Role": {
      const out: string[] = [];
      if (unknown(i.assumeRolePolicy)) out.push("trust policy");
      if (unknown(i.inlinePolicies) || (Array.isArray(i.inlinePolicies) && i.inlinePolicies.some((p) => unknown((p as { policy?: unknown })?.policy)))) out.push("inline policies");
      if (unknown(i.managedPolicyArns) || (Array.isArray(i.managedPolicyArns) && i.managedPolicyArns.some(unknown))) out.push("managed policies");
      return out;
    }
    case "aws:iam/rolePolicyAttachment:RolePolicyAttachment":
    case "aws:iam/policyAttachment:PolicyAttachment":
      return unknown(i.policyArn) ? ["policy ARN"] : [];
    default:
      return [];
  }
}

/** `Allow s3:GetObject on arn:...` strings of everything a resource grants. */
export function grantsOf(r: NormalResource): Set<string> {
  const out = new Set<string>();
  switch (r.type) {
    case "aws:iam/rolePolicy:RolePolicy":
    case "aws:iam/policy:Policy":
    case "aws:iam/userPolicy:UserPolicy":
      addStatements(r.inputs.policy, out, "");
      break;
    case "aws:iam/role:Role": {
      addStatements(r.inputs.assumeRolePolicy, out, "trust: ");
      const inline = r.inputs.inlinePolicies;
      if (Array.isArray(inline)) for (const p of inline) addStatements((p as { policy?: unknown }).policy, out, "");
      const managed = r.inputs.managedPolicyArns;
      if (Array.isArray(managed)) for (const arn of managed) out.add(`attach ${String(arn)}`);
      break;
    }
    case "aws:iam/rolePolicyAttachment:RolePolicyAttachment":
    case "aws:iam/policyAttachment:PolicyAttachment":
      out.add(`attach ${String(r.inputs.policyArn)}`);
      break;
  }
  return out;
}

function addStatements(doc: unknown, out: Set<string>, prefix: string): void {
  const parsed = (asJsonDocument(doc) ?? doc) as { Statement?: unknown } | undefined;
  if (!parsed || typeof parsed !== "object") return;
  const statements = Array.isArray(parsed.Statement) ? parsed.Statement : parsed.Statement ? [parsed.Statement] : [];
  for (const s of statements as Record<string, unknown>[]) {
    if (!s || s.Effect !== "Allow") continue;
    const actions = list(s.Action ?? (s.NotAction ? list(s.NotAction).map((a) => `NOT ${a}`) : []));
    const resources = s.Principal !== undefined ? principals(s.Principal) : list(s.Resource ?? (s.NotResource ? list(s.NotResource).map((x) => `NOT ${x}`) : ["*"]));
    for (const a of actions) for (const res of resources) out.add(`${prefix}${a} on ${res}`);
  }
}

function principals(p: unknown): string[] {
  if (p === "*") return ["*"];
  if (p && typeof p === "object") return Object.entries(p as Record<string, unknown>).flatMap(([k, v]) => list(v).map((x) => `${k}:${x}`));
  return list(p);
}

function list(v: unknown): string[] {
  return Array.isArray(v) ? v.map(String) : v === undefined || v === null ? [] : [String(v)];
}
