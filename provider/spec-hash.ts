/**
 * Canonical key order for plan output. (The spec hash itself is synth's `specHash`: sha256 over
 * the canonical JSON of the spec as code declares it, before stack overrides.)
 */
export { specHash } from "../synth/index.ts";

export { sortKeys } from "../synth/hash.ts";
