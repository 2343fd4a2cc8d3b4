/**
 * The gantry calls the evaluator understands: `new App`, images, volumes, secrets, dicts, queues,
 * schedules, retries, `Cls.of`, and the decorator / web-wrapper factories. Each validates its own
 * arguments (reporting at their locations) and returns an sdk value, or an `unknown` already reported.
 */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { Node } from "ts-morph";
import { normalizeCron, normalizeTimezone } from "../cron.ts";
import { describeDstConflict, dstConflicts } from "../cron-calendar.ts";
import { DEFAULTS, RetriesSpec } from "../spec.ts";
import type { Context } from "./context.ts";
import { IMAGE_METHODS, imageFactory, imageMethod } from "./images.ts";
import { readBoolean, readNumber, readObject, readString, readStrings } from "./read.ts";
import { describeValue, unknownValue, type DecoratorName, type SdkValue, type SValue } from "./values.ts";

/** gantry's exports, and the static members the analysis reads. */
export const GANTRY_EXPORTS = new Set([
  "App", "Image", "Volume", "Secret", "Dict", "Queue", "Cron", "Period", "Retries", "Cls", "Function", "FunctionCall",
  "method", "enter", "exit", "parameter", "concurrent", "batched", "webEndpoint", "webApp", "webServer",
]);

const DECORATORS = new Set<string>(["method", "enter", "exit", "batched", "concurrent"]);

type Result = SdkValue | SValue;

/** A call (or `new`) of a gantry export or static member, e.g. "Volume.fromName". */
export function callGantry(ctx: Context, name: string, args: SValue[], argNodes: Node[], node: Node): Result {
  const [first, second] = args;
  switch (name) {
    case "App": return newApp(ctx, argNodes[0], node);
    case "Image.debianSlim":
    case "Image.fromRegistry":
    case "Image.fromDockerfile":
      return imageFactory(ctx, name.slice("Image.".length), args, node);
    case "Volume.fromName":
    case "Dict.fromName":
    case "Queue.fromName":
      return namedState(ctx, name.split(".")[0] as "Volume" | "Dict" | "Queue", first, second, node);
    case "Secret.fromName": return secretFromName(ctx, first, second, node);
    case "Secret.fromDict": return secretFromDict(ctx, first, node);
    case "Secret.fromDotenv": return secretFromDotenv(ctx, first, node);
    case "Cron": return cron(ctx, first, second, node);
    case "Period": return period(ctx, first, node);
    case "Retries": return retries(ctx, first, node);
    case "Cls.of": {
      if (first?.kind === "class") return { type: "cls", classDecl: first.decl, parts: [] };
      if (first?.kind === "unknown") return first;
      return unknownValue(node, "Cls.of() takes a class declared with @app.cls", "pass the class itself, e.g. Cls.of(MyModel)");
    }
    case "Cls.fromName": return clsFromName(ctx, first, second, node);
    case "webEndpoint":
      // two arguments wrap a function; one argument is the method decorator
      if (args.length >= 2) return { type: "web", wrapper: "webEndpoint", options: first, handler: second };
      return { type: "decorator", name: "webEndpoint", args };
    case "webApp":
      return first ? { type: "web", wrapper: "webApp", options: second ?? null, handler: first } : missingArgs(ctx, node, "webApp(factory)");
    case "webServer":
      return second ? { type: "web", wrapper: "webServer", options: first, handler: second } : missingArgs(ctx, node, "webServer({ port }, start)");
    case "parameter": return { type: "parameter", options: first ?? null };
    default:
      if (DECORATORS.has(name)) return { type: "decorator", name: name as DecoratorName, args };
      return unknownValue(node, `${name}(...) is not one of the builder calls the analysis reads`, "use a literal, a const, or Image/Volume/Secret/Cron/Period/Retries builders");
  }
}

