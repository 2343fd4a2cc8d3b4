/**
 * Classes: `@app.cls(options)` + `@concurrent({ maxInputs, targetInputs })`, members `@method()`,
 * `@enter({ snap })`, `@exit()`, `@batched({ maxBatchSize, waitMs })`, `@webEndpoint(...)`, and
 * `parameter()` fields. Hooks run snap-first; methods keep declaration order.
 */
import { Node, type ClassDeclaration, type Decorator, type MethodDeclaration, type PropertyDeclaration } from "ts-morph";
import type { BatchingSpec, ClassSpec, ConcurrencySpec, HookSpec, MethodSpec, ParameterSpec, WebSpec } from "../spec.ts";
import type { Context } from "./context.ts";
import type { Evaluator } from "./evaluate.ts";
import { parseOptions, withDefaults } from "./options.ts";
import { readBoolean, readInt, readObject } from "./read.ts";
import type { Resources } from "./resources.ts";
import { isArrayType, signatureOf } from "./signature.ts";
import { isSdk, type DecoratorName, type SValue } from "./values.ts";
import { parseWebEndpoint } from "./web.ts";
import { withSignature } from "./web-args.ts";

export interface GantryDecorator {
  name: DecoratorName;
  args: SValue[];
  node: Decorator;
  /** written without a call, `@method` instead of `@method()` */
  bare: boolean;
}

const DECORATOR_NAMES = new Set<string>(["method", "enter", "exit", "batched", "concurrent", "webEndpoint"]);

/** The gantry decorator a decorator expression evaluates to, if any. */
export function gantryDecorator(ev: Evaluator, decorator: Decorator): GantryDecorator | undefined {
  const v = ev.evaluate(decorator.getExpression());
  if (isSdk(v, "decorator")) return { name: v.sdk.name, args: v.sdk.args, node: decorator, bare: false };
  if (v.kind === "gantry" && DECORATOR_NAMES.has(v.name)) return { name: v.name as DecoratorName, args: [], node: decorator, bare: true };
  if (v.kind === "method" && v.receiver.sdk.type === "app" && v.name === "cls") return { name: "cls", args: [], node: decorator, bare: true };
  return undefined;
}

