/**
 * The analysis, start to end: load the app file and the project files it imports, find the App,
 * parse every declaration with its parser, collect variants and shared resources, and assemble a
 * sorted AppSpec. Problems are collected, never thrown; the spec is null when any is an error.
 */
import { existsSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { Node, ts, type CallExpression, type ClassDeclaration, type Decorator, type SourceFile } from "ts-morph";
import type { Diagnostic } from "../diagnostics.ts";
import { AppSpec, SPEC_VERSION, type ClassSpec, type FunctionSpec } from "../spec.ts";
import { gantryDecorator, parseClass } from "./classes.ts";
import { Context } from "./context.ts";
import { Evaluator, snippet } from "./evaluate.ts";
import { parseEntrypoint, parseFunction, type Declared } from "./functions.ts";
import { ProjectFiles, type Binding } from "./project.ts";
import { Resources } from "./resources.ts";
import { StateUse } from "./state-use.ts";
import { isSdk, type SdkValue, type SValue } from "./values.ts";
import { didYouMean } from "./suggest.ts";
import { checkFromName } from "./from-name.ts";
import { addVariant, parseVariant } from "./variants.ts";

type EntrypointSpec = AppSpec["entrypoints"][number];

export interface AnalysisResult {
  /** null when any diagnostic is an error; warnings keep it */
  spec: AppSpec | null;
  diagnostics: Diagnostic[];
  /** values of `Secret.fromDict` secrets by secret id, for the runtime; never part of the spec */
  secretValues: Record<string, Record<string, string>>;
}

export interface AnalyzeOptions {
  /** paths in the spec are relative to it; default: the nearest directory with a package.json above the app file */
  projectRoot?: string;
}

const DECLARATION_CALLS = new Set(["function", "localEntrypoint"]);
const VARIANT_CALLS = new Set(["withOptions", "withConcurrency", "withBatching"]);
const CANDIDATE_CALLS = new Set([...DECLARATION_CALLS, ...VARIANT_CALLS, "fromName"]);

/** Nodes worth a closer look, found by one cheap walk over the raw syntax tree of a file. */
interface FileIndex {
  file: SourceFile;
  news: ts.NewExpression[];
  calls: ts.CallExpression[];
  decorators: ts.Decorator[];
}

export function analyzeApp(appFile: string, opts: AnalyzeOptions = {}): AnalysisResult {
  const absolute = resolve(appFile);
  const root = resolve(opts.projectRoot ?? findProjectRoot(dirname(absolute)));
  if (!existsSync(absolute) || !statSync(absolute).isFile()) {
    return {
      spec: null,
      diagnostics: [{ severity: "error", code: "GANTRY1001", message: `cannot read the app file ${appFile}`, file: absolute, line: 1, column: 1, length: 1 }],
      secretValues: {},
    };
  }
  try {
    return new Analysis(new ProjectFiles(absolute, root)).run();
  } catch (err) {
    // a bug of the analysis, not of the app: still a diagnostic, so callers never have to catch
    const where = (err as Error).stack?.split("\n").find((l) => l.includes("/synth/"))?.trim() ?? "";
    return {
      spec: null,
      diagnostics: [{
        severity: "error", code: "GANTRY1000", file: absolute, line: 1, column: 1, length: 1,
        message: `internal error of the analysis, please report it: ${(err as Error).message} ${where}`.trim(),
      }],
      secretValues: {},
    };
  }
}

export function findProjectRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json"))) return dir;
    if (dirname(dir) === dir) return start;
  }
}