/** A method call on an sdk value: `image.aptInstall(...)`, `app.cls(...)`, `Cls.of(X).withOptions(...)`. */
export function callSdkMethod(ctx: Context, receiver: SdkValue, method: string, args: SValue[], nameNode: Node, node: Node): Result {
  if (receiver.type === "image") {
    if ((IMAGE_METHODS as readonly string[]).includes(method)) return imageMethod(ctx, receiver, method, args, nameNode, node);
    return unknownValue(nameNode, `images have no method "${method}"`, `use one of ${IMAGE_METHODS.join(", ")}`);
  }
  if (receiver.type === "app") {
    if (method === "cls") return { type: "decorator", name: "cls", args };
    if (method === "function" || method === "localEntrypoint") return { type: "declaration", call: node, kind: method };
  }
  if ((receiver.type === "declaration" && receiver.kind === "function" || receiver.type === "fnVariant")
    && (method === "withOptions" || method === "withConcurrency" || method === "withBatching")) {
    const parts = receiver.type === "fnVariant" ? receiver.parts : [];
    const part = { method, args: args[0] ?? unknownValue(node, "no options given", `pass an object, e.g. ${method}({ ... })`), node: nameNode } as const;
    return { type: "fnVariant", call: receiver.call, parts: [...parts, part] };
  }
  if ((receiver.type === "cls" || receiver.type === "clsName") && (method === "withOptions" || method === "withConcurrency" || method === "withBatching")) {
    return { ...receiver, parts: [...receiver.parts, { method, args: args[0] ?? unknownValue(node, "no options given", `pass an object, e.g. ${method}({ ... })`), node: nameNode }] };
  }
  return unknownValue(node, `${describeValue({ kind: "sdk", sdk: receiver, node })}.${method}(...) is not read by the analysis`, "use a literal or a const");
}

/** `Cls.fromName(app, name)`: both names static strings; which class it is, the analysis decides later. */
function clsFromName(ctx: Context, appArg: SValue | undefined, nameArg: SValue | undefined, node: Node): Result {
  if (!appArg || !nameArg) return missingArgs(ctx, node, `Cls.fromName("my-app", "MyClass")`);
  const app = readString(ctx, appArg, "the app name of Cls.fromName");
  const name = readString(ctx, nameArg, "the class name of Cls.fromName");
  if (app === undefined || name === undefined) return unknownValue(node, "Cls.fromName needs string literals", "", true);
  return { type: "clsName", app, name, node, parts: [] };
}

function missingArgs(ctx: Context, node: Node, usage: string): SValue {
  ctx.report("GANTRY1201", node, `missing arguments: ${usage}`);
  return unknownValue(node, "missing arguments", "", true);
}

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** The app name: a string literal written in `new App(...)` itself (it names every cloud resource). */
function newApp(ctx: Context, arg: Node | undefined, node: Node): Result {
  const literal = arg && (Node.isStringLiteral(arg) || Node.isNoSubstitutionTemplateLiteral(arg)) ? arg.getLiteralValue() : undefined;
  if (literal === undefined) {
    ctx.report("GANTRY1102", arg ?? node, arg
      ? `the app name must be a string literal, e.g. new App("my-app"), not \`${arg.getText()}\``
      : `new App() needs a name: new App("my-app")`);
    return { type: "app", name: null };
  }
  if (!NAME_PATTERN.test(literal) || literal.length > 64) {
    ctx.report("GANTRY1103", arg!, `"${literal}" is not a valid app name: use 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit`);
    return { type: "app", name: null };
  }
  return { type: "app", name: literal };
}

