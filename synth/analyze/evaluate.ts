/**
 * The static-value evaluator: literals, object and array literals (with spreads), `const` bindings
 * (also across project imports and re-exports), enum members, simple arithmetic, template literals,
 * and the gantry and zod builder calls. Every value keeps the node it came from. Nothing here runs
 * user code; what cannot be known statically becomes an `unknown` value with a reason and a hint.
 * Results are memoized per node, so a const shared by many declarations is evaluated (and its
 * problems reported) once.
 */
import {
  Node, SyntaxKind, ts,
  type ArrayLiteralExpression, type BinaryExpression, type CallExpression, type ConditionalExpression,
  type EnumDeclaration, type Identifier, type NewExpression, type ObjectLiteralExpression,
  type PrefixUnaryExpression, type TemplateExpression,
} from "ts-morph";
import { callGantry, callSdkMethod, GANTRY_EXPORTS } from "./builders.ts";
import type { Context } from "./context.ts";
import type { Binding } from "./project.ts";
import { lookup } from "./scope.ts";
import { evaluationError, unknownValue, type Primitive, type Prop, type SdkValue, type SValue } from "./values.ts";
import { zodCall, zodImport, zodMember } from "./zod.ts";

const CONST_HINT = "use a literal, or a const with a literal value";
const CALL_HINT = "the analysis never runs your code: move the value into a const with a literal value";
const GENERIC_HINT = "use a literal, a const with a literal value, or simple arithmetic and template literals over those";

/** gantry members that are namespaces, not functions (`Image`, not `Image.debianSlim`). */
const GANTRY_NAMESPACES = new Set(["", "Image", "Volume", "Secret", "Dict", "Queue", "Cls", "FunctionCall"]);

export class Evaluator {
  private readonly memo = new Map<ts.Node, SValue>();
  private readonly active = new Set<ts.Node>();

  constructor(private readonly ctx: Context) {}

  evaluate(node: Node): SValue {
    const key = node.compilerNode;
    const cached = this.memo.get(key);
    if (cached) return cached;
    if (this.active.has(key)) {
      return evaluationError(node, `\`${snippet(node)}\` depends on itself through a cycle of consts`, "break the cycle");
    }
    this.active.add(key);
    let value: SValue;
    try {
      value = this.compute(node);
    } finally {
      this.active.delete(key);
    }
    this.memo.set(key, value);
    return value;
  }

  private compute(node: Node): SValue {
    switch (node.getKind()) {
      case SyntaxKind.StringLiteral:
      case SyntaxKind.NoSubstitutionTemplateLiteral:
        return prim((node as Node & { getLiteralValue(): string }).getLiteralValue(), node);
      case SyntaxKind.NumericLiteral:
        return prim((node as Node & { getLiteralValue(): number }).getLiteralValue(), node);
      case SyntaxKind.BigIntLiteral:
        return prim(BigInt(node.getText().replace(/_/g, "").slice(0, -1)), node);
      case SyntaxKind.TrueKeyword: return prim(true, node);
      case SyntaxKind.FalseKeyword: return prim(false, node);
      case SyntaxKind.NullKeyword: return prim(null, node);
      case SyntaxKind.RegularExpressionLiteral: {
        const text = node.getText();
        const end = text.lastIndexOf("/");
        return { kind: "regexp", source: text.slice(1, end), flags: text.slice(end + 1), node };
      }
      case SyntaxKind.Identifier: return this.identifier(node as Identifier);
      case SyntaxKind.ParenthesizedExpression:
      case SyntaxKind.AsExpression:
      case SyntaxKind.SatisfiesExpression:
      case SyntaxKind.TypeAssertionExpression:
      case SyntaxKind.NonNullExpression:
        return this.evaluate((node as Node & { getExpression(): Node }).getExpression());
      case SyntaxKind.TemplateExpression: return this.template(node as TemplateExpression);
      case SyntaxKind.PrefixUnaryExpression: return this.prefix(node as PrefixUnaryExpression);
      case SyntaxKind.BinaryExpression: return this.binary(node as BinaryExpression);
      case SyntaxKind.ConditionalExpression: return this.conditional(node as ConditionalExpression);
      case SyntaxKind.ObjectLiteralExpression: return this.object(node as ObjectLiteralExpression);
      case SyntaxKind.ArrayLiteralExpression: return this.array(node as ArrayLiteralExpression);
      case SyntaxKind.PropertyAccessExpression: {
        const access = node.asKindOrThrow(SyntaxKind.PropertyAccessExpression);
        return this.member(this.evaluate(access.getExpression()), access.getName(), node, access.getNameNode());
      }
      case SyntaxKind.ElementAccessExpression: {
        const access = node.asKindOrThrow(SyntaxKind.ElementAccessExpression);
        const arg = access.getArgumentExpression();
        const key = arg ? this.evaluate(arg) : undefined;
        if (!key || key.kind === "unknown") return key ?? unknownValue(node, "an empty element access", GENERIC_HINT);
        if (key.kind !== "primitive" || (typeof key.value !== "string" && typeof key.value !== "number")) {
          return unknownValue(arg!, `\`${snippet(arg!)}\` is not a property name`, GENERIC_HINT);
        }
        return this.member(this.evaluate(access.getExpression()), String(key.value), node, arg!);
      }
      case SyntaxKind.CallExpression: return this.call(node as CallExpression);
      case SyntaxKind.NewExpression: return this.construct(node as NewExpression);
      case SyntaxKind.ArrowFunction:
      case SyntaxKind.FunctionExpression:
        return { kind: "function", node };
      case SyntaxKind.AwaitExpression:
        return unknownValue(node, `\`${snippet(node)}\` waits for something at run time`, CALL_HINT);
      default:
        return unknownValue(node, `\`${snippet(node)}\` is not a static value`, GENERIC_HINT);
    }
  }