class Analysis {
  private readonly ctx: Context;
  private readonly ev: Evaluator;
  private readonly res: Resources;
  private readonly indexes: FileIndex[];
  /** declaration calls and classes handled as declarations; the rest are reported as misplaced */
  private readonly consumedCalls = new Set<ts.Node>();
  private readonly appClasses = new Map<ts.Node, ClassSpec>();
  /** declarations reachable from the app file's exports -> their export names */
  private readonly appExports: Map<Node["compilerNode"], string[]>;
  private readonly functions: FunctionSpec[] = [];
  private readonly entrypoints: EntrypointSpec[] = [];
  private readonly declaredAt = new Map<string, Node[]>();
  /** `app.function(...)` calls -> their specs (for `fn.withOptions(...)` variants) */
  private readonly functionsByCall = new Map<ts.Node, FunctionSpec>();
  /** `app.localEntrypoint(...)` calls */
  private readonly entrypointCalls = new Set<ts.Node>();
  /** this app's name, once found (`Cls.fromName` of it names a class of this app) */
  private appName: string | null = null;

  constructor(private readonly project: ProjectFiles) {
    this.ctx = new Context(project);
    this.ev = new Evaluator(this.ctx);
    this.res = new Resources(this.ctx);
    this.indexes = project.files.map(scanFile);
    this.appExports = this.exportsOfAppFile();
  }

  run(): AnalysisResult {
    for (const file of this.project.files) this.reportSyntaxErrors(file);
    const app = this.findApp();
    this.appName = app?.name ?? null;
    this.res.appNode = app?.node ?? null;
    for (const file of this.project.files) this.declarations(file);
    this.misplacedDeclarations();
    this.strayDecorators();
    this.variants();
    this.namedState();
    this.fromNames();
    this.duplicates();

    const resources = this.res.collect();
    const classes = [...this.appClasses.values()];
    for (const c of [...classes, ...this.functions]) c.variants?.sort((a, b) => compare(a.id, b.id));
    const draft: AppSpec = {
      specVersion: SPEC_VERSION,
      app: { name: app?.name ?? "", source: app ? this.ctx.location(app.node) : { file: this.project.rel(this.project.appFile), line: 1, column: 1 } },
      entry: this.project.rel(this.project.appFile),
      functions: this.functions.sort((a, b) => compare(a.name, b.name)),
      classes: classes.sort((a, b) => compare(a.name, b.name)),
      entrypoints: this.entrypoints.sort((a, b) => compare(a.name, b.name)),
      ...resources,
    };
    let spec: AppSpec | null = null;
    if (!this.ctx.diags.hasErrors) {
      const checked = AppSpec.safeParse(draft);
      if (checked.success) spec = checked.data;
      else {
        const issue = checked.error.issues[0];
        this.ctx.report("GANTRY1000", this.project.files[0], `internal error, please report it: the spec does not match its schema at ${issue.path.join(".")}: ${issue.message}`);
      }
    }
    return { spec, diagnostics: this.ctx.diags.all(), secretValues: spec ? this.res.secretValues : {} };
  }

  // ---- the app

  private findApp(): { name: string; node: Node } | undefined {
    const apps: { value: Extract<SdkValue, { type: "app" }>; node: Node }[] = [];
    for (const index of this.indexes) {
      for (const raw of index.news) {
        const node = wrap(index.file, raw);
        const callee = this.ev.evaluate(wrap(index.file, raw.expression));
        if (callee.kind !== "gantry" || callee.name !== "App") continue;
        const v = this.ev.evaluate(node);
        if (isSdk(v, "app")) apps.push({ value: v.sdk, node });
      }
    }
    if (apps.length === 0) {
      this.ctx.report("GANTRY1100", this.project.files[0], `no app found: add \`export const app = new App("my-app")\` (App imported from "gantry")`);
      return undefined;
    }
    for (const extra of apps.slice(1)) {
      this.ctx.report("GANTRY1101", extra.node, `a second App in the same app (the first is at ${this.where(apps[0].node)}): one app per app file; share functions by importing its \`app\``);
    }
    const first = apps[0];
    return { name: first.value.name ?? "", node: first.node };
  }

  private where(node: Node): string {
    const loc = this.ctx.location(node);
    return `${loc.file}:${loc.line}:${loc.column}`;
  }

  // ---- declarations

