/**
 * The analysed files: the app file and the project files it imports (transitively), parsed with
 * ts-morph but never type-checked. Resolves module specifiers and top-level symbols by hand, which
 * is all the static evaluator needs and much cheaper than a type checker.
 */
import { existsSync, statSync } from "node:fs";
import { dirname, extname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import {
  Node, Project, SyntaxKind, ts,
  type ClassDeclaration, type EnumDeclaration, type FunctionDeclaration, type SourceFile, type VariableDeclaration,
} from "ts-morph";

/** What a module specifier points at. */
export type ModuleTarget =
  | { kind: "project"; file: SourceFile }
  | { kind: "gantry" }
  | { kind: "zod" }
  | { kind: "external"; specifier: string }
  | { kind: "missing"; specifier: string };

/** What a name declared in a scope is bound to. */
export type Binding =
  | { kind: "variable"; decl: VariableDeclaration; isConst: boolean }
  | { kind: "function"; decl: FunctionDeclaration }
  | { kind: "class"; decl: ClassDeclaration }
  | { kind: "enum"; decl: EnumDeclaration }
  /** a member named inside its own enum: `enum Size { Medium = 2, Large = Medium * 4 }` */
  | { kind: "enumMember"; decl: EnumDeclaration; name: string }
  /** `import { imported } from "specifier"` (also `export { x } from`); imported is "default" or "*" for those forms */
  | { kind: "import"; file: SourceFile; specifier: string; imported: string; node: Node }
  /** `export default <expression>` */
  | { kind: "expression"; node: Node }
  /** a function parameter, a destructured name, a catch variable...: known only at run time */
  | { kind: "runtime"; node: Node; what: string };

interface ExportTable {
  /** exported name -> binding (local declarations and named re-exports) */
  named: Map<string, Binding | { kind: "local"; name: string }>;
  /** `export * from "x"` */
  stars: string[];
}

/** The gantry sdk inside this repository (examples may import it by relative path). */
const SDK_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "sdk");

const TS_EXTENSIONS = [".ts", ".tsx", ".mts", ".cts"];

export class ProjectFiles {
  readonly project: Project;
  /** analysed files, the app file first, then in import order */
  readonly files: SourceFile[] = [];
  private readonly topLevels = new Map<SourceFile, Map<string, Binding>>();
  private readonly exportTables = new Map<SourceFile, ExportTable>();
  private readonly resolved = new Map<string, ModuleTarget>();
  private readonly relCache = new Map<string, string>();

  constructor(readonly appFile: string, readonly root: string) {
    this.project = new Project({
      skipAddingFilesFromTsConfig: true,
      skipFileDependencyResolution: true,
      skipLoadingLibFiles: true,
      compilerOptions: { allowJs: false, noLib: true },
    });
    this.load();
  }

  /** Path relative to the project root, with POSIX separators. */
  rel(file: string): string {
    let rel = this.relCache.get(file);
    if (rel === undefined) {
      rel = relative(this.root, file).split(sep).join("/");
      this.relCache.set(file, rel);
    }
    return rel;
  }

  /** Parses the app file and every project file reachable through value imports and re-exports. */
  private load(): void {
    const queue = [this.project.addSourceFileAtPath(this.appFile)];
    const seen = new Set<SourceFile>(queue);
    while (queue.length) {
      const file = queue.shift()!;
      this.files.push(file);
      for (const statement of file.compilerNode.statements) {
        const specifier = moduleSpecifierOf(statement);
        if (specifier === undefined) continue;
        const target = this.resolveModule(file, specifier);
        if (target.kind === "project" && !seen.has(target.file)) {
          seen.add(target.file);
          queue.push(target.file);
        }
      }
    }
  }

  resolveModule(from: SourceFile, specifier: string): ModuleTarget {
    const key = `${from.getFilePath()}\0${specifier}`;
    let target = this.resolved.get(key);
    if (!target) {
      target = this.resolveUncached(from, specifier);
      this.resolved.set(key, target);
    }
    return target;
  }