function namedState(ctx: Context, kind: "Volume" | "Dict" | "Queue", nameArg: SValue | undefined, optsArg: SValue | undefined, node: Node): Result {
  const name = nameArg ? readString(ctx, nameArg, `the ${kind} name`) : undefined;
  if (!nameArg) ctx.report("GANTRY1901", node, `${kind}.fromName needs a name, e.g. ${kind}.fromName("my-${kind.toLowerCase()}")`);
  const opts = optsArg ? readObject(ctx, optsArg, `${kind}.fromName option`, ["createIfMissing"]) : new Map();
  if (name === undefined || !opts) return unknownValue(node, `invalid ${kind}`, "", true);
  if (!NAME_PATTERN.test(name) || name.length > 64) {
    ctx.report("GANTRY1901", nameArg!.node, `"${name}" is not a valid ${kind} name: use 1 to 64 letters, digits, ".", "_" or "-"`);
    return unknownValue(node, `invalid ${kind}`, "", true);
  }
  const create = opts.get("createIfMissing");
  const createIfMissing = create ? readBoolean(ctx, create.value, "createIfMissing") : false;
  if (createIfMissing === undefined) return unknownValue(node, `invalid ${kind}`, "", true);
  const type = kind === "Volume" ? "volume" : kind === "Dict" ? "dict" : "queue";
  return { type, name, createIfMissing };
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function secretFromName(ctx: Context, nameArg: SValue | undefined, optsArg: SValue | undefined, node: Node): Result {
  const name = nameArg ? readString(ctx, nameArg, "the secret name") : undefined;
  if (!nameArg) ctx.report("GANTRY1900", node, `Secret.fromName needs a name, e.g. Secret.fromName("api-keys")`);
  const opts = optsArg ? readObject(ctx, optsArg, "Secret.fromName option", ["requiredKeys"]) : new Map();
  if (name === undefined || !opts) return unknownValue(node, "invalid secret", "", true);
  if (!NAME_PATTERN.test(name)) {
    ctx.report("GANTRY1900", nameArg!.node, `"${name}" is not a valid secret name: use letters, digits, ".", "_" or "-"`);
    return unknownValue(node, "invalid secret", "", true);
  }
  const keysProp = opts.get("requiredKeys");
  const keys = keysProp ? readKeys(ctx, keysProp.value) : [];
  if (!keys) return unknownValue(node, "invalid secret", "", true);
  return { type: "secret", secret: { kind: "named", name, requiredKeys: [...new Set(keys)].sort() } };
}

function readKeys(ctx: Context, v: SValue): string[] | undefined {
  if (v.kind !== "array") {
    if (v.kind === "unknown") ctx.reportUnknown(v, "requiredKeys");
    else ctx.report("GANTRY1201", v.node, `requiredKeys must be an array of variable names, got ${describeValue(v)}`);
    return undefined;
  }
  const keys = readStrings(ctx, v.items, "a required key");
  let ok = keys.length === v.items.length;
  for (const key of keys) {
    if (!ENV_NAME.test(key.value)) {
      ctx.report("GANTRY1900", key.node, `"${key.value}" is not a valid environment variable name`);
      ok = false;
    }
  }
  return ok ? keys.map((k) => k.value) : undefined;
}

function secretFromDict(ctx: Context, arg: SValue | undefined, node: Node): Result {
  if (!arg) return missingArgs(ctx, node, "Secret.fromDict({ KEY: \"value\" })");
  if (arg.kind !== "object") {
    if (arg.kind === "unknown") ctx.reportUnknown(arg, "the values of Secret.fromDict");
    else ctx.report("GANTRY1201", arg.node, `Secret.fromDict takes an object literal of strings, got ${describeValue(arg)}`);
    return unknownValue(node, "invalid secret", "", true);
  }
  const values: Record<string, string> = {};
  let ok = true;
  for (const [key, prop] of arg.props) {
    if (!ENV_NAME.test(key)) {
      ctx.report("GANTRY1900", prop.key, `"${key}" is not a valid environment variable name`);
      ok = false;
      continue;
    }
    const value = readString(ctx, prop.value, `the secret value ${key}`);
    if (value === undefined) ok = false;
    else values[key] = value;
  }
  return ok ? { type: "secret", secret: { kind: "dict", values } } : unknownValue(node, "invalid secret", "", true);
}

/** The key names of a `.env` file, read from disk (never its values). Relative to the declaring file. */
function secretFromDotenv(ctx: Context, arg: SValue | undefined, node: Node): Result {
  const path = arg ? readString(ctx, arg, "the .env path") : ".env";
  if (path === undefined) return unknownValue(node, "invalid secret", "", true);
  const absolute = resolve(dirname(node.getSourceFile().getFilePath()), path);
  let keys: string[] = [];
  try {
    keys = dotenvKeys(readFileSync(absolute, "utf8"));
  } catch {
    ctx.report("GANTRY1802", arg?.node ?? node, `the .env file "${path}" does not exist, so its keys are unknown; it must exist when the app runs or deploys`);
  }
  return { type: "secret", secret: { kind: "dotenv", path: localPathQuiet(ctx, absolute), keys } };
}

function localPathQuiet(ctx: Context, absolute: string): string {
  return ctx.project.rel(absolute) || ".";
}

/** KEY=value lines (optionally `export KEY=...`); comments, blanks and multi-line quoted values skipped. */
export function dotenvKeys(text: string): string[] {
  const keys = new Set<string>();
  let openQuote: string | null = null;
  for (const line of text.split(/\r?\n/)) {
    if (openQuote) {
      if (line.trimEnd().endsWith(openQuote)) openQuote = null;
      continue;
    }
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match) continue;
    keys.add(match[1]);
    const value = match[2].trim();
    const quote = value[0];
    if ((quote === '"' || quote === "'" || quote === "`") && (value.length === 1 || !value.endsWith(quote))) openQuote = quote;
  }
  return [...keys].sort();
}