  // ---- names

  private identifier(ident: Identifier): SValue {
    const name = ident.getText();
    const binding = lookup(this.ctx.project, ident);
    if (!binding) {
      if (name === "undefined") return prim(undefined, ident);
      if (name === "NaN") return prim(NaN, ident);
      if (name === "Infinity") return prim(Infinity, ident);
      const what = name === "process" ? "Node's process object, known only when the code runs" : "not declared in the analysed files";
      return unknownValue(ident, `\`${name}\` is ${what}`, CONST_HINT);
    }
    return this.binding(binding, ident, name);
  }

  /** The value a binding holds, seen from `use`. */
  binding(binding: Binding, use: Node, name: string): SValue {
    switch (binding.kind) {
      case "variable": {
        if (!binding.isConst) {
          const keyword = binding.decl.getVariableStatement()?.getDeclarationKind() ?? "let";
          return unknownValue(use, `\`${name}\` is declared with \`${keyword}\` and may change`, "declare it with `const` and a literal value");
        }
        const init = binding.decl.getInitializer();
        if (!init) return unknownValue(use, `\`${name}\` is declared without a value`, CONST_HINT);
        return this.evaluate(init);
      }
      case "function": return { kind: "function", node: binding.decl };
      case "class": return { kind: "class", decl: binding.decl, node: use };
      case "enum": return { kind: "enum", decl: binding.decl, node: use };
      case "enumMember": return this.enumMember(binding.decl, binding.name, use, use);
      case "expression": return this.evaluate(binding.node);
      case "runtime": return unknownValue(use, `\`${name}\` is ${binding.what}`, CONST_HINT);
      case "import": return this.imported(binding, use, name);
    }
  }

  private imported(binding: Extract<Binding, { kind: "import" }>, use: Node, name: string): SValue {
    const target = this.ctx.project.resolveModule(binding.file, binding.specifier);
    const { imported } = binding;
    switch (target.kind) {
      case "gantry":
        if (imported === "*") return { kind: "gantry", name: "", node: use };
        if (GANTRY_EXPORTS.has(imported)) return { kind: "gantry", name: imported, node: use };
        return unknownValue(use, `\`${imported}\` from gantry is not something the analysis reads`, CONST_HINT);
      case "zod": {
        const r = zodImport(imported);
        return r.ok ? { kind: "zod", value: r.value, self: undefined, node: use } : unknownValue(use, r.reason, CONST_HINT);
      }
      case "project": {
        if (imported === "*") return { kind: "module", file: target.file, node: use };
        const exported = this.ctx.project.exportedBinding(target.file, imported);
        if (!exported) {
          return unknownValue(use, `\`${imported}\` is not exported by ${this.ctx.project.rel(target.file.getFilePath())}`, "export it as a const");
        }
        return this.binding(exported, use, name);
      }
      case "external":
        return unknownValue(use, `\`${name}\` comes from the package "${target.specifier}", which the analysis does not read`,
          "define the value in this project as a const with a literal value");
      case "missing":
        if (target.specifier.endsWith(".json")) {
          return unknownValue(use, `\`${name}\` comes from the JSON file "${target.specifier}", which the analysis does not read`, CONST_HINT);
        }
        return unknownValue(use, `the module "${target.specifier}" of \`${name}\` cannot be found`, "check the import path");
    }
  }