export function parseClass(
  ctx: Context, ev: Evaluator, res: Resources, decl: ClassDeclaration, name: string,
  cls: GantryDecorator, classDecorators: GantryDecorator[],
): ClassSpec {
  const options = parseOptions(ctx, res, cls.args[0], "class");
  const fullOptions = withDefaults(res, options.given);
  let concurrency: ConcurrencySpec | null = null;
  let maxInputsNode: Node | undefined;
  for (const d of classDecorators) {
    if (d === cls) continue;
    if (d.name === "concurrent") {
      const parsed = parseConcurrency(ctx, d);
      if (parsed) ({ concurrency, maxInputsNode } = parsed);
    } else {
      ctx.report("GANTRY1704", d.node, `@${d.name} goes on a method, not on a class`);
    }
  }

  const parameters: ParameterSpec[] = [];
  const methods: MethodSpec[] = [];
  const enter: (HookSpec & { decorator: Decorator })[] = [];
  const exit: HookSpec[] = [];
  for (const member of decl.getMembers()) {
    if (Node.isPropertyDeclaration(member)) {
      for (const d of member.getDecorators()) {
        const g = gantryDecorator(ev, d);
        if (g) ctx.report("GANTRY1704", d, `@${g.name} goes on a method, not on a field`);
      }
      const p = parseParameterField(ctx, ev, member);
      if (p) parameters.push(p);
      continue;
    }
    const decorators = Node.isDecoratable(member) ? member.getDecorators().map((d) => gantryDecorator(ev, d)).filter((d) => d !== undefined) : [];
    if (decorators.length === 0) continue;
    if (!Node.isMethodDeclaration(member) || member.isStatic()) {
      for (const d of decorators) ctx.report("GANTRY1704", d.node, `@${d.name} goes on an instance method`);
      continue;
    }
    const roles = parseRoles(ctx, member, decorators);
    if (!roles) continue;
    const memberName = member.getName();
    const source = ctx.location(member.getNameNode());
    if (roles.enter) enter.push({ name: memberName, snap: roles.enter.snap, source, decorator: roles.enter.node });
    if (roles.exit) exit.push({ name: memberName, snap: false, source });
    if (roles.method || roles.batched || roles.web) {
      const { params, returns } = signatureOf(member);
      if (roles.batched) checkBatchedSignature(ctx, member);
      const web = roles.web?.kind === "endpoint" ? withSignature(ctx, ev, roles.web, member) : roles.web ?? null;
      if (web === undefined) continue;
      methods.push({ name: memberName, source, batched: roles.batched?.spec ?? null, web, params, returns });
    }
  }

  for (const hook of enter) {
    if (hook.snap && !fullOptions.enableMemorySnapshot) {
      ctx.report("GANTRY1706", hook.decorator, `@enter({ snap: true }) on ${hook.name} only runs before a snapshot with enableMemorySnapshot: true in @app.cls(...); without it, it runs like a normal @enter hook`);
    }
  }
  if (concurrency && maxInputsNode) {
    for (const m of methods) {
      if (m.batched && concurrency.maxInputs < m.batched.maxBatchSize) {
        ctx.report("GANTRY1702", maxInputsNode, `@concurrent maxInputs (${concurrency.maxInputs}) is smaller than maxBatchSize (${m.batched.maxBatchSize}) of the @batched method ${m.name}: a batch could never fill; raise maxInputs to at least ${m.batched.maxBatchSize}`);
      }
    }
  }

  const snapFirst = [...enter.filter((h) => h.snap), ...enter.filter((h) => !h.snap)];
  return {
    kind: "class",
    name,
    source: ctx.location(decl.getNameNode() ?? decl),
    options: fullOptions,
    parameters,
    methods,
    enter: snapFirst.map(({ name: n, snap, source }) => ({ name: n, snap, source })),
    exit,
    concurrency,
    variants: [],
    written: options.written,
  };
}

function parseConcurrency(ctx: Context, d: GantryDecorator): { concurrency: ConcurrencySpec; maxInputsNode: Node } | undefined {
  if (d.bare || !d.args[0]) {
    ctx.report("GANTRY1705", d.node, "@concurrent needs its options: @concurrent({ maxInputs: 8 })");
    return undefined;
  }
  return readConcurrency(ctx, d.args[0], d.node);
}

/** `{ maxInputs, targetInputs? }` (also the argument of withConcurrency). */
export function readConcurrency(ctx: Context, v: SValue, at: Node): { concurrency: ConcurrencySpec; maxInputsNode: Node } | undefined {
  const props = readObject(ctx, v, "concurrency option", ["maxInputs", "targetInputs"]);
  if (!props) return undefined;
  const maxProp = props.get("maxInputs");
  if (!maxProp) {
    ctx.report("GANTRY1705", at, "maxInputs is required: { maxInputs: 8 }");
    return undefined;
  }
  const maxInputs = readInt(ctx, maxProp.value, "maxInputs", 1, 1000, "GANTRY1705");
  const targetProp = props.get("targetInputs");
  const targetInputs = targetProp ? readInt(ctx, targetProp.value, "targetInputs", 1, 1000, "GANTRY1705") : maxInputs;
  if (maxInputs === undefined || targetInputs === undefined) return undefined;
  if (targetInputs > maxInputs) {
    ctx.report("GANTRY1705", targetProp!.value.node, `targetInputs (${targetInputs}) cannot exceed maxInputs (${maxInputs})`);
    return undefined;
  }
  return { concurrency: { maxInputs, targetInputs }, maxInputsNode: maxProp.value.node };
}

