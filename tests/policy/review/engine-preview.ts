/**
 * Two gantry plans -> the `pulumi preview --json` document the Pulumi engine would print for the
 * change between them, in its exact shape (see fixtures/README.md for the sources):
 *
 * - `PreviewDigest` { config, steps, diagnostics, duration, changeSummary } of pulumi/pulumi
 *   sdk/go/common/display/json.go, indented 4 spaces as `json.MarshalIndent(&digest, "", "    ")`;
 * - steps as pkg/backend/display/json.go ShowPreviewDigest lists them: the root stack always, other
 *   resources only when they change (no `--show-sames`), one `replace` step per replacement (no
 *   `--show-replacement-steps`), deletes after the program finished;
 * - states as `apitype.ResourceV3`: `oldState` with id, inputs and outputs, `newState` with inputs
 *   only; secrets as the string "[secret]" (MassageSecrets), unknowns as the engine's computed
 *   placeholder; `detailedDiff` keys as `PropertyPath.String()` writes them, kinds `add`,
 *   `update`, `delete` and their `-replace` forms; `diffReasons` / `replaceReasons` top-level keys;
 * - a program that throws: the steps registered before the throw, no deletes, the language host's
 *   error diagnostic on the root stack, and the summary of what was seen; a cancelled run: the
 *   steps so far and no summary (ShowPreviewDigest breaks out at the CancelEvent).
 *
 * It is written apart from policy/review (its own path printer, its own replace keys) so the tests
 * do not check gantry against itself.
 */
import type { Plan, PlanResource } from "../../../provider/plan.ts";

/** pkg/resource/stack: what an unknown (computed) value serialises to in a state. */
export const COMPUTED = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

type Segment = string | number;

export interface EngineOptions {
  /** a state value the plan cannot show changing: a secret both plans print as "[secret]" (a part of the urn -> paths) */
  secretChanges?: Record<string, Segment[][]>;
  /** values the engine cannot know at preview time (outputs of resources not created yet): a part of the urn -> paths */
  unknown?: Record<string, Segment[][]>;
  /** the program throws after registering this many of the head plan's resources */
  throwAfter?: { resources: number; error: string };
  /** the run is cancelled (Ctrl-C, a CI timeout) after this many resources: the digest has no summary */
  cancelAfter?: number;
}

/**
 * Top-level inputs whose change the providers answer with a replacement (ForceNew in the
 * Terraform AWS provider's schema; task definitions are immutable revisions). Only the types the
 * fixtures change.
 */
const REPLACE_KEYS: Record<string, string[]> = {
  "aws:ecs/taskDefinition:TaskDefinition": ["containerDefinitions", "family", "cpu", "memory", "executionRoleArn", "taskRoleArn", "volumes", "requiresCompatibilities", "networkMode", "placementConstraints"],
  "aws:sqs/queue:Queue": ["name", "fifoQueue"],
  "aws:iam/rolePolicy:RolePolicy": ["name", "role"],
  "aws:ecs/capacityProvider:CapacityProvider": ["name"],
  "aws:autoscaling/group:Group": ["name"],
};

const CREATED = "2026-12-01T09:12:44.081733Z";
const MODIFIED = "2026-12-03T16:40:02.517004Z";

