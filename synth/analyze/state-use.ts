/**
 * Which declarations use a `Dict.fromName` / `Queue.fromName`, so each declaration's role reaches
 * only the state its code uses (provider/aws/iam.ts). Syntactic, like the rest of the analysis,
 * and wrong only in the safe direction: a use it cannot tie to declarations widens the answer to
 * "every declaration" (null), never narrows it.
 *
 * A `fromName` call is used by:
 * - the declaration whose code holds it (the `app.function(...)` call, the `@app.cls` class);
 * - nobody, inside a `localEntrypoint` (it runs on the developer's machine, with their credentials);
 * - when it initializes a top-level `const`: whoever holds a reference to that const, in any
 *   analysed file (through imports and re-exports, by the project's own binding resolution);
 * - when it sits in a top-level function (or a const bound to one), a helper: whoever holds a
 *   reference to that helper, transitively.
 * Anything else (a module-level statement, a namespace import of the file, an `export default`)
 * means every declaration.
 */
import { ts } from "ts-morph";
import type { Binding, ProjectFiles } from "./project.ts";

export type Users = Set<string> | null;

export interface StateUseInputs {
  project: ProjectFiles;
  /** follows import bindings to the binding they name (undefined when that is not a project declaration) */
  resolve(binding: Binding | undefined): Binding | undefined;
  /** `app.function(...)` calls and `@app.cls` class declarations -> declaration names */
  declarations: ReadonlyMap<ts.Node, string>;
  /** `app.localEntrypoint(...)` calls */
  entrypoints: ReadonlySet<ts.Node>;
}

const WRAPPERS = new Set([
  ts.SyntaxKind.ParenthesizedExpression, ts.SyntaxKind.AsExpression, ts.SyntaxKind.NonNullExpression,
  ts.SyntaxKind.SatisfiesExpression, ts.SyntaxKind.TypeAssertionExpression,
]);

export class StateUse {
  /** top-level declaration node -> identifiers that refer to it (built once, on first use) */
  private refs: Map<ts.Node, ts.Identifier[]> | null = null;
  /** files some analysed file imports as a namespace (`import * as s`): their names' uses are unknown */
  private readonly namespaced = new Set<ts.SourceFile>();
  private readonly memo = new Map<ts.Node, Users>();

  constructor(private readonly i: StateUseInputs) {}

  /** The declarations that use the value of `node` (a `fromName` call); null: every declaration. */
  usersOf(node: ts.Node): Users {
    return this.usersOfValue(node, new Set());
  }

  private usersOfValue(node: ts.Node, visiting: Set<ts.Node>): Users {
    const owner = this.ownerOf(node);
    if (owner !== undefined) return owner;
    let value = node;
    while (value.parent && WRAPPERS.has(value.parent.kind)) value = value.parent;
    const parent = value.parent;
    // `const counters = Dict.fromName(...)` at the top level
    if (parent && ts.isVariableDeclaration(parent) && parent.initializer === value && isTopLevel(parent)) {
      return ts.isIdentifier(parent.name) ? this.usersOfBinding(parent, visiting) : null;
    }
    // inside a top-level helper function
    const helper = enclosingHelper(node);
    if (helper) return this.usersOfBinding(helper, visiting);
    return null;
  }

  /** The declaration holding `node`: a name, an empty set (an entrypoint), or undefined (none). */
  private ownerOf(node: ts.Node): Users | undefined {
    for (let n: ts.Node | undefined = node; n; n = n.parent) {
      const name = this.i.declarations.get(n);
      if (name !== undefined) return new Set([name]);
      if (this.i.entrypoints.has(n)) return new Set();
    }
    return undefined;
  }

  private usersOfBinding(decl: ts.Node, visiting: Set<ts.Node>): Users {
    const memo = this.memo.get(decl);
    if (memo !== undefined) return memo;
    if (visiting.has(decl)) return new Set(); // a recursive helper: its other references decide
    const refs = this.references();
    if (this.namespaced.has(decl.getSourceFile())) return null;
    visiting.add(decl);
    const users = new Set<string>();
    let all = false;
    for (const ref of refs.get(decl) ?? []) {
      const u = this.usersOfValue(ref, visiting);
      if (u === null) {
        all = true;
        break;
      }
      for (const name of u) users.add(name);
    }
    visiting.delete(decl);
    const result = all ? null : users;
    // inside a cycle the answer misses the references still being visited: kept only when complete
    if (visiting.size === 0) this.memo.set(decl, result);
    return result;
  }

  /** Every identifier of every analysed file that names a top-level declaration, by that declaration. */
  private references(): Map<ts.Node, ts.Identifier[]> {
    if (this.refs) return this.refs;
    const refs = new Map<ts.Node, ts.Identifier[]>();
    for (const file of this.i.project.files) {
      const table = this.i.project.topLevel(file);
      const visit = (n: ts.Node): void => {
        if (ts.isIdentifier(n) && isReference(n)) {
          const binding = table.get(n.text);
          if (binding?.kind === "import" && binding.imported === "*") {
            const target = this.i.project.resolveModule(binding.file, binding.specifier);
            if (target.kind === "project") this.namespaced.add(target.file.compilerNode);
          }
          const target = declNodeOf(this.i.resolve(binding));
          if (target && target !== n.parent) refs.set(target, [...(refs.get(target) ?? []), n]);
        }
        ts.forEachChild(n, visit);
      };
      visit(file.compilerNode);
    }
    this.refs = refs;
    return refs;
  }
}

function declNodeOf(binding: Binding | undefined): ts.Node | undefined {
  if (!binding) return undefined;
  if (binding.kind === "variable" || binding.kind === "function") return binding.decl.compilerNode;
  return undefined;
}

function isTopLevel(decl: ts.VariableDeclaration): boolean {
  // VariableDeclaration -> VariableDeclarationList -> VariableStatement -> SourceFile
  return ts.isSourceFile(decl.parent.parent.parent);
}

/** The top-level function declaration, or top-level const bound to a function, that holds `node`. */
function enclosingHelper(node: ts.Node): ts.Node | undefined {
  let found: ts.Node | undefined;
  for (let n: ts.Node | undefined = node.parent; n; n = n.parent) {
    if (ts.isFunctionDeclaration(n) && ts.isSourceFile(n.parent)) found = n;
    else if (ts.isVariableDeclaration(n) && isTopLevel(n) && n.initializer && (ts.isArrowFunction(n.initializer) || ts.isFunctionExpression(n.initializer)) && ts.isIdentifier(n.name)) found = n;
  }
  return found;
}

/** Identifiers that are not a property name, a declared name, or part of an import/export clause. */
function isReference(id: ts.Identifier): boolean {
  const p = id.parent;
  if ((ts.isPropertyAccessExpression(p) && p.name === id) || (ts.isQualifiedName(p) && p.right === id)) return false;
  if ((ts.isPropertyAssignment(p) || ts.isMethodDeclaration(p) || ts.isPropertyDeclaration(p) || ts.isGetAccessor(p) || ts.isSetAccessor(p)) && p.name === id) return false;
  if (ts.isImportSpecifier(p) || ts.isExportSpecifier(p) || ts.isImportClause(p) || ts.isNamespaceImport(p)) return false;
  if ((ts.isVariableDeclaration(p) || ts.isFunctionDeclaration(p) || ts.isClassDeclaration(p) || ts.isParameter(p)) && p.name === id) return false;
  return true;
}
