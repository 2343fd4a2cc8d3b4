/** Parameter names and types of a function as written (no type checker: unannotated is "unknown"). */
import { Node } from "ts-morph";

export interface Signature {
  params: { name: string; type: string }[];
  returns: string;
}

export function signatureOf(fn: Node): Signature {
  if (!Node.isFunctionLikeDeclaration(fn) && !Node.isArrowFunction(fn) && !Node.isFunctionExpression(fn)) {
    return { params: [], returns: "unknown" };
  }
  const params = fn.getParameters()
    .filter((p) => p.getName() !== "this")
    .map((p) => ({
      name: p.isRestParameter() ? `...${p.getName()}` : p.getName(),
      type: typeText(p.getTypeNode()) ?? literalType(p.getInitializer()) ?? "unknown",
    }));
  return { params, returns: typeText(fn.getReturnTypeNode()) ?? "unknown" };
}

/** `(by = 1)` reads as a number, like TypeScript infers it. */
function literalType(init: Node | undefined): string | undefined {
  if (!init) return undefined;
  if (Node.isNumericLiteral(init) || (Node.isPrefixUnaryExpression(init) && Node.isNumericLiteral(init.getOperand()))) return "number";
  if (Node.isStringLiteral(init) || Node.isNoSubstitutionTemplateLiteral(init) || Node.isTemplateExpression(init)) return "string";
  if (Node.isTrueLiteral(init) || Node.isFalseLiteral(init)) return "boolean";
  if (Node.isBigIntLiteral(init)) return "bigint";
  return undefined;
}

function typeText(node: Node | undefined): string | undefined {
  return node?.getText().replace(/\s+/g, " ");
}

/** `T[]`, `readonly T[]`, `Array<T>`, `ReadonlyArray<T>`, tuples; through `Promise<...>` when `unwrapPromise`. */
export function isArrayType(node: Node | undefined, unwrapPromise = false): boolean {
  if (!node) return false;
  if (Node.isArrayTypeNode(node) || Node.isTupleTypeNode(node)) return true;
  if (Node.isTypeOperatorTypeNode(node)) return isArrayType(node.getTypeNode(), unwrapPromise);
  if (Node.isParenthesizedTypeNode(node)) return isArrayType(node.getTypeNode(), unwrapPromise);
  if (Node.isTypeReference(node)) {
    const name = node.getTypeName().getText();
    if (name === "Array" || name === "ReadonlyArray") return true;
    if (unwrapPromise && name === "Promise") return isArrayType(node.getTypeArguments()[0], false);
  }
  return false;
}
