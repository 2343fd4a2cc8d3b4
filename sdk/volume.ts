/** A named, persistent volume mounted into containers: `volumes: { "/models": Volume.fromName("weights") }`. */
import { currentInvoker } from "./invoker.ts";

export class Volume {
  private constructor(readonly name: string, readonly createIfMissing: boolean) {}

  static fromName(name: string, options: { createIfMissing?: boolean } = {}): Volume {
    return new Volume(name, options.createIfMissing ?? false);
  }

  /** Makes what this container wrote visible to containers that `reload()` afterwards. */
  async commit(): Promise<void> { return currentInvoker().volume(this.name).commit(); }
  /** Picks up what other containers committed since this one mounted the volume. */
  async reload(): Promise<void> { return currentInvoker().volume(this.name).reload(); }
}