/** `{ maxBatchSize, waitMs }` (also the argument of withBatching). */
export function readBatching(ctx: Context, v: SValue | undefined, at: Node): BatchingSpec | undefined {
  if (!v) {
    ctx.report("GANTRY1705", at, "@batched needs its options: @batched({ maxBatchSize: 16, waitMs: 50 })");
    return undefined;
  }
  const props = readObject(ctx, v, "batching option", ["maxBatchSize", "waitMs"]);
  if (!props) return undefined;
  for (const required of ["maxBatchSize", "waitMs"]) {
    if (!props.has(required)) {
      ctx.report("GANTRY1705", v.node, `${required} is required: { maxBatchSize: 16, waitMs: 50 }`);
      return undefined;
    }
  }
  const maxBatchSize = readInt(ctx, props.get("maxBatchSize")!.value, "maxBatchSize", 1, 1000, "GANTRY1705");
  const waitMs = readInt(ctx, props.get("waitMs")!.value, "waitMs", 0, 600_000, "GANTRY1705");
  return maxBatchSize === undefined || waitMs === undefined ? undefined : { maxBatchSize, waitMs };
}

interface Roles {
  method?: Decorator;
  enter?: { snap: boolean; node: Decorator };
  exit?: Decorator;
  batched?: { spec: BatchingSpec };
  web?: WebSpec;
}

function parseRoles(ctx: Context, member: MethodDeclaration, decorators: GantryDecorator[]): Roles | undefined {
  const roles: Roles = {};
  const seen = new Set<string>();
  let ok = true;
  for (const d of decorators) {
    if (seen.has(d.name)) {
      ctx.report("GANTRY1704", d.node, `@${d.name} is written twice on ${member.getName()}`);
      ok = false;
      continue;
    }
    seen.add(d.name);
    if (d.bare) {
      ctx.report("GANTRY1704", d.node, `write @${d.name}(...) with parentheses: gantry decorators are factories`);
      ok = false;
      continue;
    }
    switch (d.name) {
      case "method": roles.method = d.node; break;
      case "exit": roles.exit = d.node; break;
      case "enter": {
        const props = d.args[0] ? readObject(ctx, d.args[0], "@enter option", ["snap"]) : new Map();
        if (!props) { ok = false; break; }
        const snap = props.get("snap") ? readBoolean(ctx, props.get("snap")!.value, "snap") : false;
        if (snap === undefined) { ok = false; break; }
        roles.enter = { snap, node: d.node };
        break;
      }
      case "batched": {
        const spec = readBatching(ctx, d.args[0], d.node);
        if (spec) roles.batched = { spec };
        else ok = false;
        break;
      }
      case "webEndpoint": {
        const web = parseWebEndpoint(ctx, d.args[0], d.node);
        if (web) roles.web = web;
        else ok = false;
        break;
      }
      default:
        ctx.report("GANTRY1704", d.node, `@${d.name === "cls" ? "app.cls" : d.name} goes on a class, not on a method`);
        ok = false;
    }
  }
  const hook = roles.enter ? "@enter" : roles.exit ? "@exit" : undefined;
  const callable = roles.method ? "@method" : roles.batched ? "@batched" : roles.web ? "@webEndpoint" : undefined;
  if (roles.enter && roles.exit) {
    ctx.report("GANTRY1704", roles.exit, `${member.getName()} cannot be both an @enter and an @exit hook`);
    ok = false;
  } else if (hook && callable) {
    ctx.report("GANTRY1704", member.getNameNode(), `${member.getName()} cannot be both a ${hook} hook and a ${callable} method: hooks are not called by clients`);
    ok = false;
  }
  if (roles.batched && roles.web) {
    ctx.report("GANTRY1704", member.getNameNode(), `${member.getName()} cannot be both @batched and a @webEndpoint`);
    ok = false;
  }
  return ok ? roles : undefined;
}

