/**
 * The seam between gantry and a cloud: a target turns the AppSpec into Pulumi resources. The
 * program (provider/run.ts) does what every target shares — read the `gantry:` keys, analyse the
 * app, apply the stack's overrides, check the promoted artifact, run the checks in
 * provider/checks.ts — and hands the rest to the target `gantry:target` (or `gantry synth
 * --target`) names:
 *
 *   readSettings  its own stack config (AWS: gantry:network, ...; Kubernetes: gantry:kubernetes)
 *   validate      what it cannot deploy, at the declaration's file:line:col, before any resource
 *   declare       the resources (each component records its source, provider/source.ts)
 *   summarize     its lines of the `gantry synth` summary
 *
 * Adding a target is a folder (provider/<name>/) exporting a Target, and one line in TARGETS.
 */
import type { Artifact } from "./artifact.ts";
import { awsTarget } from "./aws/index.ts";
import { kubernetesTarget } from "./kubernetes/index.ts";
import type { GantryConfig, StackConfigReader } from "./config.ts";
import type { Plan } from "./plan.ts";
import type { AppSpec } from "../synth/spec.ts";
import type { SecretAccount } from "./aws/secret-adoption.ts";

/**
 * The program runs against a live account (`pulumi preview` / `pulumi up`), not offline: the
 * target may read it, and repair what a deploy would otherwise trip over (a named secret still in
 * its recovery window after `pulumi destroy`).
 */
export interface LiveAccount {
  /** `pulumi preview` (and the preview phase of `up`): read only, change nothing */
  dryRun: boolean;
  /** stand-in clients (tests); default: built from the stack config (aws:region, aws:profile) */
  secretAccount?: SecretAccount;
}

/** Everything a target declares a stack from. */
export interface TargetStack<Settings> {
  /** the spec with the stack's overrides applied, checked */
  spec: AppSpec;
  /** hash of the spec as code declares it (before overrides): what promotion compares */
  specHash: string;
  /** `Secret.fromDict` values by secret id, from the analysis */
  secretValues: Record<string, Record<string, string>>;
  /** the `gantry:` keys every target reads */
  config: GantryConfig;
  /** the target's own settings, from its readSettings */
  settings: Settings;
  projectRoot: string;
  stack: string;
  /** the stack file, for messages: Pulumi.<stack>.yaml */
  stackFile: string;
  /**
   * `gantry:artifact` of a promoted stack, its spec hash already checked against the code:
   * nothing is built, the target runs the artifact's image digests
   */
  artifact: Artifact | null;
  /** null offline (gantry synth, plans, tests): no account is read */
  live: LiveAccount | null;
}

export interface Target<Settings = unknown> {
  /** what `gantry:target` and `--target` say */
  readonly name: string;
  /** reads and checks its own stack config; every problem goes to the reader, with its key path */
  readSettings(reader: StackConfigReader): Settings;
  /** what this target cannot deploy, each as `file:line:col: declaration: why` */
  validate(spec: AppSpec, settings: Settings): string[];
  /** declares every resource of the stack; resolves to the stack outputs */
  declare(stack: TargetStack<Settings>): Promise<Record<string, unknown>>;
  /** the per-declaration and shared-infrastructure lines of `gantry synth` (plan/summary.ts frames them) */
  summarize(plan: Plan): string[];
}

/**
 * Every target name gantry knows. null: named in the docs and refused with a clear message, not
 * built yet.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each entry has its own Settings
const TARGETS: Record<string, Target<any> | null> = {
  aws: awsTarget,
  kubernetes: kubernetesTarget,
};

export type TargetLookup =
  | { kind: "found"; target: Target<unknown> }
  | { kind: "not-implemented"; name: string; implemented: string[] }
  | { kind: "unknown"; name: string; known: string[] };

/** Names that select a target, built or not. */
export function knownTargets(): string[] {
  return Object.keys(TARGETS);
}

/** Names of the targets that can be deployed. */
export function implementedTargets(): string[] {
  return Object.entries(TARGETS).filter(([, t]) => t !== null).map(([name]) => name);
}

export function lookupTarget(name: string): TargetLookup {
  if (!Object.hasOwn(TARGETS, name)) return { kind: "unknown", name, known: knownTargets() };
  const target = TARGETS[name];
  return target ? { kind: "found", target } : { kind: "not-implemented", name, implemented: implementedTargets() };
}
