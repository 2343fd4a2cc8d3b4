/**
 * The base of every gantry:aws:* component: it records where in user code it comes from (the
 * offline plan reads this to put a source location on every resource, provider/source.ts) and
 * hands its children the tags that carry the same location into AWS.
 *
 * A component built for a declaration passes its DeclarationRef; one several declarations share
 * passes a sharedOrigin; one the whole app shares passes null and gets the `new App(…)` location
 * from StackInfo, so every component has a source without knowing how to find it.
 */
import * as pulumi from "@pulumi/pulumi";
import type { SourceLocation } from "../../synth/spec.ts";
import { appOrigin, formatSource, recordOrigin, type DeclarationRef, type ResourceOrigin } from "../source.ts";
import { tagValue } from "./names.ts";

export { declarationRecords, formatSource, resetDeclarationRecords, type DeclarationRef, type ResourceOrigin } from "../source.ts";

export interface StackInfo {
  app: string;
  stack: string;
  /** where `new App(…)` is: the source of what the whole app shares */
  source: SourceLocation;
}

/**
 * Tags every taggable resource gets: app, stack, and where it comes from (its declaration, its
 * source, and for a shared resource the declarations it serves, as far as a tag value holds them).
 */
export function tagsFor(info: Pick<StackInfo, "app" | "stack">, origin: ResourceOrigin | null): Record<string, string> {
  const tags: Record<string, string> = { "gantry:app": tagValue(info.app), "gantry:stack": tagValue(info.stack) };
  if (origin) {
    if (origin.declaration !== null) tags["gantry:declaration"] = tagValue(origin.declaration);
    tags["gantry:source"] = tagValue(formatSource(origin.source));
    if (origin.serves) tags["gantry:serves"] = tagValue(origin.serves.join(" "));
  }
  return tags;
}

export abstract class GantryComponent extends pulumi.ComponentResource {
  readonly tags: Record<string, string>;
  protected readonly childOpts: pulumi.CustomResourceOptions;

  constructor(type: string, name: string, info: StackInfo, ref: DeclarationRef | ResourceOrigin | null, opts?: pulumi.ComponentResourceOptions) {
    super(type, name, {}, opts);
    const origin = ref ?? appOrigin(info.source);
    this.tags = tagsFor(info, origin);
    this.childOpts = { parent: this };
    this.urn.apply((urn) => recordOrigin(urn, origin));
  }

  /** Auto Scaling groups take tags as a list. */
  protected asgTags(extra: Record<string, string> = {}): Array<{ key: string; value: string; propagateAtLaunch: boolean }> {
    return Object.entries({ ...this.tags, ...extra })
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([key, value]) => ({ key, value, propagateAtLaunch: true }));
  }
}
