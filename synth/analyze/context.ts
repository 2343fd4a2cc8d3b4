/**
 * What every parser shares: the analysed files, the diagnostics collector and source locations.
 */
import { ts, type Node } from "ts-morph";
import { DiagnosticCollector, type DiagnosticCode, type Span } from "../diagnostics.ts";
import type { SourceLocation } from "../spec.ts";
import type { ProjectFiles } from "./project.ts";
import type { Unknown } from "./values.ts";

export class Context {
  readonly diags = new DiagnosticCollector();

  constructor(readonly project: ProjectFiles) {}

  /** Where a node starts, and how much of its first line to underline. */
  span(node: Node): Span {
    const file = node.getSourceFile();
    const start = node.getStart();
    // the compiler's line map (binary search), not ts-morph's line counting from the file start
    const { line, character } = ts.getLineAndCharacterOfPosition(file.compilerNode, start);
    const text = file.getFullText();
    const lineEnd = text.indexOf("\n", start);
    const end = Math.min(node.getEnd(), lineEnd === -1 ? text.length : lineEnd);
    return { file: file.getFilePath(), line: line + 1, column: character + 1, length: Math.max(1, end - start) };
  }

  /** A spec location: file relative to the project root. */
  location(node: Node): SourceLocation {
    const { file, line, column } = this.span(node);
    return { file: this.project.rel(file), line, column };
  }

  report(code: DiagnosticCode, node: Node, message: string): void {
    this.diags.report(code, this.span(node), message);
  }

  /** Reports a value that had to be static, once. */
  reportUnknown(value: Unknown, what: string): void {
    if (value.reported) return;
    value.reported = true;
    if (value.code === "GANTRY1202") this.report(value.code, value.node, `${what} cannot be evaluated: ${value.reason}; ${value.hint}`);
    else this.report("GANTRY1200", value.node, `${what} must be static: ${value.reason}; ${value.hint}`);
  }
}