export function enginePreview(base: Plan, head: Plan, options: EngineOptions): string {
  const project = head.resources[0].urn.split("::")[1]; // Pulumi.yaml's name
  const stackUrn = `urn:pulumi:${head.stack}::${project}::pulumi:pulumi:Stack::${project}-${head.stack}`;
  const before = new Map(base.resources.map((r) => [r.urn, r]));
  const after = new Map(head.resources.map((r) => [r.urn, r]));
  const registered = head.resources.slice(0, options.throwAfter?.resources ?? options.cancelAfter ?? head.resources.length);
  const summary: Record<string, number> = { same: 1 };
  const count = (op: string) => (summary[op] = (summary[op] ?? 0) + 1);
  const rootState = { urn: stackUrn, custom: false, type: "pulumi:pulumi:Stack", created: CREATED, modified: MODIFIED };
  const steps: object[] = [{ op: "same", urn: stackUrn, oldState: rootState, newState: rootState, detailedDiff: null }];

  for (const r of registered) {
    const old = before.get(r.urn);
    const newInputs = engineInputs(r, options.unknown, stackUrn);
    if (!old) {
      count("create");
      steps.push({ op: "create", urn: r.urn, ...providerOf(r, head.stack, project), newState: newState(r, newInputs, stackUrn), detailedDiff: null });
      continue;
    }
    const oldInputs = engineInputs(old, undefined, stackUrn);
    const diffs: { path: Segment[]; kind: string }[] = [];
    leafDiffs(oldInputs, newInputs, [], diffs);
    for (const [suffix, paths] of Object.entries(options.secretChanges ?? {})) {
      if (r.urn.includes(suffix)) for (const path of paths) if (!diffs.some((d) => samePath(d.path, path))) diffs.push({ path, kind: "update" });
    }
    if (diffs.length === 0) {
      count("same");
      continue;
    }
    const replaceKeys = REPLACE_KEYS[r.type] ?? [];
    const replacing = diffs.filter((d) => replaceKeys.includes(String(d.path[0])));
    const op = replacing.length ? "replace" : "update";
    count(op);
    const detailedDiff = Object.fromEntries(diffs.map((d) => [pulumiPath(d.path), { kind: replaceKeys.includes(String(d.path[0])) ? `${d.kind}-replace` : d.kind, inputDiff: false }]));
    steps.push({
      op,
      urn: r.urn,
      ...providerOf(r, head.stack, project),
      oldState: oldState(old, oldInputs, head.stack, stackUrn),
      newState: newState(r, newInputs, stackUrn),
      diffReasons: [...new Set(diffs.map((d) => String(d.path[0])))].sort(),
      ...(op === "replace" ? { replaceReasons: [...new Set(replacing.map((d) => String(d.path[0])))].sort() } : {}),
      detailedDiff,
    });
  }

  const diagnostics: object[] = [];
  if (options.throwAfter) {
    // the Node language host's report (sdk/nodejs/cmd/run), on the root stack
    diagnostics.push({ urn: stackUrn, message: `error: Running program '/home/runner/work/${project}' failed with an unhandled exception:\n${options.throwAfter.error}\n`, severity: "error" });
  } else if (options.cancelAfter === undefined) {
    // deletes come after the program finished, children before parents
    for (const r of [...base.resources].reverse()) {
      if (after.has(r.urn)) continue;
      count("delete");
      steps.push({ op: "delete", urn: r.urn, ...providerOf(r, base.stack, project), oldState: oldState(r, engineInputs(r, undefined, stackUrn), base.stack, stackUrn), detailedDiff: null });
    }
  }
  const digest = {
    config: { "aws:region": "us-east-1", "gantry:app": "app.ts" },
    steps,
    ...(diagnostics.length ? { diagnostics } : {}),
    // ShowPreviewDigest stops reading events at a cancellation: no summary event, so no duration or summary
    ...(options.cancelAfter === undefined ? { duration: 7_482_193_000, changeSummary: summary } : {}),
  };
  return `${JSON.stringify(digest, null, 4)}\n`;
}

function isCustom(r: PlanResource): boolean {
  return !r.type.startsWith("gantry:");
}

function providerOf(r: PlanResource, stack: string, project: string): { provider?: string } {
  if (!isCustom(r)) return {};
  const pkg = r.type.split(":")[0];
  const version = { aws: "7_48_0", "docker-build": "0_0_22", kubernetes: "4_34_2" }[pkg] ?? "1_0_0";
  return { provider: `urn:pulumi:${stack}::${project}::pulumi:providers:${pkg}::default_${version}::3f9d1b52-7c1e-4b8a-9f0e-2d6a5c4e8b17` };
}

