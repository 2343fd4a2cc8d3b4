/**
 * JSON Schema from TypeScript types as written, without a type checker: what a GET endpoint's
 * parameters accept and what an endpoint returns (its OpenAPI 200 response).
 *
 * Types read: string, number, boolean, bigint (sent as a string), null/undefined/void (JSON null),
 * literal types, unions, intersections, arrays and tuples, object type literals and index
 * signatures, `Record<string, T>`, `Date` (a date-time string), `Promise<T>` (unwrapped),
 * interfaces and type aliases of the same file, and `z.infer` / `z.output` / `z.input` of a zod
 * schema the analysis replays. Anything else is `{}` (any value) inside a type, and unknown
 * (undefined) as a whole. A function without a return type gets one from its return expressions
 * when they are literals (object and array literals of literals included).
 */
import { Node, SyntaxKind, type SourceFile, type TypeNode } from "ts-morph";
import type { Evaluator } from "./evaluate.ts";
import { bodyJsonSchema, isZodSchema, responseJsonSchema } from "./zod.ts";

export type JsonSchema = Record<string, unknown>;

const MAX_DEPTH = 12;

/** The schema of a type node; undefined when nothing is known of it. */
export function typeJsonSchema(ev: Evaluator, node: Node | undefined): JsonSchema | undefined {
  if (!node) return undefined;
  const out = typeSchema(ev, node, 0, new Set());
  return out && Object.keys(out).length ? out : undefined;
}

/** What `fn` returns (Promise unwrapped), from its return type or its return expressions. */
export function returnJsonSchema(ev: Evaluator, fn: Node): JsonSchema | undefined {
  if (!Node.isFunctionLikeDeclaration(fn) && !Node.isArrowFunction(fn) && !Node.isFunctionExpression(fn)) return undefined;
  const annotated = fn.getReturnTypeNode();
  if (annotated) return typeJsonSchema(ev, annotated);
  const body = Node.isBodyable(fn) || Node.isBodied(fn) ? fn.getBody() : undefined;
  if (!body) return undefined;
  const returned = Node.isBlock(body) ? returnExpressions(body) : [body];
  if (!returned.length) return Node.isBlock(body) ? { type: "null" } : undefined;
  const schemas = returned.map((e) => (e ? expressionSchema(ev, e, 0) : { type: "null" }));
  if (schemas.some((s) => s === undefined)) return undefined;
  return union(schemas as JsonSchema[]);
}

/** Return statements of this function, not of functions nested in it; null for a bare `return;`. */
function returnExpressions(body: Node): (Node | null)[] {
  const out: (Node | null)[] = [];
  const visit = (n: Node) => {
    if (Node.isReturnStatement(n)) out.push(n.getExpression() ?? null);
    if (Node.isFunctionLikeDeclaration(n) || Node.isArrowFunction(n) || Node.isFunctionExpression(n) || Node.isClassDeclaration(n)) return;
    n.forEachChild(visit);
  };
  body.forEachChild(visit);
  return out;
}

function expressionSchema(ev: Evaluator, e: Node, depth: number): JsonSchema | undefined {
  if (depth > MAX_DEPTH) return {};
  if (Node.isParenthesizedExpression(e) || Node.isAwaitExpression(e) || Node.isNonNullExpression(e)) return expressionSchema(ev, e.getExpression(), depth);
  if (Node.isAsExpression(e) || Node.isSatisfiesExpression(e)) {
    const typeNode = e.getTypeNode();
    if (typeNode && !(Node.isTypeReference(typeNode) && typeNode.getTypeName().getText() === "const")) return typeJsonSchema(ev, typeNode) ?? {};
    return expressionSchema(ev, e.getExpression(), depth);
  }
  if (Node.isStringLiteral(e) || Node.isNoSubstitutionTemplateLiteral(e) || Node.isTemplateExpression(e)) return { type: "string" };
  if (Node.isNumericLiteral(e)) return { type: "number" };
  if (Node.isPrefixUnaryExpression(e) && Node.isNumericLiteral(e.getOperand())) return { type: "number" };
  if (Node.isTrueLiteral(e) || Node.isFalseLiteral(e)) return { type: "boolean" };
  if (Node.isNullLiteral(e)) return { type: "null" };
  if (Node.isBigIntLiteral(e)) return { type: "string" };
  if (Node.isArrayLiteralExpression(e)) {
    const items = e.getElements().map((x) => (Node.isSpreadElement(x) ? undefined : expressionSchema(ev, x, depth + 1) ?? {}));
    if (items.some((i) => i === undefined)) return { type: "array" };
    return items.length ? { type: "array", items: union(items as JsonSchema[]) } : { type: "array" };
  }
  if (Node.isObjectLiteralExpression(e)) {
    const properties: Record<string, JsonSchema> = {};
    for (const p of e.getProperties()) {
      if (Node.isPropertyAssignment(p)) {
        const name = propertyName(p.getNameNode());
        if (name === undefined) return { type: "object" };
        properties[name] = expressionSchema(ev, p.getInitializerOrThrow(), depth + 1) ?? {};
      } else if (Node.isShorthandPropertyAssignment(p) || Node.isMethodDeclaration(p)) {
        properties[p.getName()] = {};
      } else return { type: "object" }; // a spread or an accessor: the keys are not all known
    }
    return objectSchema(properties, Object.keys(properties));
  }
  return undefined;
}