  private declarations(file: SourceFile): void {
    for (const statement of file.getStatements()) {
      if (Node.isVariableStatement(statement)) {
        for (const decl of statement.getDeclarations()) {
          const init = decl.getInitializer();
          const call = init && unwrapCall(init);
          if (!call || !this.isDeclarationCall(call)) continue;
          this.consumedCalls.add(call.compilerNode);
          const nameNode = decl.getNameNode();
          if (!Node.isIdentifier(nameNode)) {
            this.ctx.report("GANTRY1602", nameNode, "bind a declaration to one name: export const name = app.function(...)");
            continue;
          }
          const declared = this.exportedName(decl, nameNode.getText(), nameNode, file);
          const kind = call.getExpression().asKindOrThrow(ts.SyntaxKind.PropertyAccessExpression).getName();
          if (kind === "function") {
            const spec = parseFunction(this.ctx, this.ev, this.res, call, declared);
            if (spec) {
              this.functions.push(spec);
              this.functionsByCall.set(call.compilerNode, spec);
            }
          } else {
            const spec = parseEntrypoint(this.ctx, this.ev, call, declared);
            if (spec) this.entrypoints.push(spec);
            this.entrypointCalls.add(call.compilerNode);
          }
          this.declare(declared.name, nameNode);
        }
      } else if (Node.isClassDeclaration(statement)) {
        this.classDeclaration(statement);
      }
    }
  }

  /** `app.function(...)` or `app.localEntrypoint(...)` on the App. */
  private isDeclarationCall(call: CallExpression): boolean {
    const callee = call.getExpression();
    if (!Node.isPropertyAccessExpression(callee) || !DECLARATION_CALLS.has(callee.getName())) return false;
    const receiver = this.ev.evaluate(callee.getExpression());
    return isSdk(receiver, "app");
  }

  /**
   * The runtime names functions and entrypoints after the app module's exports, so a declaration
   * must be reachable from there (directly, or re-exported from another file).
   */
  private exportedName(decl: Node, localName: string, nameNode: Node, file: SourceFile): Declared {
    const names = this.appExports.get(decl.compilerNode);
    if (names?.length) return { name: names[0], nameNode };
    const appFile = this.project.rel(this.project.appFile);
    if (file.getFilePath() === this.project.appFile) {
      this.ctx.report("GANTRY1600", nameNode, `${localName} is not exported: write \`export const ${localName} = ...\` so containers can find it by name`);
    } else {
      const specifier = relative(dirname(this.project.appFile), file.getFilePath()).split(sep).join("/");
      const from = specifier.startsWith(".") ? specifier : `./${specifier}`;
      this.ctx.report("GANTRY1600", nameNode, `${localName} is not exported from the app file ${appFile}, where containers look for declarations: add \`export { ${localName} } from "${from}"\` there`);
    }
    return { name: localName, nameNode };
  }

  private classDeclaration(decl: ClassDeclaration): void {
    const decorators = decl.getDecorators().map((d) => gantryDecorator(this.ev, d)).filter((d) => d !== undefined);
    const cls = decorators.find((d) => d.name === "cls");
    if (!cls) return;
    const nameNode = decl.getNameNode();
    const name = decl.getName();
    if (!nameNode || !name) {
      this.ctx.report("GANTRY1602", cls.node, "an @app.cls class needs a name: export class MyModel { ... }");
      return;
    }
    if (!decl.isExported() && this.project.exportNamesOf(decl.getSourceFile(), name).length === 0) {
      this.ctx.report("GANTRY1604", nameNode, `class ${name} is not exported: write \`export class ${name}\` so other modules and tools can refer to it`);
    }
    const spec = parseClass(this.ctx, this.ev, this.res, decl, name, cls, decorators);
    this.appClasses.set(decl.compilerNode, spec);
    this.declare(name, nameNode);
  }

  private declare(name: string, node: Node): void {
    const list = this.declaredAt.get(name) ?? [];
    list.push(node);
    this.declaredAt.set(name, list);
  }

  private duplicates(): void {
    for (const [name, nodes] of this.declaredAt) {
      for (const node of nodes.slice(1)) {
        this.ctx.report("GANTRY1601", node, `${name} is declared twice (first at ${this.where(nodes[0])}); functions, classes and entrypoints share one namespace`);
      }
    }
  }

