/**
 * Lexical lookup of an identifier: walks out from the use through blocks, functions and loops to
 * the file's top level. Only the shapes that matter for static values are modelled; anything bound
 * at run time (parameters, loop and catch variables) resolves to a `runtime` binding.
 */
import { Node, SyntaxKind, type Identifier, type SourceFile } from "ts-morph";
import { addStatementBindings, type Binding, type ProjectFiles } from "./project.ts";

export function lookup(project: ProjectFiles, ident: Identifier): Binding | undefined {
  const name = ident.getText();
  let node: Node | undefined = ident.getParent();
  while (node) {
    const found = bindingIn(project, node, name);
    if (found) return found;
    node = node.getParent();
  }
  return undefined;
}

function bindingIn(project: ProjectFiles, scope: Node, name: string): Binding | undefined {
  switch (scope.getKind()) {
    case SyntaxKind.SourceFile:
      return project.topLevel(scope as SourceFile).get(name);
    case SyntaxKind.Block:
    case SyntaxKind.ModuleBlock:
    case SyntaxKind.CaseClause:
    case SyntaxKind.DefaultClause: {
      const table = new Map<string, Binding>();
      for (const statement of (scope as Node & { getStatements(): Node[] }).getStatements()) {
        addStatementBindings(statement, table, scope.getSourceFile());
      }
      return table.get(name);
    }
    case SyntaxKind.ArrowFunction:
    case SyntaxKind.FunctionExpression:
    case SyntaxKind.FunctionDeclaration:
    case SyntaxKind.MethodDeclaration:
    case SyntaxKind.Constructor:
    case SyntaxKind.GetAccessor:
    case SyntaxKind.SetAccessor: {
      const fn = scope as Node & { getParameters(): Node[] };
      for (const param of fn.getParameters()) {
        if (Node.isParameterDeclaration(param) && namesIn(param.getNameNode()).includes(name)) {
          return { kind: "runtime", node: param, what: "a function parameter, known only when the function runs" };
        }
      }
      if (Node.isFunctionExpression(scope) && scope.getName() === name) return { kind: "runtime", node: scope, what: "a function" };
      return undefined;
    }
    case SyntaxKind.ForStatement:
    case SyntaxKind.ForOfStatement:
    case SyntaxKind.ForInStatement: {
      const init = (scope as Node & { getInitializer(): Node | undefined }).getInitializer();
      if (init && Node.isVariableDeclarationList(init)) {
        for (const decl of init.getDeclarations()) {
          if (namesIn(decl.getNameNode()).includes(name)) return { kind: "runtime", node: decl, what: "a loop variable" };
        }
      }
      return undefined;
    }
    case SyntaxKind.CatchClause: {
      const decl = (scope as Node & { getVariableDeclaration(): Node | undefined }).getVariableDeclaration();
      if (decl && Node.isVariableDeclaration(decl) && namesIn(decl.getNameNode()).includes(name)) {
        return { kind: "runtime", node: decl, what: "a caught error" };
      }
      return undefined;
    }
    case SyntaxKind.EnumDeclaration: {
      const decl = scope.asKindOrThrow(SyntaxKind.EnumDeclaration);
      return decl.getMember(name) ? { kind: "enumMember", decl, name } : undefined;
    }
    case SyntaxKind.ClassDeclaration:
    case SyntaxKind.ClassExpression:
      if (Node.isClassExpression(scope) && scope.getName() === name) return { kind: "runtime", node: scope, what: "a class expression" };
      return undefined;
    default:
      return undefined;
  }
}

function namesIn(name: Node): string[] {
  if (Node.isIdentifier(name)) return [name.getText()];
  if (Node.isObjectBindingPattern(name) || Node.isArrayBindingPattern(name)) {
    return name.getElements().flatMap((e) => (Node.isBindingElement(e) ? namesIn(e.getNameNode()) : []));
  }
  return [];
}