function oldState(r: PlanResource, inputs: Record<string, unknown>, stack: string, stackUrn: string): object {
  const custom = isCustom(r);
  return {
    urn: r.urn,
    custom,
    ...(custom ? { id: `${r.name}-${r.urn.length.toString(16)}` } : {}),
    type: r.type,
    ...(Object.keys(inputs).length ? { inputs } : {}),
    ...(Object.keys(inputs).length ? { outputs: custom ? { ...inputs, id: `${r.name}-${r.urn.length.toString(16)}` } : inputs } : {}),
    parent: r.parent ?? stackUrn,
    ...(r.dependsOn.length ? { dependencies: r.dependsOn } : {}),
    ...providerOf(r, stack, r.urn.split("::")[1]),
    created: CREATED,
    modified: MODIFIED,
  };
}

function newState(r: PlanResource, inputs: Record<string, unknown>, stackUrn: string): object {
  return {
    urn: r.urn,
    custom: isCustom(r),
    type: r.type,
    ...(Object.keys(inputs).length ? { inputs } : {}),
    parent: r.parent ?? stackUrn,
    ...(r.dependsOn.length ? { dependencies: r.dependsOn } : {}),
    ...providerOf(r, stackOfUrn(r.urn), r.urn.split("::")[1]),
    created: CREATED,
    modified: MODIFIED,
  };
}

function stackOfUrn(urn: string): string {
  return urn.split("::")[0].slice("urn:pulumi:".length);
}

/** The plan's inputs as a state holds them: "[unknown]" as the computed placeholder, the paths the engine cannot know yet too. */
function engineInputs(r: PlanResource, unknown: EngineOptions["unknown"], _stackUrn: string): Record<string, unknown> {
  const inputs = replaceUnknown(structuredClone(r.inputs)) as Record<string, unknown>;
  for (const [suffix, paths] of Object.entries(unknown ?? {})) {
    if (!r.urn.includes(suffix)) continue;
    for (const path of paths) setAt(inputs, path, COMPUTED);
  }
  return inputs;
}

function replaceUnknown(v: unknown): unknown {
  if (v === "[unknown]") return COMPUTED;
  if (Array.isArray(v)) return v.map(replaceUnknown);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, replaceUnknown(x)]));
  return v;
}

function setAt(root: Record<string, unknown>, path: Segment[], value: unknown): void {
  let cur: Record<string | number, unknown> = root;
  for (const s of path.slice(0, -1)) cur = cur[s] as Record<string | number, unknown>;
  cur[path[path.length - 1]] = value;
}

/** Per-leaf differences; an added or removed subtree is one difference at its root. Strings (JSON documents too) compare whole. */
function leafDiffs(a: unknown, b: unknown, path: Segment[], out: { path: Segment[]; kind: string }[]): void {
  if (JSON.stringify(a) === JSON.stringify(b)) return;
  if (a === undefined) return void out.push({ path, kind: "add" });
  if (b === undefined) return void out.push({ path, kind: "delete" });
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) leafDiffs(a[i], b[i], [...path, i], out);
    return;
  }
  if (a && b && typeof a === "object" && typeof b === "object" && !Array.isArray(a) && !Array.isArray(b)) {
    const x = a as Record<string, unknown>;
    const y = b as Record<string, unknown>;
    for (const k of [...new Set([...Object.keys(x), ...Object.keys(y)])].sort()) leafDiffs(x[k], y[k], [...path, k], out);
    return;
  }
  out.push({ path, kind: "update" });
}

function samePath(a: Segment[], b: Segment[]): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}

/** resource.PropertyPath.String(): names of [A-Za-z0-9_] bare, other keys `["..."]`, indices `[n]`. */
export function pulumiPath(path: readonly Segment[]): string {
  return path
    .map((s, i) => (typeof s === "number" ? `[${s}]` : /^[A-Za-z0-9_]+$/.test(s) ? `${i ? "." : ""}${s}` : `["${s.replaceAll('"', '\\"')}"]`))
    .join("");
}