  /** `app.function(...)` anywhere but a top-level `export const`. */
  private misplacedDeclarations(): void {
    for (const index of this.indexes) {
      for (const raw of index.calls) {
        if (this.consumedCalls.has(raw) || !ts.isPropertyAccessExpression(raw.expression) || !DECLARATION_CALLS.has(raw.expression.name.text)) continue;
        const call = wrap(index.file, raw) as CallExpression;
        if (!this.isDeclarationCall(call)) continue;
        this.ctx.report("GANTRY1602", call, `declare ${raw.expression.name.text === "function" ? "functions" : "entrypoints"} at the top level of a module, bound to a name: export const name = ${snippet(call.getExpression())}(...)`);
      }
    }
  }

  /** gantry decorators on classes that are not `@app.cls` classes at the top level. */
  private strayDecorators(): void {
    for (const index of this.indexes) {
      const stray = index.decorators
        .filter((raw) => !this.appClasses.has(classOf(raw) as ts.Node))
        .map((raw) => ({ raw, owner: classOf(raw), g: gantryDecorator(this.ev, wrap(index.file, raw) as Decorator) }))
        .filter((d) => d.g !== undefined);
      // a nested @app.cls class gets one diagnostic, on its @app.cls, not one per member
      const nestedAppClasses = new Set(stray.filter((d) => d.g!.name === "cls").map((d) => d.owner));
      for (const { raw, owner, g } of stray) {
        const decorator = wrap(index.file, raw);
        if (g!.name === "cls") {
          if (owner && ts.isClassDeclaration(owner) && owner.parent === index.file.compilerNode) continue; // reported by the class parser
          this.ctx.report("GANTRY1602", decorator, "declare @app.cls classes at the top level of a module: export class MyModel { ... }");
        } else if (!nestedAppClasses.has(owner)) {
          this.ctx.report("GANTRY1700", decorator, `@${g!.name} only works inside a class decorated with @app.cls(...)`);
        }
      }
    }
  }

  // ---- variants and named state

  private variants(): void {
    for (const index of this.indexes) {
      for (const raw of index.calls) {
        if (!ts.isPropertyAccessExpression(raw.expression) || !VARIANT_CALLS.has(raw.expression.name.text) || !isOutermostLink(raw)) continue;
        const call = wrap(index.file, raw) as CallExpression;
        const v = this.ev.evaluate(call);
        if (isSdk(v, "cls")) {
          const spec = this.appClasses.get(v.sdk.classDecl.compilerNode);
          if (!spec) {
            this.ctx.report("GANTRY1707", call, `Cls.of(${v.sdk.classDecl.getName() ?? "..."}): the class is not declared with @app.cls at the top level, so it has no variants`);
            continue;
          }
          const variant = parseVariant(this.ctx, this.res, v.sdk, call, spec);
          if (variant) addVariant(spec, variant);
        } else if (isSdk(v, "fnVariant")) {
          const spec = this.functionsByCall.get(v.sdk.call.compilerNode);
          if (!spec) continue; // the declaration itself is reported (not exported, misplaced)
          const variant = parseVariant(this.ctx, this.res, v.sdk, call, { ...spec, concurrency: spec.concurrency ?? null, methods: [] });
          if (variant) addVariant(Object.assign(spec, { variants: spec.variants ?? [] }), variant);
        } else if (isSdk(v, "clsName")) {
          const spec = this.classByName(v.sdk);
          if (!spec) continue;
          const variant = parseVariant(this.ctx, this.res, v.sdk, call, spec);
          if (variant) addVariant(spec, variant);
        } else if (v.kind === "unknown" && this.chainStartsAtClsOf(call)) {
          this.ctx.reportUnknown(v, "a variant");
        }
      }
    }
  }