  private resolveUncached(from: SourceFile, specifier: string): ModuleTarget {
    if (specifier === "gantry" || specifier.startsWith("gantry/")) return { kind: "gantry" };
    if (specifier === "zod" || specifier === "zod/v4") return { kind: "zod" };
    if (!specifier.startsWith(".") && !isAbsolute(specifier)) return { kind: "external", specifier };
    const base = resolve(dirname(from.getFilePath()), specifier);
    const path = findSourceFile(base);
    if (!path) return { kind: "missing", specifier };
    if (path === SDK_DIR || path.startsWith(SDK_DIR + sep)) return { kind: "gantry" };
    if (path.split(sep).includes("node_modules") || path.endsWith(".d.ts")) return { kind: "external", specifier };
    const file = this.project.getSourceFile(path) ?? this.project.addSourceFileAtPath(path);
    return { kind: "project", file };
  }

  /** Names declared at the top level of a file. */
  topLevel(file: SourceFile): Map<string, Binding> {
    let table = this.topLevels.get(file);
    if (!table) {
      table = new Map();
      for (const statement of file.getStatements()) addStatementBindings(statement, table, file);
      this.topLevels.set(file, table);
    }
    return table;
  }

  /** What `import { name } from <file>` refers to, following re-exports. */
  exportedBinding(file: SourceFile, name: string, seen = new Set<string>()): Binding | undefined {
    const key = `${file.getFilePath()}#${name}`;
    if (seen.has(key)) return undefined;
    seen.add(key);
    const table = this.exportTable(file);
    const entry = table.named.get(name);
    if (entry) return entry.kind === "local" ? this.topLevel(file).get(entry.name) : entry;
    if (name === "default") return undefined;
    for (const specifier of table.stars) {
      const target = this.resolveModule(file, specifier);
      if (target.kind !== "project") continue;
      const found = this.exportedBinding(target.file, name, seen);
      if (found) return found;
    }
    return undefined;
  }

  /** Every name a file exports, including through `export * from` (which never re-exports "default"). */
  allExportNames(file: SourceFile, seen = new Set<SourceFile>()): string[] {
    if (seen.has(file)) return [];
    seen.add(file);
    const table = this.exportTable(file);
    const names = new Set(table.named.keys());
    for (const specifier of table.stars) {
      const target = this.resolveModule(file, specifier);
      if (target.kind !== "project") continue;
      for (const name of this.allExportNames(target.file, seen)) if (name !== "default") names.add(name);
    }
    return [...names];
  }

  /** The names under which a top-level declaration is exported from its own file. */
  exportNamesOf(file: SourceFile, localName: string): string[] {
    const names: string[] = [];
    for (const [exported, entry] of this.exportTable(file).named) {
      if (entry.kind === "local" && entry.name === localName) names.push(exported);
    }
    return names;
  }

  private exportTable(file: SourceFile): ExportTable {
    let table = this.exportTables.get(file);
    if (table) return table;
    table = { named: new Map(), stars: [] };
    for (const statement of file.getStatements()) {
      if (Node.isExportDeclaration(statement)) {
        if (statement.isTypeOnly()) continue;
        const specifier = statement.getModuleSpecifierValue();
        const namespace = statement.getNamespaceExport();
        if (specifier !== undefined && namespace) {
          table.named.set(namespace.getName(), { kind: "import", file, specifier, imported: "*", node: namespace });
        } else if (specifier !== undefined && !statement.hasNamedExports()) {
          table.stars.push(specifier);
        }
        for (const spec of statement.getNamedExports()) {
          if (spec.isTypeOnly()) continue;
          const local = spec.getNameNode().getText();
          const exported = spec.getAliasNode()?.getText() ?? local;
          table.named.set(exported, specifier !== undefined
            ? { kind: "import", file, specifier, imported: local, node: spec }
            : { kind: "local", name: local });
        }
      } else if (Node.isExportAssignment(statement) && !statement.isExportEquals()) {
        table.named.set("default", { kind: "expression", node: statement.getExpression() });
      } else if (hasExportModifier(statement)) {
        const isDefault = hasModifier(statement, SyntaxKind.DefaultKeyword);
        for (const name of declaredNames(statement)) table.named.set(isDefault ? "default" : name, { kind: "local", name });
      }
    }
    this.exportTables.set(file, table);
    return table;
  }
}

