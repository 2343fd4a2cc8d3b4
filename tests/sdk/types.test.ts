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

test("an old Modal option name is a type error naming its replacement", () => {
  const diagnostics = compile(fileURLToPath(new URL("./fixtures/broken/renamed-options.ts", import.meta.url)));
  const lines = diagnostics.map((d) => d.slice(d.lastIndexOf("/") + 1));
  const expected: [number, RegExp][] = [
    [6, /concurrencyLimit was renamed: use maxContainers/],
    [7, /containerIdleTimeout was renamed: use scaledownWindow/],
    [8, /keepWarm was renamed: use minContainers/],
    [9, /allowConcurrentInputs was renamed: use concurrency: \{ maxInputs \} \(app\.function\)/],
  ];
  assert.equal(lines.length, expected.length, lines.join("\n"));
  for (const [i, [line, message]] of expected.entries()) {
    assert.ok(lines[i].startsWith(`renamed-options.ts:${line}: `), lines[i]);
    assert.match(lines[i], message);
  }
});
