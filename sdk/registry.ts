/**
 * What the sdk records when user code is imported: apps, their functions and classes, and the
 * decorator metadata of class members. The runtime reads it to find what to run; a test checks it
 * against the static AppSpec so the two views cannot drift apart.
 */
import type { App } from "./app.ts";
import type { BatchedOptions, ClsOptions, ConcurrentOptions, FunctionOptions } from "./options.ts";
import type { WebMarker } from "./web.ts";

export interface FunctionDeclaration {
  kind: "function";
  app: App;
  /** the exported binding's name; set by `bindExports` */
  name: string | undefined;
  options: FunctionOptions;
  fn: (...args: any[]) => unknown;
  web: WebMarker | null;
}

export interface ClassDeclaration {
  kind: "class";
  app: App;
  name: string;
  ctor: abstract new (...args: any[]) => object;
  options: ClsOptions;
}

export interface EntrypointDeclaration {
  kind: "entrypoint";
  app: App;
  name: string | undefined;
  fn: (args: string[]) => unknown;
}

export interface MemberMeta {
  name: string;
  method: boolean;
  batched: BatchedOptions | null;
  web: WebMarker | null;
  enter: { snap: boolean } | null;
  exit: boolean;
}

export interface ClassMeta {
  methods: MemberMeta[];
  /** run order: snap hooks first, then the others, each in declaration order */
  enter: MemberMeta[];
  exit: MemberMeta[];
  concurrency: Required<ConcurrentOptions> | null;
}

// Member metadata is keyed by the decorated function itself: it needs no decorator-metadata
// support from the runtime, and the class decorator finds it by walking the prototype.
const memberMeta = new WeakMap<Function, MemberMeta>();
const classConcurrency = new WeakMap<Function, Required<ConcurrentOptions>>();

export function memberMetaFor(fn: Function, name: string): MemberMeta {
  let meta = memberMeta.get(fn);
  if (!meta) {
    meta = { name, method: false, batched: null, web: null, enter: null, exit: false };
    memberMeta.set(fn, meta);
  }
  return meta;
}

export function setClassConcurrency(ctor: Function, options: ConcurrentOptions): void {
  classConcurrency.set(ctor, { maxInputs: options.maxInputs, targetInputs: options.targetInputs ?? options.maxInputs });
}

/** Decorator metadata of a class, read from its prototype chain (declaration order). */
export function describeClass(ctor: Function): ClassMeta {
  const members: MemberMeta[] = [];
  const seen = new Set<string>();
  for (let proto = ctor.prototype; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const key of Object.getOwnPropertyNames(proto)) {
      if (key === "constructor" || seen.has(key)) continue;
      const value = Object.getOwnPropertyDescriptor(proto, key)?.value;
      const meta = typeof value === "function" ? memberMeta.get(value) : undefined;
      if (meta) {
        seen.add(key);
        members.push(meta);
      }
    }
  }
  const enter = members.filter((m) => m.enter);
  return {
    // a `@batched` or `@webEndpoint` member is a method even without `@method()`
    methods: members.filter((m) => m.method || m.batched || m.web),
    enter: [...enter.filter((m) => m.enter!.snap), ...enter.filter((m) => !m.enter!.snap)],
    exit: members.filter((m) => m.exit),
    concurrency: classConcurrency.get(ctor) ?? null,
  };
}

const APPS = Symbol.for("gantry.apps");
type Holder = { [APPS]?: App[] };

export function registerApp(app: App): void {
  ((globalThis as Holder)[APPS] ??= []).push(app);
}

/** Every App constructed in this process, in construction order. */
export function registeredApps(): readonly App[] {
  return (globalThis as Holder)[APPS] ?? [];
}
