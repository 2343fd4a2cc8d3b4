/**
 * Static values: what the evaluator returns for an expression, each with the node it came from
 * (so every field of an options object keeps its own source location). `unknown` is a value the
 * analysis cannot know without running code; it carries the reason and what would make it static.
 */
import type { ClassDeclaration, EnumDeclaration, Node, SourceFile } from "ts-morph";
import type { ImageBase, ImageLayer, RetriesSpec } from "../spec.ts";

export type Primitive = string | number | boolean | bigint | null | undefined;

export interface Prop {
  /** the property's key as written (`gpu` in `{ gpu: "A10G" }`); the value's node for spread members */
  key: Node;
  value: SValue;
}

export type SValue =
  | { kind: "primitive"; value: Primitive; node: Node }
  | { kind: "regexp"; source: string; flags: string; node: Node }
  | { kind: "object"; props: Map<string, Prop>; node: Node }
  | { kind: "array"; items: SValue[]; node: Node }
  /** a function the analysis does not run, kept as a reference (handlers, hooks) */
  | { kind: "function"; node: Node }
  | { kind: "class"; decl: ClassDeclaration; node: Node }
  | { kind: "enum"; decl: EnumDeclaration; node: Node }
  /** `import * as m from "./m.ts"` */
  | { kind: "module"; file: SourceFile; node: Node }
  /** an export of gantry or a static member of one: `Image`, `Image.debianSlim`, `method`; "" is the namespace */
  | { kind: "gantry"; name: string; node: Node }
  /** the result of a gantry builder call */
  | { kind: "sdk"; sdk: SdkValue; node: Node }
  /** a method of an sdk value awaiting its call: `image.aptInstall`, `app.function` */
  | { kind: "method"; receiver: Extract<SValue, { kind: "sdk" }>; name: string; node: Node }
  /** anything reachable from zod's namespace: a function, a schema, a namespace */
  | { kind: "zod"; value: unknown; self: unknown; node: Node }
  | Unknown;

export interface Unknown {
  kind: "unknown";
  node: Node;
  /** why it is not static, e.g. "`pickGpu()` is a function call" */
  reason: string;
  /** what would make it static */
  hint: string;
  /** a diagnostic was already reported for it (consumers stay quiet) */
  reported?: boolean;
  /** GANTRY1202 for values that are static in form but cannot be computed (missing member, cycle) */
  code?: "GANTRY1202";
}

export interface LayerValue {
  layer: LayerData;
  /** the builder method's name in `.aptInstall(...)` */
  node: Node;
  /** each package string's node, for unpinned-package warnings */
  packageNodes: Node[];
}

/** ImageLayer without its source location (added when the spec is built). */
export type LayerData = ImageLayer extends infer L ? (L extends unknown ? Omit<L, "source"> : never) : never;

export type SecretData =
  | { kind: "named"; name: string; requiredKeys: string[] }
  | { kind: "dict"; values: Record<string, string> }
  | { kind: "dotenv"; path: string; keys: string[] };

/** One `.withOptions/.withConcurrency/.withBatching(...)` link of a `Cls.of(X)` or `Cls.fromName(...)` chain. */
export interface VariantPart {
  method: "withOptions" | "withConcurrency" | "withBatching";
  args: SValue;
  node: Node;
}

export type SdkValue =
  | { type: "app"; name: string | null }
  | { type: "image"; base: ImageBase; layers: LayerValue[] }
  | { type: "volume"; name: string; createIfMissing: boolean }
  | { type: "secret"; secret: SecretData }
  | { type: "dict" | "queue"; name: string; createIfMissing: boolean }
  | { type: "cron"; expression: string; timezone: string }
  | { type: "period"; seconds: number }
  | { type: "retries"; retries: RetriesSpec }
  | { type: "cls"; classDecl: ClassDeclaration; parts: VariantPart[] }
  /** `Cls.fromName("app", "Class")`: resolved to a class of this app (or reported) once the classes are known */
  | { type: "clsName"; app: string; name: string; node: Node; parts: VariantPart[] }
  /** `webEndpoint(opts, fn)`, `webApp(factory, opts?)`, `webServer(opts, factory)` around a handler */
  | { type: "web"; wrapper: "webEndpoint" | "webApp" | "webServer"; options: SValue | null; handler: SValue }
  /** a decorator factory's result: `@method()`, `@app.cls({...})`, `@batched({...})` */
  | { type: "decorator"; name: DecoratorName; args: SValue[] }
  /** `parameter<T>(opts?)` */
  | { type: "parameter"; options: SValue | null }
  /** `app.function(...)`, `app.localEntrypoint(...)`: a declaration, not a value options can use */
  | { type: "declaration"; call: Node; kind: "function" | "localEntrypoint" }
  /** `fn.withOptions(...)` / `fn.withConcurrency(...)` on a function declared by `call` */
  | { type: "fnVariant"; call: Node; parts: VariantPart[] };

export type DecoratorName = "cls" | "method" | "enter" | "exit" | "batched" | "concurrent" | "webEndpoint";

export function unknownValue(node: Node, reason: string, hint: string, reported = false): Unknown {
  return { kind: "unknown", node, reason, hint, reported };
}

/** A value written statically that still cannot be computed: a missing member, a cycle, a bad operand. */
export function evaluationError(node: Node, reason: string, hint: string): Unknown {
  return { kind: "unknown", node, reason, hint, code: "GANTRY1202" };
}

/** "a string", "an image"... for messages. */
export function describeValue(v: SValue): string {
  switch (v.kind) {
    case "primitive":
      if (v.value === null) return "null";
      if (v.value === undefined) return "undefined";
      return typeof v.value === "string" ? `the string ${JSON.stringify(v.value)}` : `the ${typeof v.value} ${String(v.value)}`;
    case "regexp": return "a regular expression";
    case "object": return "an object";
    case "array": return "an array";
    case "function": return "a function";
    case "class": return `the class ${v.decl.getName() ?? ""}`.trim();
    case "enum": return `the enum ${v.decl.getName()}`;
    case "module": return "a module namespace";
    case "gantry": return v.name ? `gantry's ${v.name}` : "the gantry module";
    case "sdk": return describeSdk(v.sdk);
    case "method": return `the method ${v.name}`;
    case "zod": return "a zod value";
    case "unknown": return "a value that is not static";
  }
}

function describeSdk(s: SdkValue): string {
  switch (s.type) {
    case "app": return "an App";
    case "image": return "an Image";
    case "volume": return "a Volume";
    case "secret": return "a Secret";
    case "dict": return "a Dict";
    case "queue": return "a Queue";
    case "cron": return "a Cron schedule";
    case "period": return "a Period schedule";
    case "retries": return "a Retries policy";
    case "cls":
    case "clsName": return "a Cls handle";
    case "web": return `a ${s.wrapper}(...) handler`;
    case "decorator": return `the @${s.name} decorator`;
    case "parameter": return "a parameter() field";
    case "declaration": return "a gantry declaration";
    case "fnVariant": return "a function variant";
  }
}

export function isSdk<T extends SdkValue["type"]>(v: SValue, type: T): v is { kind: "sdk"; sdk: Extract<SdkValue, { type: T }>; node: Node } {
  return v.kind === "sdk" && v.sdk.type === type;
}
