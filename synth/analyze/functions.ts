/**
 * Functions and local entrypoints: `export const f = app.function(options, handler)`, where the
 * handler may be wrapped in `webEndpoint(opts, fn)`, `webApp(factory)` or `webServer(opts, start)`;
 * and `export const main = app.localEntrypoint(fn)`.
 */
import type { CallExpression, Node } from "ts-morph";
import type { AppSpec, FunctionSpec, WebSpec } from "../spec.ts";
import type { Context } from "./context.ts";
import type { Evaluator } from "./evaluate.ts";
import { parseOptions, withDefaults } from "./options.ts";
import type { Resources } from "./resources.ts";
import { signatureOf } from "./signature.ts";
import { describeValue, isSdk, type SValue } from "./values.ts";
import { parseWebApp, parseWebEndpoint, parseWebServer } from "./web.ts";
import { withSignature } from "./web-args.ts";
import { warnAlwaysOn } from "./web-floor.ts";

type EntrypointSpec = AppSpec["entrypoints"][number];

export interface Declared {
  /** the name containers know it by */
  name: string;
  /** where the name is written */
  nameNode: Node;
}

export function parseFunction(ctx: Context, ev: Evaluator, res: Resources, call: CallExpression, decl: Declared): FunctionSpec | undefined {
  const args = call.getArguments();
  // app.function(fn) reads as app.function({}, fn)
  const [optionsNode, handlerNode] = args.length === 1 ? [undefined, args[0]] : args;
  if (!handlerNode) {
    ctx.report("GANTRY1603", call, "app.function needs options and a function: app.function({ timeout: 60 }, async (x: number) => ...)");
    return undefined;
  }
  const options = parseOptions(ctx, res, optionsNode && ev.evaluate(optionsNode), "function");
  const handler = ev.evaluate(handlerNode);
  let fn: SValue = handler;
  let web: WebSpec | null = null;
  if (isSdk(handler, "web")) {
    const w = handler.sdk;
    fn = w.handler;
    const parsed = w.wrapper === "webEndpoint" ? parseWebEndpoint(ctx, w.options ?? undefined, handler.node)
      : w.wrapper === "webApp" ? parseWebApp(ctx, w.options, handler.node)
      : parseWebServer(ctx, w.options, handler.node);
    if (!parsed) return undefined;
    web = parsed;
  }
  if (fn.kind !== "function") {
    if (fn.kind === "unknown" && fn.reported) return undefined;
    ctx.report("GANTRY1603", fn.node, `the handler of ${decl.name} must be a function written in the project (an arrow function, a function expression or a function declaration), got ${describeValue(fn)}`);
    return undefined;
  }
  if (web?.kind === "endpoint") {
    const completed = withSignature(ctx, ev, web, fn.node);
    if (!completed) return undefined;
    web = completed;
  }
  const { params, returns } = signatureOf(fn.node);
  const fullOptions = withDefaults(res, options.given);
  if (web) warnAlwaysOn(ctx, decl.name, web, fullOptions, handler.node);
  return {
    kind: "function",
    name: decl.name,
    source: ctx.location(decl.nameNode),
    options: fullOptions,
    schedule: options.schedule,
    web,
    params,
    returns,
    ...(options.concurrency ? { concurrency: options.concurrency } : {}),
    written: options.written,
  };
}

export function parseEntrypoint(ctx: Context, ev: Evaluator, call: CallExpression, decl: Declared): EntrypointSpec | undefined {
  const [fnNode] = call.getArguments();
  const fn = fnNode ? ev.evaluate(fnNode) : undefined;
  if (!fn || fn.kind !== "function") {
    ctx.report("GANTRY1603", fnNode ?? call, `app.localEntrypoint takes a function: app.localEntrypoint(async () => { ... })${fn ? `, got ${describeValue(fn)}` : ""}`);
    return undefined;
  }
  return { name: decl.name, source: ctx.location(decl.nameNode) };
}
