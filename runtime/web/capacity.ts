/**
 * In-flight calls per declaration. A call holds its slot until it finishes, not until its HTTP
 * request ends: a request answered with 303 still counts until the call's result is known.
 */
import type { RouteLimits, WebRoute } from "./routes.ts";

/** Calls allowed to wait behind the running ones before 429 (see `defaultCapacity`). */
export const DEFAULT_QUEUE_DEPTH = 100;
/** Per declaration without `maxContainers`: a guard for the front door, not a scaling limit. */
export const UNBOUNDED_CAPACITY = 1000;

/** `maxContainers × maxInputs` running plus `queueDepth` waiting; 1000 without `maxContainers`. */
export function defaultCapacity(limits: RouteLimits, queueDepth = DEFAULT_QUEUE_DEPTH): number {
  if (limits.maxContainers === null) return UNBOUNDED_CAPACITY;
  return limits.maxContainers * limits.maxInputs + queueDepth;
}

export type CapacityOption = number | ((route: WebRoute) => number | undefined);

export class InFlight {
  private readonly counts = new Map<string, number>();

  constructor(private readonly capacityOf: (route: WebRoute) => number) {}

  /** A release function (idempotent), or null when the declaration is at capacity. */
  acquire(route: WebRoute): (() => void) | null {
    const current = this.counts.get(route.declaration) ?? 0;
    if (current >= this.capacityOf(route)) return null;
    this.counts.set(route.declaration, current + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const n = (this.counts.get(route.declaration) ?? 1) - 1;
      if (n <= 0) this.counts.delete(route.declaration);
      else this.counts.set(route.declaration, n);
    };
  }

  count(declaration: string): number {
    return this.counts.get(declaration) ?? 0;
  }
}

export function capacityResolver(option: CapacityOption | undefined, queueDepth: number | undefined): (route: WebRoute) => number {
  const cache = new Map<string, number>();
  return (route) => {
    let n = cache.get(route.declaration);
    if (n === undefined) {
      const configured = typeof option === "function" ? option(route) : option;
      n = configured ?? defaultCapacity(route.limits, queueDepth);
      cache.set(route.declaration, n);
    }
    return n;
  };
}
