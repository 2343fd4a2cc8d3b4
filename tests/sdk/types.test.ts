import { test } from "node:test";
import assert from "node:assert/strict";
import ts from "typescript";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));

function compile(file: string): string[] {
  const configPath = ts.findConfigFile(root, ts.sys.fileExists, "tsconfig.json")!;
  const config = ts.parseJsonConfigFileContent(ts.readConfigFile(configPath, ts.sys.readFile).config, ts.sys, root);
  const program = ts.createProgram([file], config.options);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
    return `${d.file?.fileName ?? "?"}:${where ? where.line + 1 : 0}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
  });
}

test("typed handles: well-typed calls compile and every @ts-expect-error line fails to compile", () => {
  const diagnostics = compile(fileURLToPath(new URL("./fixtures/typed-handles.ts", import.meta.url)));
  assert.deepEqual(diagnostics, []);
});