function propertyName(name: Node): string | undefined {
  if (Node.isIdentifier(name) || Node.isPrivateIdentifier(name)) return name.getText();
  if (Node.isStringLiteral(name) || Node.isNoSubstitutionTemplateLiteral(name) || Node.isNumericLiteral(name)) return String(name.getLiteralValue());
  return undefined;
}

function typeSchema(ev: Evaluator, node: Node, depth: number, seen: Set<Node>): JsonSchema {
  if (depth > MAX_DEPTH) return {};
  const next = (n: Node | undefined) => (n ? typeSchema(ev, n, depth + 1, seen) : {});
  switch (node.getKind()) {
    case SyntaxKind.StringKeyword: return { type: "string" };
    case SyntaxKind.NumberKeyword: return { type: "number" };
    case SyntaxKind.BooleanKeyword: return { type: "boolean" };
    case SyntaxKind.BigIntKeyword: return { type: "string" };
    case SyntaxKind.NullKeyword:
    case SyntaxKind.UndefinedKeyword:
    case SyntaxKind.VoidKeyword: return { type: "null" };
    default: break;
  }
  if (Node.isParenthesizedTypeNode(node)) return next(node.getTypeNode());
  if (Node.isTypeOperatorTypeNode(node)) return node.getOperator() === SyntaxKind.ReadonlyKeyword ? next(node.getTypeNode()) : {};
  if (Node.isLiteralTypeNode(node)) {
    const lit = node.getLiteral();
    if (Node.isStringLiteral(lit) || Node.isNoSubstitutionTemplateLiteral(lit)) return { type: "string", const: lit.getLiteralValue() };
    if (Node.isNumericLiteral(lit)) return { type: "number", const: lit.getLiteralValue() };
    if (Node.isPrefixUnaryExpression(lit) && Node.isNumericLiteral(lit.getOperand())) return { type: "number", const: -Number(lit.getOperand().getText()) };
    if (Node.isTrueLiteral(lit) || Node.isFalseLiteral(lit)) return { type: "boolean", const: Node.isTrueLiteral(lit) };
    if (Node.isNullLiteral(lit)) return { type: "null" };
    return {};
  }
  if (Node.isArrayTypeNode(node)) return { type: "array", items: next(node.getElementTypeNode()) };
  if (Node.isTupleTypeNode(node)) {
    const elements = node.getElements();
    if (elements.some((el) => Node.isRestTypeNode(el) || Node.isNamedTupleMember(el) && el.hasQuestionToken())) return { type: "array" };
    const items = elements.map((el) => next(Node.isNamedTupleMember(el) ? el.getTypeNode() : el));
    return { type: "array", prefixItems: items, minItems: items.length, maxItems: items.length };
  }
  if (Node.isUnionTypeNode(node)) return union(node.getTypeNodes().map(next));
  if (Node.isIntersectionTypeNode(node)) return { allOf: node.getTypeNodes().map(next) };
  if (Node.isTypeLiteral(node)) return membersSchema(node.getMembers(), next);
  if (Node.isTypeReference(node)) return referenceSchema(ev, node, next, seen, depth);
  return {};
}