  // ---- members

  private member(receiver: SValue, name: string, node: Node, nameNode: Node): SValue {
    switch (receiver.kind) {
      case "unknown":
        if (/^process\s*\.\s*env\b/.test(node.getText())) {
          return unknownValue(node, `\`${snippet(node)}\` is an environment variable, read only when the code runs`,
            "write the value as a literal or a const (use a Secret for credentials)");
        }
        return receiver;
      case "object": {
        const prop = receiver.props.get(name);
        return prop ? prop.value : missingMember(node, nameNode, name);
      }
      case "array":
        if (name === "length") return prim(receiver.items.length, node);
        if (/^\d+$/.test(name) && Number(name) < receiver.items.length) return receiver.items[Number(name)];
        return missingMember(node, nameNode, name);
      case "primitive":
        if (typeof receiver.value === "string" && name === "length") return prim(receiver.value.length, node);
        return missingMember(node, nameNode, name);
      case "enum": return this.enumMember(receiver.decl, name, node, nameNode);
      case "module": {
        const binding = this.ctx.project.exportedBinding(receiver.file, name);
        return binding ? this.binding(binding, node, name) : missingMember(node, nameNode, name);
      }
      case "gantry": {
        const full = receiver.name ? `${receiver.name}.${name}` : name;
        if (!receiver.name && !GANTRY_EXPORTS.has(name)) return missingMember(node, nameNode, name);
        return { kind: "gantry", name: full, node };
      }
      case "zod": {
        const r = zodMember(receiver.value, name);
        return r.ok ? { kind: "zod", value: r.value, self: r.self, node } : unknownValue(nameNode, r.reason, "use zod's schema builders");
      }
      case "sdk": return { kind: "method", receiver, name, node: nameNode };
      default: return missingMember(node, nameNode, name);
    }
  }

  private enumMember(decl: EnumDeclaration, name: string, node: Node, nameNode: Node): SValue {
    let previous: SValue | undefined;
    for (const member of decl.getMembers()) {
      const init = member.getInitializer();
      let value: SValue;
      if (init) value = this.evaluate(init);
      else if (!previous) value = prim(0, member);
      else if (previous.kind === "primitive" && typeof previous.value === "number") value = prim(previous.value + 1, member);
      else value = unknownValue(member, `enum member \`${member.getName()}\` has no value`, "give it an initializer");
      if (member.getName() === name) return value;
      previous = value;
    }
    return missingMember(node, nameNode, name);
  }

  // ---- calls

  private call(node: CallExpression): SValue {
    const callee = this.evaluate(node.getExpression());
    const argNodes = node.getArguments();
    if (callee.kind === "zod") {
      const args = this.args(argNodes);
      if (!Array.isArray(args)) return args;
      const r = zodCall(callee.value, callee.self, args);
      return r.ok ? { kind: "zod", value: r.value, self: undefined, node } : unknownValue(node, `\`${snippet(node)}\`: ${r.reason}`, "use zod's builders on literal arguments");
    }
    if (callee.kind === "gantry" && !GANTRY_NAMESPACES.has(callee.name)) {
      const args = this.args(argNodes);
      if (!Array.isArray(args)) return args;
      return this.wrap(callGantry(this.ctx, callee.name, args, argNodes, node), node);
    }
    if (callee.kind === "method") {
      const args = this.args(argNodes);
      if (!Array.isArray(args)) return args;
      return this.wrap(callSdkMethod(this.ctx, callee.receiver.sdk, callee.name, args, callee.node, node), node);
    }
    return unknownValue(node, `\`${snippet(node)}\` is a function call`, CALL_HINT);
  }

  private construct(node: NewExpression): SValue {
    const callee = this.evaluate(node.getExpression());
    if (callee.kind === "gantry" && ["App", "Retries", "Cron", "Period"].includes(callee.name)) {
      const argNodes = node.getArguments();
      const args = this.args(argNodes);
      if (!Array.isArray(args)) return args;
      return this.wrap(callGantry(this.ctx, callee.name, args, argNodes, node), node);
    }
    return unknownValue(node, `\`${snippet(node)}\` constructs an object at run time`, CALL_HINT);
  }

