/**
 * Where in user code each resource comes from, for every target (API.md §3). A target's component
 * records its origin by URN; the offline plan gives every resource the origin of its nearest
 * recorded ancestor, so a target only has to record its components.
 *
 * - a declaration's own resources: that declaration (`embed`, `LlamaInference[gpu=H100]`,
 *   `volume:weights`) and its location;
 * - what the whole app shares (network, cluster, call state, gateway, load balancer):
 *   `declaration: null` and the location of `new App(…)`;
 * - what several declarations share (a capacity group): `declaration: null`, the location of the
 *   first declaration it serves, and all of them in `serves`.
 */
import type { SourceLocation } from "../synth/spec.ts";

export interface DeclarationRef {
  /** `embed`, `LlamaInference[gpu=H100]`, `volume:weights`, ... */
  declaration: string;
  source: SourceLocation;
}

export interface ResourceOrigin {
  /** the declaration the resource belongs to; null when the app or several declarations share it */
  declaration: string | null;
  source: SourceLocation;
  /** for a resource several declarations share: each of them, in order (`source` is the first's) */
  serves?: string[];
}

export function formatSource(source: SourceLocation): string {
  return `${source.file}:${source.line}:${source.column}`;
}

/** The origin of what the whole app shares: its `new App(…)`. */
export function appOrigin(source: SourceLocation): ResourceOrigin {
  return { declaration: null, source };
}

/** The origin of a resource shared by several declarations (at least one). */
export function sharedOrigin(refs: readonly DeclarationRef[]): ResourceOrigin {
  if (refs.length === 0) throw new Error("a shared resource serves at least one declaration");
  return { declaration: null, source: refs[0].source, serves: refs.map((r) => r.declaration) };
}

const records = new Map<string, ResourceOrigin>();

/** Component URN -> where it comes from (filled as URNs resolve). */
export function declarationRecords(): ReadonlyMap<string, ResourceOrigin> {
  return records;
}

export function recordOrigin(urn: string, origin: ResourceOrigin): void {
  records.set(urn, origin);
}

export function resetDeclarationRecords(): void {
  records.clear();
}