function membersSchema(members: Node[], next: (n: Node | undefined) => JsonSchema): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  let additional: JsonSchema | undefined;
  for (const m of members) {
    if (Node.isPropertySignature(m)) {
      const name = propertyName(m.getNameNode());
      if (name === undefined) continue;
      properties[name] = next(m.getTypeNode());
      if (!m.hasQuestionToken()) required.push(name);
    } else if (Node.isIndexSignatureDeclaration(m)) {
      additional = next(m.getReturnTypeNode());
    }
  }
  const out = objectSchema(properties, required);
  if (additional) out.additionalProperties = additional;
  return out;
}

function referenceSchema(ev: Evaluator, node: Node & { getTypeName(): Node; getTypeArguments(): TypeNode[] }, next: (n: Node | undefined) => JsonSchema, seen: Set<Node>, depth: number): JsonSchema {
  const name = node.getTypeName().getText();
  const args = node.getTypeArguments();
  if (name === "Promise" || name === "PromiseLike" || name === "Awaited") return next(args[0]);
  if (name === "Array" || name === "ReadonlyArray" || name === "Set") return { type: "array", items: next(args[0]) };
  if (name === "Record" || name === "Map") return { type: "object", additionalProperties: next(args[1]) };
  if (name === "Date") return { type: "string", format: "date-time" };
  if (/^(z\.)?(infer|output|input|TypeOf)$/.test(name) && args[0] && Node.isTypeQuery(args[0])) {
    const value = ev.evaluate(args[0].getExprName());
    if (value.kind !== "zod" || !isZodSchema(value.value)) return {};
    const converted = /input$/.test(name) ? bodyJsonSchema(value.value) : responseJsonSchema(value.value);
    if (!converted.ok) return {};
    const { $schema: _dialect, ...schema } = converted.schema;
    return schema;
  }
  // an interface or type alias of this file (generic ones are not instantiated: any value)
  if (!Node.isIdentifier(node.getTypeName()) || args.length) return {};
  return namedSchema(ev, node.getSourceFile(), name, next, seen, depth);
}

function namedSchema(ev: Evaluator, file: SourceFile, name: string, next: (n: Node | undefined) => JsonSchema, seen: Set<Node>, depth: number): JsonSchema {
  const decl = file.getInterface(name) ?? file.getTypeAlias(name);
  if (!decl || seen.has(decl) || decl.getTypeParameters().length) return {};
  seen.add(decl);
  try {
    if (Node.isInterfaceDeclaration(decl)) {
      const base = membersSchema(decl.getMembers(), next);
      const extended = decl.getExtends().map((h) => namedSchema(ev, file, h.getExpression().getText(), next, seen, depth));
      return extended.length ? { allOf: [...extended, base] } : base;
    }
    return next(decl.getTypeNode());
  } finally {
    seen.delete(decl);
  }
}

function objectSchema(properties: Record<string, JsonSchema>, required: string[]): JsonSchema {
  return required.length ? { type: "object", properties, required } : { type: "object", properties };
}

/** One schema for several: duplicates dropped, literals of one type merged into an `enum`, else `anyOf`. */
function union(schemas: JsonSchema[]): JsonSchema {
  const unique = [...new Map(schemas.map((s) => [JSON.stringify(s), s])).values()];
  if (unique.some((s) => Object.keys(s).length === 0)) return {};
  const merged: JsonSchema[] = [];
  const enums = new Map<unknown, unknown[]>();
  for (const s of unique) {
    const literal = "const" in s && Object.keys(s).length === 2 && typeof s.type === "string";
    if (!literal) {
      merged.push(s);
      continue;
    }
    const values = enums.get(s.type);
    if (values) values.push(s.const);
    else {
      const fresh = [s.const];
      enums.set(s.type, fresh);
      merged.push({ type: s.type, enum: fresh });
    }
  }
  const out = merged.map((s) => (Array.isArray(s.enum) && s.enum.length === 1 ? { type: s.type, const: s.enum[0] } : s));
  if (out.length === 1) return out[0];
  if (out.every((s) => typeof s.type === "string" && Object.keys(s).length === 1)) return { type: out.map((s) => s.type) };
  return { anyOf: out };
}
