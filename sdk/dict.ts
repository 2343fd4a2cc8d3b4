/** A distributed key-value store shared by every container of the app: `Dict.fromName("cache")`. */
import { currentInvoker, type KeyValueBackend } from "./invoker.ts";

export class Dict<K = unknown, V = unknown> {
  private constructor(readonly name: string, readonly createIfMissing: boolean) {}

  static fromName<K = unknown, V = unknown>(name: string, options: { createIfMissing?: boolean } = {}): Dict<K, V> {
    return new Dict<K, V>(name, options.createIfMissing ?? false);
  }

  private backend(): KeyValueBackend {
    return currentInvoker().dict(this.name, { createIfMissing: this.createIfMissing });
  }

  async get(key: K): Promise<V | undefined>;
  async get(key: K, defaultValue: V): Promise<V>;
  async get(key: K, defaultValue?: V): Promise<V | undefined> {
    const r = await this.backend().get(key);
    return r.found ? (r.value as V) : defaultValue;
  }
  async put(key: K, value: V): Promise<void> { return this.backend().put(key, value); }
  async pop(key: K): Promise<V | undefined> {
    const r = await this.backend().pop(key);
    return r.found ? (r.value as V) : undefined;
  }
  async has(key: K): Promise<boolean> { return this.backend().has(key); }
  async keys(): Promise<K[]> { return (await this.backend().keys()) as K[]; }
  async len(): Promise<number> { return this.backend().len(); }
}