  /**
   * The class of this app a `Cls.fromName(app, name)` variant chain names. Another app's class
   * cannot get a pool from this app (a warning naming where to declare it); an unknown class of
   * this app is an error with the closest class name.
   */
  private classByName(ref: Extract<SdkValue, { type: "clsName" }>): ClassSpec | undefined {
    const classes = [...this.appClasses.values()];
    const written = `Cls.fromName(${JSON.stringify(ref.app)}, ${JSON.stringify(ref.name)})`;
    if (this.appName === null) return undefined; // the missing app is reported already
    if (ref.app !== this.appName) {
      const hint = classes.some((c) => c.name === ref.name) ? `; did you mean this app, Cls.fromName(${JSON.stringify(this.appName)}, ${JSON.stringify(ref.name)}) or Cls.of(${ref.name})?` : "";
      this.ctx.report("GANTRY1709", ref.node, `${written} names a class of another app, so this app deploys no pool for its variant: declare the variant in the app "${ref.app}" (e.g. export const big = Cls.of(${ref.name}).withOptions({ ... })) so its pool exists${hint}`);
      return undefined;
    }
    const spec = classes.find((c) => c.name === ref.name);
    if (!spec) {
      const names = classes.map((c) => c.name);
      const known = names.length ? `; its @app.cls classes are ${names.join(", ")}` : "; it declares no @app.cls class";
      this.ctx.report("GANTRY1708", ref.node, `${written}: the app "${this.appName}" has no class ${ref.name}${didYouMean(ref.name, names)}${known}`);
    }
    return spec;
  }

  /** `Function.fromName` / `Cls.fromName` calls naming this app: each names a unit it deploys (from-name.ts). */
  private fromNames(): void {
    if (this.appName === null) return;
    const units = { app: this.appName, functions: this.functions, classes: [...this.appClasses.values()], entrypoints: this.entrypoints };
    for (const index of this.indexes) {
      for (const raw of index.calls) {
        if (!ts.isPropertyAccessExpression(raw.expression) || raw.expression.name.text !== "fromName" || raw.arguments.length < 2) continue;
        // the start of a variant chain is checked with the variants
        if (ts.isPropertyAccessExpression(raw.parent) && VARIANT_CALLS.has(raw.parent.name.text)) continue;
        const call = wrap(index.file, raw) as CallExpression;
        const callee = this.ev.evaluate(call.getExpression());
        if (callee.kind !== "gantry" || (callee.name !== "Function.fromName" && callee.name !== "Cls.fromName")) continue;
        const [appArg, nameArg] = call.getArguments();
        const app = this.ev.evaluate(appArg);
        const name = this.ev.evaluate(nameArg);
        if (app.kind !== "primitive" || app.value !== this.appName || name.kind !== "primitive" || typeof name.value !== "string") continue;
        checkFromName(this.ctx, { kind: callee.name === "Function.fromName" ? "Function" : "Cls", name: name.value, node: nameArg }, units);
      }
    }
  }

  private chainStartsAtClsOf(call: CallExpression): boolean {
    let node: Node = call;
    while (Node.isCallExpression(node)) {
      const callee = node.getExpression();
      if (!Node.isPropertyAccessExpression(callee)) break;
      if (callee.getName() === "of") {
        const receiver = this.ev.evaluate(callee.getExpression());
        return receiver.kind === "gantry" && receiver.name === "Cls";
      }
      node = callee.getExpression();
    }
    return false;
  }

  /**
   * `Volume/Dict/Queue.fromName(...)` anywhere: their names must be static, and the stack creates
   * them; for Dicts and Queues, the declarations that use them (state-use.ts).
   */
  private namedState(): void {
    const declarations = new Map<ts.Node, string>([
      ...[...this.functionsByCall].map(([node, spec]) => [node, spec.name] as const),
      ...[...this.appClasses].map(([node, spec]) => [node, spec.name] as const),
    ]);
    const use = new StateUse({ project: this.project, resolve: (b) => this.finalBinding(b), declarations, entrypoints: this.entrypointCalls });
    for (const index of this.indexes) {
      for (const raw of index.calls) {
        if (!ts.isPropertyAccessExpression(raw.expression) || raw.expression.name.text !== "fromName") continue;
        const call = wrap(index.file, raw) as CallExpression;
        const callee = this.ev.evaluate(call.getExpression());
        if (callee.kind !== "gantry" || !["Volume.fromName", "Dict.fromName", "Queue.fromName"].includes(callee.name)) continue;
        const v: SValue = this.ev.evaluate(call);
        if (isSdk(v, "volume")) this.res.volume(v.sdk, v.node);
        else if (isSdk(v, "dict")) this.res.dict(v.sdk, v.node, use.usersOf(raw));
        else if (isSdk(v, "queue")) this.res.queue(v.sdk, v.node, use.usersOf(raw));
        else if (v.kind === "unknown") this.ctx.reportUnknown(v, `${callee.name}(...)`);
      }
    }
  }