function cron(ctx: Context, exprArg: SValue | undefined, optsArg: SValue | undefined, node: Node): Result {
  const expression = exprArg ? readString(ctx, exprArg, "the cron expression") : missingArgs(ctx, node, "Cron(\"0 2 * * *\")");
  const opts = optsArg ? readObject(ctx, optsArg, "Cron option", ["timezone"]) : new Map();
  if (typeof expression !== "string" || !opts) return unknownValue(node, "invalid cron", "", true);
  const normalized = normalizeCron(expression);
  if (!normalized.ok) ctx.report("GANTRY1500", exprArg!.node, normalized.message);
  let timezone = "UTC";
  const tzProp = opts.get("timezone");
  if (tzProp) {
    const zone = readString(ctx, tzProp.value, "the timezone");
    if (zone === undefined) return unknownValue(node, "invalid timezone", "", true);
    const tz = normalizeTimezone(zone);
    if (!tz.ok) {
      ctx.report("GANTRY1501", tzProp.value.node, tz.message);
      return unknownValue(node, "invalid timezone", "", true);
    }
    timezone = tz.timezone;
  }
  if (!normalized.ok) return unknownValue(node, "invalid cron", "", true);
  for (const conflict of dstConflicts(normalized.expression, timezone, startOfToday())) {
    ctx.report("GANTRY1503", node, describeDstConflict(normalized.expression, timezone, conflict));
  }
  return { type: "cron", expression: normalized.expression, timezone };
}

/** Today, 00:00 UTC: where the daylight-saving look-ahead starts (a year from here). */
function startOfToday(): Date {
  const now = Date.now();
  return new Date(now - (now % 86400_000));
}

const PERIOD_UNITS = { days: 86400, hours: 3600, minutes: 60, seconds: 1 } as const;

function period(ctx: Context, arg: SValue | undefined, node: Node): Result {
  const opts = arg ? readObject(ctx, arg, "Period field", Object.keys(PERIOD_UNITS)) : undefined;
  if (!arg) ctx.report("GANTRY1502", node, "Period needs a duration, e.g. Period({ hours: 6 })");
  if (!opts) return unknownValue(node, "invalid period", "", true);
  let seconds = 0;
  for (const [unit, factor] of Object.entries(PERIOD_UNITS)) {
    const prop = opts.get(unit);
    if (!prop) continue;
    const n = readNumber(ctx, prop.value, `Period ${unit}`);
    if (n === undefined) return unknownValue(node, "invalid period", "", true);
    if (n < 0) {
      ctx.report("GANTRY1502", prop.value.node, `Period ${unit} must not be negative, got ${n}`);
      return unknownValue(node, "invalid period", "", true);
    }
    seconds += n * factor;
  }
  if (!Number.isInteger(seconds) || seconds <= 0) {
    ctx.report("GANTRY1502", arg!.node, seconds <= 0
      ? "a Period must be longer than zero, e.g. Period({ hours: 6 })"
      : `a Period must be a whole number of seconds, got ${seconds}`);
    return unknownValue(node, "invalid period", "", true);
  }
  return { type: "period", seconds };
}

const RETRY_FIELDS = ["maxRetries", "backoffCoefficient", "initialDelay", "maxDelay"] as const;

/** `new Retries({ maxRetries, backoffCoefficient?, initialDelay?, maxDelay? })`, defaults from DEFAULTS.retries. */
export function retries(ctx: Context, arg: SValue | undefined, node: Node): Result {
  const opts = arg ? readObject(ctx, arg, "Retries field", RETRY_FIELDS) : undefined;
  if (!arg) ctx.report("GANTRY1306", node, "Retries needs at least maxRetries: new Retries({ maxRetries: 3 })");
  if (!opts) return unknownValue(node, "invalid retries", "", true);
  const out: Record<string, number> = { ...DEFAULTS.retries };
  let ok = true;
  for (const field of RETRY_FIELDS) {
    const prop = opts.get(field);
    if (!prop) continue;
    const n = readNumber(ctx, prop.value, `Retries ${field}`);
    if (n === undefined) ok = false;
    else out[field] = n;
  }
  if (!opts.has("maxRetries")) {
    ctx.report("GANTRY1306", arg!.node, "Retries needs maxRetries, e.g. new Retries({ maxRetries: 3 })");
    ok = false;
  }
  const parsed = RetriesSpec.safeParse(out);
  if (ok && !parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = String(issue.path[0]);
      ctx.report("GANTRY1306", opts.get(field)?.value.node ?? arg!.node, `Retries ${field}: ${retryRange(field)}, got ${out[field]}`);
    }
    ok = false;
  }
  return ok && parsed.success ? { type: "retries", retries: parsed.data } : unknownValue(node, "invalid retries", "", true);
}

function retryRange(field: string): string {
  switch (field) {
    case "maxRetries": return "a whole number from 0 to 10";
    case "backoffCoefficient": return "from 1 to 10";
    default: return "seconds from 0 to 60";
  }
}

