/**
 * The base of every gantry:aws:* component: it remembers which declaration in user code it was
 * built for (the offline plan reads this to put a source location on every resource) and hands
 * its children the tags that carry the same location into AWS.
 */
import * as pulumi from "@pulumi/pulumi";
import type { SourceLocation } from "../../synth/spec.ts";
import { tagValue } from "./names.ts";

export interface DeclarationRef {
  /** `embed`, `LlamaInference[gpu=H100]`, `volume:weights`, ... */
  declaration: string;
  source: SourceLocation;
}

export interface StackInfo {
  app: string;
  stack: string;
}

const records = new Map<string, DeclarationRef>();

/** Component URN -> the declaration behind it (filled as URNs resolve). */
export function declarationRecords(): ReadonlyMap<string, DeclarationRef> {
  return records;
}

export function resetDeclarationRecords(): void {
  records.clear();
}

export function formatSource(source: SourceLocation): string {
  return `${source.file}:${source.line}:${source.column}`;
}

/** Tags every taggable resource gets: app, stack, and for a declaration its name and source. */
export function tagsFor(info: StackInfo, ref: DeclarationRef | null): Record<string, string> {
  const tags: Record<string, string> = { "gantry:app": tagValue(info.app), "gantry:stack": tagValue(info.stack) };
  if (ref) {
    tags["gantry:declaration"] = tagValue(ref.declaration);
    tags["gantry:source"] = tagValue(formatSource(ref.source));
  }
  return tags;
}

export abstract class GantryComponent extends pulumi.ComponentResource {
  readonly tags: Record<string, string>;
  protected readonly childOpts: pulumi.CustomResourceOptions;

  constructor(type: string, name: string, info: StackInfo, ref: DeclarationRef | null, opts?: pulumi.ComponentResourceOptions) {
    super(type, name, {}, opts);
    this.tags = tagsFor(info, ref);
    this.childOpts = { parent: this };
    if (ref) this.urn.apply((urn) => records.set(urn, ref));
  }

  /** Auto Scaling groups take tags as a list. */
  protected asgTags(extra: Record<string, string> = {}): Array<{ key: string; value: string; propagateAtLaunch: boolean }> {
    return Object.entries({ ...this.tags, ...extra })
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([key, value]) => ({ key, value, propagateAtLaunch: true }));
  }
}
