/**
 * What a webEndpoint's function takes and returns, read from its signature.
 *
 * - GET: a function of one object (`(query: z.infer<typeof Q>)`, or untyped) receives the query
 *   as that object, as before. A function whose parameters are query values (`(name: string,
 *   greeting = "Hello", times?: number)`, as FastAPI maps query parameters) receives each key as
 *   its own argument (`queryParams`); without a body schema, one is derived from the parameters'
 *   types (strings, numbers, booleans, literal unions, arrays of them; a literal default becomes
 *   the schema's default), so values are converted and checked (422) like any query schema.
 * - The response: without a `response` schema, the JSON Schema of the return type (type-schema.ts).
 */
import { Node, SyntaxKind, type ParameterDeclaration } from "ts-morph";
import type { WebSpec } from "../spec.ts";
import type { Context } from "./context.ts";
import type { Evaluator } from "./evaluate.ts";
import { returnJsonSchema, typeJsonSchema, type JsonSchema } from "./type-schema.ts";

type EndpointSpec = Extract<WebSpec, { kind: "endpoint" }>;

/** The endpoint with what its signature says; undefined after reporting a GET signature gantry cannot map. */
export function withSignature(ctx: Context, ev: Evaluator, web: EndpointSpec, fn: Node): EndpointSpec | undefined {
  let out = web;
  if (!out.responseSchema) {
    const derived = returnJsonSchema(ev, fn);
    if (derived) out = { ...out, responseSchema: derived };
  }
  if (out.method !== "GET") return out;
  return withQueryParams(ctx, ev, out, parametersOf(fn));
}

function parametersOf(fn: Node): ParameterDeclaration[] {
  if (!Node.isFunctionLikeDeclaration(fn) && !Node.isArrowFunction(fn) && !Node.isFunctionExpression(fn)) return [];
  return fn.getParameters().filter((p) => p.getName() !== "this");
}

interface QueryParam { name: string; schema: JsonSchema; required: boolean }

function withQueryParams(ctx: Context, ev: Evaluator, web: EndpointSpec, params: ParameterDeclaration[]): EndpointSpec | undefined {
  if (params.length === 0) return web;
  if (params.length === 1) {
    // one parameter: the query object, unless it is a query value itself and no schema describes the object
    const one = params[0];
    if (web.bodySchema || one.isRestParameter() || !Node.isIdentifier(one.getNameNode())) return web;
    const param = queryParam(ev, one);
    return param && isQueryValue(param.schema) && Object.keys(param.schema).length ? { ...web, queryParams: [param.name], bodySchema: objectOf([param]) } : web;
  }
  const read: QueryParam[] = [];
  let ok = true;
  for (const p of params) {
    if (p.isRestParameter() || !Node.isIdentifier(p.getNameNode())) {
      ctx.report("GANTRY2000", p, "a GET endpoint with several parameters takes each query parameter by name: write plain named parameters (`(name: string, limit = 10)`), or take the query as one object");
      ok = false;
      continue;
    }
    const param = queryParam(ev, p)!;
    if (!web.bodySchema && !isQueryValue(param.schema)) {
      const type = p.getTypeNode()?.getText() ?? "its type";
      ctx.report("GANTRY2000", p.getTypeNode() ?? p,
        `${param.name} is a query parameter of this GET endpoint, and a query value is a string, number, boolean, a union of literals or an array of them, not ${type}; ` +
        "take the whole query as one object (with a body schema), or use POST for a JSON body");
      ok = false;
    }
    read.push(param);
  }
  if (!ok) return undefined;
  if (web.bodySchema) {
    const properties = (web.bodySchema.properties as Record<string, unknown> | undefined) ?? {};
    const missing = read.filter((p) => !Object.hasOwn(properties, p.name));
    for (const p of missing) {
      ctx.report("GANTRY2000", params.find((x) => x.getName() === p.name)!, `${p.name} is not a property of this GET endpoint's body schema (it has ${Object.keys(properties).join(", ") || "none"}): each parameter takes the query key of its name`);
    }
    if (missing.length) return undefined;
    return { ...web, queryParams: read.map((p) => p.name) };
  }
  return { ...web, queryParams: read.map((p) => p.name), bodySchema: objectOf(read) };
}

function queryParam(ev: Evaluator, p: ParameterDeclaration): QueryParam | undefined {
  const name = p.getName();
  const init = p.getInitializer();
  const typeNode = p.getTypeNode();
  let schema: JsonSchema = typeJsonSchema(ev, typeNode) ?? {};
  if (!typeNode && init) schema = literalSchema(init) ?? {};
  if (init) {
    const value = ev.evaluate(init);
    if (value.kind === "primitive" && ["string", "number", "boolean"].includes(typeof value.value)) schema = { ...schema, default: value.value };
  }
  const optional = p.hasQuestionToken() || init !== undefined || (typeNode !== undefined && Node.isUnionTypeNode(typeNode) &&
    typeNode.getTypeNodes().some((t) => t.getKind() === SyntaxKind.UndefinedKeyword));
  return { name, schema, required: !optional };
}

function literalSchema(init: Node): JsonSchema | undefined {
  if (Node.isStringLiteral(init) || Node.isNoSubstitutionTemplateLiteral(init)) return { type: "string" };
  if (Node.isNumericLiteral(init) || (Node.isPrefixUnaryExpression(init) && Node.isNumericLiteral(init.getOperand()))) return { type: "number" };
  if (Node.isTrueLiteral(init) || Node.isFalseLiteral(init)) return { type: "boolean" };
  return undefined;
}

const SCALARS = new Set(["string", "number", "integer", "boolean", "null"]);

/** A value a query string can carry: scalars, literal unions and arrays of them; `{}` (unannotated) too. */
function isQueryValue(schema: JsonSchema, inArray = false): boolean {
  const { default: _default, ...rest } = schema;
  if (Object.keys(rest).length === 0) return true;
  const type = rest.type;
  if (type === "array") return !inArray && isQueryValue((rest.items as JsonSchema | undefined) ?? {}, true);
  if (typeof type === "string") return SCALARS.has(type);
  if (Array.isArray(type)) return type.every((t) => SCALARS.has(t as string));
  const alternatives = rest.anyOf as JsonSchema[] | undefined;
  return Array.isArray(alternatives) && alternatives.every((s) => isQueryValue(s, inArray));
}

function objectOf(params: QueryParam[]): JsonSchema {
  const properties = Object.fromEntries(params.map((p) => [p.name, p.schema]));
  const required = params.filter((p) => p.required).map((p) => p.name);
  return required.length ? { type: "object", properties, required } : { type: "object", properties };
}
