/** `new App("name")`: the unit of deployment, holding functions, classes and local entrypoints. */
import {
  assertNoRenamedOptions, assertVariantOptions, type ClsOptions, type ConcurrentOptions, type FunctionOptions, type FunctionVariantOptions,
} from "./options.ts";
import { variantId, type VariantOverrides } from "./variant-id.ts";
import { CallHandleImpl, type FunctionHandle } from "./handles.ts";
import { registerApp, type ClassDeclaration, type EntrypointDeclaration, type FunctionDeclaration } from "./registry.ts";
import { webMarkerOf } from "./web.ts";
import type { CallTarget } from "./invoker.ts";

/** What `app.localEntrypoint(fn)` returns; `gantry run app.ts --entry <name>` calls it. */
export class LocalEntrypoint {
  constructor(readonly declaration: EntrypointDeclaration) {}
  get name(): string | undefined { return this.declaration.name; }
  run(args: string[] = []): Promise<unknown> { return Promise.resolve(this.declaration.fn(args)); }
}

const declarationOf = new WeakMap<object, FunctionDeclaration>();
/** every function handle, base or variant -> its declaration */
const variantHandles = new WeakMap<object, FunctionDeclaration>();

/** A function handle's declaration and the variant id its calls go to (the function's name for the base pool). */
export function functionVariantOf(handle: unknown): { declaration: FunctionDeclaration; variant: string | undefined } | undefined {
  if (typeof handle !== "object" || handle === null) return undefined;
  const declaration = variantHandles.get(handle);
  return declaration ? { declaration, variant: (handle as { variant?: string }).variant } : undefined;
}

/** The declaration behind a function handle, or undefined for anything else. */
export function functionDeclarationOf(handle: unknown): FunctionDeclaration | undefined {
  return typeof handle === "object" && handle !== null ? declarationOf.get(handle) : undefined;
}

export class App {
  readonly functions: FunctionDeclaration[] = [];
  readonly classes: ClassDeclaration[] = [];
  readonly entrypoints: EntrypointDeclaration[] = [];

  constructor(readonly name: string) {
    registerApp(this);
  }

  /** Declares a function that runs in its own containers. Export it: its name is the export's name. */
  function<F extends (...args: any[]) => unknown>(options: FunctionOptions, fn: F): FunctionHandle<Parameters<F>, Awaited<ReturnType<F>>> {
    assertNoRenamedOptions(options, `app.function in app "${this.name}"`);
    const declaration: FunctionDeclaration = { kind: "function", app: this, name: undefined, options, fn, web: webMarkerOf(fn) };
    this.functions.push(declaration);
    const handle = this.functionHandle(declaration, {});
    declarationOf.set(handle, declaration);
    return handle as unknown as FunctionHandle<Parameters<F>, Awaited<ReturnType<F>>>;
  }

  /**
   * A handle on a function's base pool (no overrides) or on one of its variants. Variant handles
   * are not registered as the declaration's handle, so exporting one does not name the function.
   */
  private functionHandle(declaration: FunctionDeclaration, overrides: VariantOverrides): CallHandleImpl {
    const variant = () => (Object.keys(overrides).length ? variantId(this.target(declaration).name, overrides) : undefined);
    const handle = new CallHandleImpl(
      () => ({ ...this.target(declaration), ...(variant() ? { variant: variant() } : {}) }),
      async (args) => declaration.fn(...args),
    );
    const derive = (more: VariantOverrides) => this.functionHandle(declaration, { ...overrides, ...more });
    Object.defineProperties(handle, {
      name: { get: () => declaration.name, enumerable: true },
      /** the variant id this handle's calls go to (the function's name for the base pool) */
      variant: { get: () => variant() ?? declaration.name },
      withOptions: {
        value: (options: FunctionVariantOptions) => {
          assertVariantOptions(options);
          return derive({ ...options });
        },
      },
      withConcurrency: {
        value: (options: ConcurrentOptions) => derive({ maxInputs: options.maxInputs, targetInputs: options.targetInputs }),
      },
    });
    variantHandles.set(handle, declaration);
    return handle;
  }

  /** Code that runs on the caller's machine and drives remote work: `gantry run app.ts`. */
  localEntrypoint(fn: (args: string[]) => unknown): LocalEntrypoint {
    const declaration: EntrypointDeclaration = { kind: "entrypoint", app: this, name: undefined, fn };
    this.entrypoints.push(declaration);
    return new LocalEntrypoint(declaration);
  }

  /** Class decorator: `@app.cls({ gpu: "A10G" })`. */
  cls(options: ClsOptions = {}) {
    return <C extends abstract new (...args: any[]) => object>(ctor: C, context: ClassDecoratorContext<C>): void => {
      assertNoRenamedOptions(options, `@app.cls on ${String(context.name)}`);
      this.classes.push({ kind: "class", app: this, name: String(context.name), ctor, options });
    };
  }

  /**
   * Names functions and entrypoints after the module's exports (`export const square = app.function(...)`
   * is "square"). The runtime calls this after importing the app module.
   */
  bindExports(moduleNamespace: Record<string, unknown>): void {
    for (const [exportName, value] of Object.entries(moduleNamespace)) {
      const fn = functionDeclarationOf(value);
      if (fn && fn.app === this) fn.name ??= exportName;
      if (value instanceof LocalEntrypoint && value.declaration.app === this) value.declaration.name ??= exportName;
    }
  }

  findFunction(name: string): FunctionDeclaration | undefined {
    return this.functions.find((f) => f.name === name);
  }
  findClass(name: string): ClassDeclaration | undefined {
    return this.classes.find((c) => c.name === name);
  }

  private target(declaration: FunctionDeclaration): CallTarget {
    if (!declaration.name) {
      throw new Error(
        `a function of app "${this.name}" has no name: export it (\`export const f = app.function(...)\`) ` +
          "so containers can find it",
      );
    }
    return { app: this.name, name: declaration.name };
  }
}
