/**
 * GPU option normalization: `"A10G"`, `"H100:2"`, `{ type: "A100", memory: 80, count: 1 }`, or an
 * array of those (the preferred shape first, then ordered fallbacks) -> `{ type, count, memoryGb }`.
 * `"A100"` alone is the 40 GB part; `{ type: "A100", memory: 80 }` is `A100-80GB`.
 */
import { GPU_MEMORY_GB, GPU_TYPES, type GpuShape, type GpuSpec, type GpuType } from "./spec.ts";
import { didYouMean } from "./analyze/suggest.ts";

export const MAX_GPU_COUNT = 8;

export type GpuResult<T> = { ok: true; value: T } | { ok: false; kind: "unknown-type" | "invalid"; message: string };

const VALID_LIST = GPU_TYPES.join(", ");

/** One shape: a string or an object. */
export function parseGpuShape(input: unknown): GpuResult<GpuShape> {
  if (typeof input === "string") return parseGpuString(input);
  if (input && typeof input === "object" && !Array.isArray(input)) return parseGpuObject(input as Record<string, unknown>);
  return invalid(`a GPU is a string like "A10G" or "H100:2", or { type, memory?, count? }; got ${describe(input)}`);
}

/** The whole option: one shape or a non-empty array of shapes (ordered fallbacks). */
export function normalizeGpu(input: unknown): GpuResult<GpuSpec> {
  const items = Array.isArray(input) ? input : [input];
  if (items.length === 0) return invalid("the GPU fallback list is empty: give at least one GPU type");
  const shapes: GpuShape[] = [];
  for (const item of items) {
    if (Array.isArray(item)) return invalid("GPU fallback lists cannot be nested");
    const shape = parseGpuShape(item);
    if (!shape.ok) return shape;
    shapes.push(shape.value);
  }
  const [first, ...fallbacks] = shapes;
  return { ok: true, value: { ...first, fallbacks } };
}

function parseGpuString(text: string): GpuResult<GpuShape> {
  const match = /^\s*([^:\s]+)\s*(?::\s*([^\s]*)\s*)?$/.exec(text);
  if (!match) return invalid(`"${text}" is not a GPU: write a type like "A10G", optionally with a count, "H100:2"`);
  const type = canonicalType(match[1]);
  if (!type) return unknownType(match[1]);
  let count = 1;
  if (match[2] !== undefined) {
    if (!/^\d+$/.test(match[2])) return invalid(`GPU count "${match[2]}" in "${text}" is not a whole number`);
    count = Number(match[2]);
  }
  return shape(type, count, undefined);
}

function parseGpuObject(obj: Record<string, unknown>): GpuResult<GpuShape> {
  for (const key of Object.keys(obj)) {
    if (!["type", "memory", "count"].includes(key)) {
      return invalid(`unknown GPU field "${key}"${didYouMean(key, ["type", "memory", "count"])}: a GPU object has type, memory and count`);
    }
  }
  if (typeof obj.type !== "string") return invalid(`a GPU object needs a string \`type\` (one of ${VALID_LIST})`);
  const type = canonicalType(obj.type);
  if (!type) return unknownType(obj.type);
  const count = obj.count === undefined ? 1 : obj.count;
  if (typeof count !== "number") return invalid(`GPU count must be a number, got ${describe(count)}`);
  if (obj.memory !== undefined && typeof obj.memory !== "number") return invalid(`GPU memory must be a number of GB, got ${describe(obj.memory)}`);
  return shape(type, count, obj.memory as number | undefined);
}

function shape(type: GpuType, count: number, memory: number | undefined): GpuResult<GpuShape> {
  if (!Number.isInteger(count) || count < 1 || count > MAX_GPU_COUNT) {
    return invalid(`GPU count must be a whole number from 1 to ${MAX_GPU_COUNT}, got ${count}`);
  }
  let resolved: GpuType = type;
  if (type === "A100") resolved = memory === 80 ? "A100-80GB" : "A100-40GB";
  if (memory !== undefined && type === "A100" && memory !== 40 && memory !== 80) {
    return invalid(`A100 comes with 40 or 80 GB of memory, not ${memory}`);
  }
  if (memory !== undefined && GPU_MEMORY_GB[resolved] !== memory) {
    return invalid(`${resolved} has ${GPU_MEMORY_GB[resolved]} GB of memory, not ${memory}`);
  }
  return { ok: true, value: { type: resolved, count, memoryGb: GPU_MEMORY_GB[resolved] } };
}

/** Case-insensitive match against the known types. */
function canonicalType(name: string): GpuType | undefined {
  const upper = name.toUpperCase();
  return GPU_TYPES.find((t) => t === upper);
}

function unknownType(name: string): GpuResult<never> {
  return {
    ok: false,
    kind: "unknown-type",
    message: `unknown GPU "${name}"${didYouMean(name, GPU_TYPES)}; valid GPUs: ${VALID_LIST} (add ":N" for a count, e.g. "H100:2")`,
  };
}

function invalid(message: string): GpuResult<never> {
  return { ok: false, kind: "invalid", message };
}

function describe(value: unknown): string {
  return value === null ? "null" : Array.isArray(value) ? "an array" : typeof value === "string" ? `"${value}"` : typeof value === "object" ? "an object" : String(value);
}

/** "A10G", "H100:2", "A100-80GB:4" — the short form used in summaries. */
export function formatGpuShape(s: GpuShape): string {
  return s.count === 1 ? s.type : `${s.type}:${s.count}`;
}
