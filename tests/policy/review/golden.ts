/** Golden files: compared byte for byte; `GANTRY_UPDATE_GOLDEN=1 npm test -- tests/policy` rewrites them. */
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";

export function assertGolden(actual: string, name: string): void {
  const file = new URL(`../fixtures/golden/${name}`, import.meta.url);
  if (process.env.GANTRY_UPDATE_GOLDEN === "1" || !existsSync(file)) {
    writeFileSync(file, actual);
    if (process.env.GANTRY_UPDATE_GOLDEN !== "1") assert.fail(`golden file ${name} did not exist; wrote it — review it and run again`);
    return;
  }
  assert.equal(actual, readFileSync(file, "utf8"), `output differs from fixtures/golden/${name}`);
}
