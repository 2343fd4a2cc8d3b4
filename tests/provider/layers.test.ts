/**
 * The data path reads in one direction (user source -> synth -> provider -> plan; policy reads
 * plans): nothing under provider/ imports policy/ or cli/. The cost model reaches the plan as a
 * step the caller passes to buildPlan, not through an import.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === "node_modules" ? [] : tsFiles(path);
    return e.name.endsWith(".ts") ? [path] : [];
  });
}

/** Every module specifier a file imports or re-exports (static and dynamic). */
function specifiers(text: string): string[] {
  return [...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)["']([^"']+)["']/g)].map((m) => m[1]);
}

describe("provider's imports", () => {
  it("nothing under provider/ imports policy/ or cli/", () => {
    const wrong: string[] = [];
    for (const file of tsFiles(join(ROOT, "provider"))) {
      for (const spec of specifiers(readFileSync(file, "utf8"))) {
        if (!spec.startsWith(".")) continue;
        const target = relative(ROOT, join(file, "..", spec));
        if (/^(policy|cli)\//.test(target)) wrong.push(`${relative(ROOT, file)} imports ${target}`);
      }
    }
    assert.deepEqual(wrong, []);
  });
});
