/**
 * Class parameters as a key: one canonical JSON text per parameter set (keys sorted, undefined
 * fields dropped), "" for no parameters. Containers that serve several parameter sets keep one
 * instance per key, and the worker loop keeps one batcher per method and key, so a `@batched`
 * batch never mixes two instances.
 */
export function paramsKey(params: Record<string, unknown> | undefined): string {
  if (!params) return "";
  const keys = Object.keys(params).filter((k) => params[k] !== undefined).sort();
  if (keys.length === 0) return "";
  return JSON.stringify(Object.fromEntries(keys.map((k) => [k, params[k]])));
}