/** A batched method takes one array (the batch) and returns an array of the same length. */
function checkBatchedSignature(ctx: Context, member: MethodDeclaration): void {
  const params = member.getParameters().filter((p) => p.getName() !== "this");
  const name = member.getName();
  if (params.length !== 1) {
    ctx.report("GANTRY1701", params[1] ?? member.getNameNode(),
      `the @batched method ${name} must take exactly one parameter, an array of inputs (e.g. ${name}(texts: string[])); it has ${params.length}`);
    return;
  }
  const typeNode = params[0].getTypeNode();
  if (!isArrayType(typeNode)) {
    ctx.report("GANTRY1701", typeNode ?? params[0], typeNode
      ? `the @batched method ${name} receives a batch: its parameter must be an array type (e.g. ${typeNode.getText()}[]), not ${typeNode.getText()}`
      : `annotate the parameter of the @batched method ${name} as an array (e.g. ${params[0].getName()}: string[])`);
  }
  const returnNode = member.getReturnTypeNode();
  if (returnNode && !isArrayType(returnNode, true)) {
    ctx.report("GANTRY1701", returnNode, `the @batched method ${name} must return an array (one output per input), not ${returnNode.getText()}`);
  }
}

const PARAMETER_TYPES = ["string", "number", "boolean", "bigint"] as const;

/** `name = parameter<string>()` or `size = parameter({ default: 32 })`. */
function parseParameterField(ctx: Context, ev: Evaluator, field: PropertyDeclaration): ParameterSpec | undefined {
  const init = field.getInitializer();
  if (!init || !Node.isCallExpression(init)) return undefined;
  const v = ev.evaluate(init);
  if (!isSdk(v, "parameter")) return undefined;
  const nameNode = field.getNameNode();
  if (!Node.isIdentifier(nameNode) || field.isStatic()) {
    ctx.report("GANTRY1703", nameNode, "a parameter() must be a public instance field with a plain name");
    return undefined;
  }
  const name = nameNode.getText();
  const typeArg = init.getTypeArguments()[0];
  let type = typeArg ? typeArg.getText().trim() : undefined;
  if (type !== undefined && !(PARAMETER_TYPES as readonly string[]).includes(type)) {
    ctx.report("GANTRY1703", typeArg!, `parameter ${name} has the type ${type}; parameters are string, number, boolean or bigint`);
    return undefined;
  }
  let defaultValue: string | number | boolean | undefined;
  let required = true;
  if (v.sdk.options) {
    const props = readObject(ctx, v.sdk.options, "parameter option", ["default"]);
    if (!props) return undefined;
    const d = props.get("default");
    if (!d) {
      ctx.report("GANTRY1703", v.sdk.options.node, `parameter ${name}: give a default (parameter({ default: ... })) or no options for a required parameter`);
      return undefined;
    }
    const value = d.value;
    if (value.kind === "unknown") {
      ctx.reportUnknown(value, `the default of parameter ${name}`);
      return undefined;
    }
    const t = value.kind === "primitive" ? typeof value.value : undefined;
    if (!t || !(PARAMETER_TYPES as readonly string[]).includes(t)) {
      ctx.report("GANTRY1703", value.node, `the default of parameter ${name} must be a string, number, boolean or bigint literal`);
      return undefined;
    }
    if (type !== undefined && type !== t) {
      ctx.report("GANTRY1703", value.node, `the default of parameter ${name} is a ${t}, but its type is ${type}`);
      return undefined;
    }
    type = t;
    required = false;
    const raw = (value as { value: string | number | boolean | bigint }).value;
    // bigint defaults are recorded as their decimal digits (JSON has no bigint)
    defaultValue = typeof raw === "bigint" ? raw.toString() : raw;
  }
  if (type === undefined) {
    ctx.report("GANTRY1703", init, `parameter ${name} needs a type: parameter<string>() for a required one, or parameter({ default: ... })`);
    return undefined;
  }
  const spec: ParameterSpec = { name, type: type as ParameterSpec["type"], required, source: ctx.location(nameNode) };
  if (!required) spec.default = defaultValue;
  return spec;
}