  /** Arguments with spreads of static arrays expanded; an unknown spread makes the call unknown. */
  private args(nodes: Node[]): SValue[] | SValue {
    const out: SValue[] = [];
    for (const arg of nodes) {
      if (Node.isSpreadElement(arg)) {
        const spread = this.evaluate(arg.getExpression());
        if (spread.kind === "array") out.push(...spread.items);
        else if (spread.kind === "unknown") return spread;
        else return unknownValue(arg, `\`${snippet(arg)}\` spreads something that is not an array`, GENERIC_HINT);
      } else {
        out.push(this.evaluate(arg));
      }
    }
    return out;
  }

  private wrap(result: SdkValue | SValue, node: Node): SValue {
    return "type" in result ? { kind: "sdk", sdk: result, node } : result;
  }

  // ---- operators and literals

  private template(node: TemplateExpression): SValue {
    let text = node.getHead().getLiteralText();
    for (const span of node.getTemplateSpans()) {
      const v = this.evaluate(span.getExpression());
      if (v.kind === "unknown") return v;
      if (v.kind !== "primitive") return unknownValue(span.getExpression(), `\`${snippet(span.getExpression())}\` is not a string or number`, GENERIC_HINT);
      text += String(v.value) + span.getLiteral().getLiteralText();
    }
    return prim(text, node);
  }

  private prefix(node: PrefixUnaryExpression): SValue {
    const v = this.evaluate(node.getOperand());
    if (v.kind === "unknown") return v;
    if (v.kind !== "primitive") return badOperand(node);
    const x = v.value;
    switch (node.getOperatorToken()) {
      case SyntaxKind.MinusToken:
        return typeof x === "number" || typeof x === "bigint" ? prim(-x, node) : badOperand(node);
      case SyntaxKind.PlusToken:
        return typeof x === "number" ? prim(x, node) : badOperand(node);
      case SyntaxKind.ExclamationToken:
        return prim(!x, node);
      case SyntaxKind.TildeToken:
        return typeof x === "number" ? prim(~x, node) : badOperand(node);
      default:
        return badOperand(node);
    }
  }

  private binary(node: BinaryExpression): SValue {
    const op = node.getOperatorToken().getKind();
    const left = this.evaluate(node.getLeft());
    if (left.kind === "unknown") return left;
    // short-circuit operators pick a side without needing the other to be static
    if (op === SyntaxKind.QuestionQuestionToken || op === SyntaxKind.BarBarToken || op === SyntaxKind.AmpersandAmpersandToken) {
      if (left.kind !== "primitive") return op === SyntaxKind.AmpersandAmpersandToken ? this.evaluate(node.getRight()) : left;
      const x = left.value;
      const takeLeft = op === SyntaxKind.QuestionQuestionToken ? x !== null && x !== undefined : op === SyntaxKind.BarBarToken ? !!x : !x;
      return takeLeft ? left : this.evaluate(node.getRight());
    }
    const right = this.evaluate(node.getRight());
    if (right.kind === "unknown") return right;
    if (left.kind !== "primitive" || right.kind !== "primitive") return badOperand(node);
    const a = left.value as never;
    const b = right.value as never;
    const numeric = (typeof a === "number" && typeof b === "number") || (typeof a === "bigint" && typeof b === "bigint");
    switch (op) {
      case SyntaxKind.PlusToken:
        if (typeof a === "string" || typeof b === "string") return prim(String(a) + String(b), node);
        return numeric ? prim((a as number) + (b as number), node) : badOperand(node);
      case SyntaxKind.MinusToken: return numeric ? prim((a as number) - (b as number), node) : badOperand(node);
      case SyntaxKind.AsteriskToken: return numeric ? prim((a as number) * (b as number), node) : badOperand(node);
      case SyntaxKind.SlashToken: return numeric ? prim((a as number) / (b as number), node) : badOperand(node);
      case SyntaxKind.PercentToken: return numeric ? prim((a as number) % (b as number), node) : badOperand(node);
      case SyntaxKind.AsteriskAsteriskToken: return numeric ? prim((a as number) ** (b as number), node) : badOperand(node);
      case SyntaxKind.EqualsEqualsEqualsToken: return prim(a === b, node);
      case SyntaxKind.ExclamationEqualsEqualsToken: return prim(a !== b, node);
      case SyntaxKind.LessThanToken: return prim(a < b, node);
      case SyntaxKind.LessThanEqualsToken: return prim(a <= b, node);
      case SyntaxKind.GreaterThanToken: return prim(a > b, node);
      case SyntaxKind.GreaterThanEqualsToken: return prim(a >= b, node);
      default:
        return unknownValue(node, `the operator \`${node.getOperatorToken().getText()}\` is not evaluated statically`, GENERIC_HINT);
    }
  }