/** The module a statement loads at run time (type-only imports and exports load nothing). */
function moduleSpecifierOf(statement: ts.Statement): string | undefined {
  if (ts.isImportDeclaration(statement)) {
    if (statement.importClause?.isTypeOnly) return undefined;
    return ts.isStringLiteral(statement.moduleSpecifier) ? statement.moduleSpecifier.text : undefined;
  }
  if (ts.isExportDeclaration(statement) && statement.moduleSpecifier && !statement.isTypeOnly) {
    return ts.isStringLiteral(statement.moduleSpecifier) ? statement.moduleSpecifier.text : undefined;
  }
  return undefined;
}

/** `./x.js` -> `./x.ts` (the NodeNext convention), `./x` -> `./x.ts`, `./dir` -> `./dir/index.ts`. */
function findSourceFile(base: string): string | undefined {
  const candidates: string[] = [];
  const ext = extname(base);
  const stem = base.slice(0, base.length - ext.length);
  if (TS_EXTENSIONS.includes(ext)) candidates.push(base);
  if (ext === ".js" || ext === ".jsx") candidates.push(`${stem}.ts`, `${stem}.tsx`);
  if (ext === ".mjs") candidates.push(`${stem}.mts`);
  if (ext === ".cjs") candidates.push(`${stem}.cts`);
  candidates.push(...TS_EXTENSIONS.map((e) => base + e), ...TS_EXTENSIONS.map((e) => join(base, `index${e}`)));
  return candidates.find((c) => existsSync(c) && statSync(c).isFile());
}

function hasModifier(node: Node, kind: SyntaxKind): boolean {
  return Node.isModifierable(node) && node.hasModifier(kind);
}

function hasExportModifier(node: Node): boolean {
  return hasModifier(node, SyntaxKind.ExportKeyword);
}

function declaredNames(statement: Node): string[] {
  if (Node.isVariableStatement(statement)) {
    return statement.getDeclarations().flatMap((d) => bindingNames(d.getNameNode()));
  }
  if (Node.isFunctionDeclaration(statement) || Node.isClassDeclaration(statement) || Node.isEnumDeclaration(statement)) {
    const name = statement.getName();
    return name ? [name] : [];
  }
  return [];
}

function bindingNames(name: Node): string[] {
  if (Node.isIdentifier(name)) return [name.getText()];
  if (Node.isObjectBindingPattern(name) || Node.isArrayBindingPattern(name)) {
    return name.getElements().flatMap((e) => (Node.isBindingElement(e) ? bindingNames(e.getNameNode()) : []));
  }
  return [];
}

/** Adds the names a statement declares in its scope (imports only matter at the top level). */
export function addStatementBindings(statement: Node, table: Map<string, Binding>, file: SourceFile): void {
  if (Node.isVariableStatement(statement)) {
    const isConst = statement.getDeclarationKind() === "const";
    for (const decl of statement.getDeclarations()) {
      const name = decl.getNameNode();
      if (Node.isIdentifier(name)) table.set(name.getText(), { kind: "variable", decl, isConst });
      else for (const n of bindingNames(name)) table.set(n, { kind: "runtime", node: decl, what: "a destructured variable" });
    }
  } else if (Node.isFunctionDeclaration(statement)) {
    const name = statement.getName();
    if (name) table.set(name, { kind: "function", decl: statement });
  } else if (Node.isClassDeclaration(statement)) {
    const name = statement.getName();
    if (name) table.set(name, { kind: "class", decl: statement });
  } else if (Node.isEnumDeclaration(statement)) {
    table.set(statement.getName(), { kind: "enum", decl: statement });
  } else if (Node.isImportDeclaration(statement)) {
    if (statement.isTypeOnly()) return;
    const specifier = statement.getModuleSpecifierValue();
    const defaultImport = statement.getDefaultImport();
    if (defaultImport) table.set(defaultImport.getText(), { kind: "import", file, specifier, imported: "default", node: defaultImport });
    const namespace = statement.getNamespaceImport();
    if (namespace) table.set(namespace.getText(), { kind: "import", file, specifier, imported: "*", node: namespace });
    for (const spec of statement.getNamedImports()) {
      if (spec.isTypeOnly()) continue;
      const local = (spec.getAliasNode() ?? spec.getNameNode()).getText();
      table.set(local, { kind: "import", file, specifier, imported: spec.getNameNode().getText(), node: spec });
    }
  }
}