  // ---- files

  private reportSyntaxErrors(file: SourceFile): void {
    const parseDiagnostics = (file.compilerNode as unknown as { parseDiagnostics?: readonly ts.DiagnosticWithLocation[] }).parseDiagnostics ?? [];
    for (const d of parseDiagnostics.slice(0, 20)) {
      const { line, character } = ts.getLineAndCharacterOfPosition(file.compilerNode, d.start);
      this.ctx.diags.report("GANTRY1002", { file: file.getFilePath(), line: line + 1, column: character + 1, length: d.length },
        `syntax error: ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`);
    }
  }

  /** Declarations the app file exports (directly, re-exported, or through `export *`), with their names sorted. */
  private exportsOfAppFile(): Map<Node["compilerNode"], string[]> {
    const out = new Map<Node["compilerNode"], string[]>();
    const appFile = this.project.files[0];
    for (const name of this.project.allExportNames(appFile)) {
      const binding = this.finalBinding(this.project.exportedBinding(appFile, name));
      const node = binding && (binding.kind === "variable" || binding.kind === "class" || binding.kind === "function") ? binding.decl.compilerNode : undefined;
      if (!node) continue;
      out.set(node, [...(out.get(node) ?? []), name].sort());
    }
    return out;
  }

  private finalBinding(binding: Binding | undefined, depth = 0): Binding | undefined {
    if (!binding || binding.kind !== "import" || depth > 32) return binding;
    const target = this.project.resolveModule(binding.file, binding.specifier);
    if (target.kind !== "project" || binding.imported === "*") return undefined;
    return this.finalBinding(this.project.exportedBinding(target.file, binding.imported), depth + 1);
  }
}

function scanFile(file: SourceFile): FileIndex {
  const index: FileIndex = { file, news: [], calls: [], decorators: [] };
  const visit = (node: ts.Node): void => {
    if (ts.isNewExpression(node)) index.news.push(node);
    else if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && CANDIDATE_CALLS.has(node.expression.name.text)) index.calls.push(node);
    else if (ts.isDecorator(node)) index.decorators.push(node);
    ts.forEachChild(node, visit);
  };
  visit(file.compilerNode);
  return index;
}

/** The ts-morph node of a raw compiler node of `file`. */
function wrap(file: SourceFile, node: ts.Node): Node {
  return (file as unknown as { _getNodeFromCompilerNode(n: ts.Node): Node })._getNodeFromCompilerNode(node);
}

/** Not a link inside a longer `.withOptions(...).withBatching(...)` chain. */
function isOutermostLink(call: ts.CallExpression): boolean {
  const parent = call.parent;
  return !(ts.isPropertyAccessExpression(parent) && parent.expression === call && VARIANT_CALLS.has(parent.name.text)
    && ts.isCallExpression(parent.parent) && parent.parent.expression === parent);
}

function classOf(decorator: ts.Decorator): ts.Node | undefined {
  let node: ts.Node = decorator.parent;
  if (!ts.isClassLike(node)) node = node.parent;
  return ts.isClassLike(node) ? node : undefined;
}

function unwrapCall(node: Node): CallExpression | undefined {
  let current = node;
  while (Node.isParenthesizedExpression(current) || Node.isAsExpression(current) || Node.isSatisfiesExpression(current)) {
    current = current.getExpression();
  }
  return Node.isCallExpression(current) ? current : undefined;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

