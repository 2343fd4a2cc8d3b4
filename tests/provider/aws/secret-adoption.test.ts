/**
 * Recreating a stack within 7 days of `pulumi destroy`: the named secret is still in its recovery
 * window and CreateSecret on its name would fail. At `pulumi up` the program restores it and
 * declares it with the `import` option on its ARN (provider/aws/secret-adoption.ts). The program
 * runs under the mock engine with a stand-in Secrets Manager account; the plan records the
 * resource options the engine would receive.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { adoptNamedSecret, ADOPTION_IGNORED_INPUTS, type SecretAccount } from "../../../provider/aws/secret-adoption.ts";
import type { StackSecretLookup, StackSecretRef } from "../../../provider/aws/secret-values.ts";
import { app, fn } from "../fixtures/specs.ts";
import { planOf } from "../plan-view.ts";

const SECRET = "aws:secretsmanager/secret:Secret";
const ARN = (name: string) => `arn:aws:secretsmanager:us-east-1:000000000000:secret:gantry/llm-demo/prod/${name}-AbCdEf`;

/** Secrets Manager as the earlier stack left it: `hf` scheduled for deletion, `db` never created. */
function account(states: Record<string, StackSecretLookup["status"]>): SecretAccount & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async find(ref: StackSecretRef): Promise<StackSecretLookup> {
      const name = `gantry/${ref.app}/${ref.stack}/${ref.name}`;
      calls.push(`DescribeSecret ${name}`);
      switch (states[ref.name] ?? "missing") {
        case "pending-deletion": return { status: "pending-deletion", arn: ARN(ref.name), name, deletedDate: new Date("2026-12-01T10:00:00Z") };
        case "found": return { status: "found", arn: ARN(ref.name), name, hasValue: true };
        case "foreign": return { status: "foreign", arn: ARN(ref.name), name, mismatched: [{ key: "gantry:stack", expected: "prod", actual: "staging" }] };
        default: return { status: "missing", name };
      }
    },
    async restore(arn: string): Promise<void> {
      calls.push(`RestoreSecret ${arn}`);
    },
  };
}

const spec = () => app({
  functions: [fn("embed", 30, { secrets: ["hf", "db"] })],
  secrets: [
    { kind: "named", id: "hf", name: "hf", requiredKeys: ["HF_TOKEN"], source: { file: "app.ts", line: 6, column: 12 } },
    { kind: "named", id: "db", name: "db", requiredKeys: [], source: { file: "app.ts", line: 7, column: 12 } },
  ],
});

describe("a named secret in its recovery window, at pulumi up", () => {
  it("is restored, then adopted by its ARN with the inputs AWS kept left alone; the other is created as usual", async () => {
    const aws = account({ hf: "pending-deletion" });
    const view = await planOf(spec(), { stack: "prod", live: { dryRun: false, secretAccount: aws } });
    assert.deepEqual(aws.calls, [
      "DescribeSecret gantry/llm-demo/prod/hf",
      `RestoreSecret ${ARN("hf")}`,
      "DescribeSecret gantry/llm-demo/prod/db",
    ]);
    const hf = view.resource(SECRET, { declaration: "secret:hf" });
    assert.equal(hf.import, ARN("hf"));
    assert.deepEqual(hf.ignoreChanges, [...ADOPTION_IGNORED_INPUTS].sort());
    assert.equal((hf.inputs as { name: string }).name, "gantry/llm-demo/prod/hf");
    const db = view.resource(SECRET, { declaration: "secret:db" });
    assert.equal(db.import, undefined);
    assert.equal(db.ignoreChanges, undefined);
  });

  it("pulumi preview changes nothing: no restore, no import (the preview shows a create)", async () => {
    const aws = account({ hf: "pending-deletion" });
    const view = await planOf(spec(), { stack: "prod", live: { dryRun: true, secretAccount: aws } });
    assert.deepEqual(aws.calls, ["DescribeSecret gantry/llm-demo/prod/hf", "DescribeSecret gantry/llm-demo/prod/db"]);
    assert.equal(view.resource(SECRET, { declaration: "secret:hf" }).import, undefined);
  });

  it("a live secret of this stack is declared as usual (its state already has it)", async () => {
    const aws = account({ hf: "found", db: "found" });
    const view = await planOf(spec(), { stack: "prod", live: { dryRun: false, secretAccount: aws } });
    assert.ok(!aws.calls.some((c) => c.startsWith("RestoreSecret")));
    for (const r of view.resources(SECRET)) assert.equal(r.import, undefined);
  });

  it("offline (gantry synth) no account is read and nothing is adopted", async () => {
    const view = await planOf(spec(), { stack: "prod" });
    for (const r of view.resources(SECRET)) assert.equal(r.import, undefined);
  });
});

describe("adoptNamedSecret", () => {
  const ref = { app: "llm-demo", stack: "prod", name: "hf" };

  it("refuses a secret of that name another stack made, naming the tags that differ", async () => {
    await assert.rejects(adoptNamedSecret(account({ hf: "foreign" }), ref, false),
      /secret gantry\/llm-demo\/prod\/hf already exists and is not this stack's \(gantry:stack: staging, expected prod\)/);
  });

  it("a failed lookup only warns, naming the permissions and the manual restore", async () => {
    const denied: SecretAccount = {
      find: async () => { throw new Error("DescribeSecret gantry/llm-demo/prod/hf failed: AccessDeniedException: not authorized"); },
      restore: async () => { throw new Error("unreachable"); },
    };
    const out = await adoptNamedSecret(denied, ref, false);
    assert.equal(out.kind, "warn");
    assert.match(out.kind === "warn" ? out.message : "", /secretsmanager:DescribeSecret and secretsmanager:RestoreSecret.*aws secretsmanager restore-secret --secret-id gantry\/llm-demo\/prod\/hf/);
  });

  it("in a preview, a pending deletion is a warning that says what pulumi up will do", async () => {
    const out = await adoptNamedSecret(account({ hf: "pending-deletion" }), ref, true);
    assert.equal(out.kind, "warn");
    assert.match(out.kind === "warn" ? out.message : "", /scheduled for deletion .*deleted 2026-12-01T10:00:00.000Z.*pulumi up will restore it, keeping its value, and adopt it/);
  });
});