  private conditional(node: ConditionalExpression): SValue {
    const test = this.evaluate(node.getCondition());
    if (test.kind === "unknown") return test;
    if (test.kind !== "primitive") return badOperand(node);
    return this.evaluate(test.value ? node.getWhenTrue() : node.getWhenFalse());
  }

  private object(node: ObjectLiteralExpression): SValue {
    const props = new Map<string, Prop>();
    for (const p of node.getProperties()) {
      if (Node.isPropertyAssignment(p)) {
        const key = this.propertyKey(p.getNameNode());
        if (typeof key !== "string") return key;
        props.set(key, { key: p.getNameNode(), value: this.evaluate(p.getInitializerOrThrow()) });
      } else if (Node.isShorthandPropertyAssignment(p)) {
        props.set(p.getName(), { key: p.getNameNode(), value: this.evaluate(p.getNameNode()) });
      } else if (Node.isSpreadAssignment(p)) {
        const spread = this.evaluate(p.getExpression());
        if (spread.kind === "unknown") return spread;
        if (spread.kind !== "object") return unknownValue(p, `\`${snippet(p)}\` spreads something that is not an object`, GENERIC_HINT);
        for (const [k, v] of spread.props) {
          props.delete(k); // a spread key takes the spread's position, as in JavaScript
          props.set(k, v);
        }
      } else {
        const nameNode = (p as Node & { getNameNode(): Node }).getNameNode();
        const key = this.propertyKey(nameNode);
        if (typeof key !== "string") return key;
        props.set(key, { key: nameNode, value: { kind: "function", node: p } });
      }
    }
    return { kind: "object", props, node };
  }

  private propertyKey(name: Node): string | SValue {
    if (Node.isIdentifier(name) || Node.isPrivateIdentifier(name)) return name.getText();
    if (Node.isStringLiteral(name) || Node.isNoSubstitutionTemplateLiteral(name)) return name.getLiteralValue();
    if (Node.isNumericLiteral(name)) return String(name.getLiteralValue());
    if (Node.isComputedPropertyName(name)) {
      const v = this.evaluate(name.getExpression());
      if (v.kind === "primitive" && (typeof v.value === "string" || typeof v.value === "number")) return String(v.value);
      return v.kind === "unknown" ? v : unknownValue(name, `\`${snippet(name)}\` is not a property name`, GENERIC_HINT);
    }
    return unknownValue(name, `\`${snippet(name)}\` is not a static property name`, GENERIC_HINT);
  }

  private array(node: ArrayLiteralExpression): SValue {
    const items: SValue[] = [];
    for (const element of node.getElements()) {
      if (Node.isSpreadElement(element)) {
        const spread = this.evaluate(element.getExpression());
        if (spread.kind === "array") items.push(...spread.items);
        else if (spread.kind === "unknown") return spread;
        else return unknownValue(element, `\`${snippet(element)}\` spreads something that is not an array`, GENERIC_HINT);
      } else if (Node.isOmittedExpression(element)) {
        items.push(prim(undefined, element));
      } else {
        items.push(this.evaluate(element));
      }
    }
    return { kind: "array", items, node };
  }
}

function prim(value: Primitive, node: Node): SValue {
  return { kind: "primitive", value, node };
}

function missingMember(node: Node, nameNode: Node, name: string): SValue {
  return evaluationError(nameNode, `\`${snippet(node)}\` does not exist (no member \`${name}\`)`, "check the name");
}

function badOperand(node: Node): SValue {
  return evaluationError(node, `\`${snippet(node)}\` cannot be computed statically`, "use arithmetic on numbers, or + on strings");
}

/** The source text of a node on one line, shortened. */
export function snippet(node: Node): string {
  const text = node.getText().replace(/\s+/g, " ");
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
