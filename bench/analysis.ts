/**
 * Static analysis of generated apps with 10/100/1000 functions, against `tsc --noEmit` on the same
 * files (both in this process, warmed up, median of several runs). Target: <= 0.5x at 1000.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { analyzeApp } from "../synth/index.ts";
import { median, printTable, timeRuns } from "./stats.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const GPUS = ["T4", "L4", "A10G", "L40S", "H100"];

/** An app with `n` functions spread over a few options, all statically known. */
export function generateApp(n: number): string {
  const dir = join(root, "bench", ".generated", `app-${n}`);
  mkdirSync(dir, { recursive: true });
  const lines = [
    `import { App, Cron } from "gantry";`,
    `export const app = new App("bench-${n}");`,
    `const TIMEOUT = 120;`,
  ];
  for (let i = 0; i < n; i++) {
    const schedule = i % 10 === 0 ? `, schedule: Cron("${i % 60} 2 * * *")` : "";
    lines.push(
      `export const f${i} = app.function({ gpu: "${GPUS[i % GPUS.length]}", timeout: TIMEOUT + ${i % 7}, maxContainers: ${1 + (i % 4)}${schedule} },`,
      `  async (x: number, label: string): Promise<string> => \`\${label}:\${x * ${i}}\`);`,
    );
  }
  const file = join(dir, "app.ts");
  writeFileSync(file, lines.join("\n") + "\n");
  return file;
}

function tscNoEmit(file: string): number {
  const program = ts.createProgram([file], {
    strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext, allowImportingTsExtensions: true, skipLibCheck: true,
    types: ["node"],
  });
  return ts.getPreEmitDiagnostics(program).length;
}

export async function run(): Promise<void> {
  const rows = [];
  for (const n of [10, 100, 1000]) {
    const file = generateApp(n);
    const runs = n === 1000 ? 5 : 7;
    const analysis = median(await timeRuns(() => {
      const r = analyzeApp(file);
      if (!r.spec || r.spec.functions.length !== n) throw new Error(`analysis of ${n} functions failed`);
    }, runs));
    const tsc = median(await timeRuns(() => tscNoEmit(file), runs));
    rows.push({ functions: n, "analysis ms": +analysis.toFixed(1), "tsc --noEmit ms": +tsc.toFixed(1), ratio: +(analysis / tsc).toFixed(3) });
  }
  printTable(rows);
  console.log("ratio = analysis / tsc --noEmit (target at 1000 functions: <= 0.5)");
}
