/**
 * GitHub's own workflow parser (`@actions/workflow-parser`, from actions/languageservices: the
 * parser behind GitHub's Actions language server), loaded for the examples/ci test.
 *
 * It is published for bundlers: its ESM imports its JSON schema without an import attribute and
 * requires Node built-ins dynamically, both of which plain Node refuses. So the test bundles it
 * once with esbuild (a dependency already) into a temporary module and imports that.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";

type Parser = typeof import("@actions/workflow-parser");

export async function loadWorkflowParser(root: string): Promise<Parser> {
  const out = await build({
    stdin: { contents: 'export * from "@actions/workflow-parser";', resolveDir: root },
    bundle: true,
    format: "esm",
    platform: "node",
    write: false,
    logLevel: "silent",
    banner: { js: 'import { createRequire } from "node:module"; const require = createRequire(import.meta.url);' },
  });
  const file = join(mkdtempSync(join(tmpdir(), "gantry-workflow-parser-")), "parser.mjs");
  writeFileSync(file, out.outputFiles[0]!.text);
  return (await import(pathToFileURL(file).href)) as Parser;
}

/** The parser's errors for one workflow file, as "name (Line: l, Col: c): message" strings. */
export async function workflowErrors(parser: Parser, name: string, content: string): Promise<string[]> {
  const parsed = parser.parseWorkflow({ name, content }, new parser.NoOperationTraceWriter());
  const errors = parsed.context.errors.getErrors().map((e) => e.message);
  if (errors.length > 0 || parsed.value === undefined) return errors;
  const template = await parser.convertWorkflowTemplate(parsed.context, parsed.value);
  return (template.errors ?? []).map((e) => e.Message);
}
