/**
 * `gantry secret create NAME K=V --stack S` as a user runs it: the real CLI in a child process,
 * against a Secrets Manager stand-in (tests/cli/secrets-manager-standin.ts) with dummy
 * credentials. Each test states the exact requests AWS would receive, and that no value ever
 * reaches stdout or stderr.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import { SecretsManagerStandin } from "./secrets-manager-standin.ts";

const FIXTURE = resolve("tests/cli/fixtures/secret-app");
const BIN = resolve("cli/bin.mjs");
const standin = new SecretsManagerStandin();

/** The tags the provider puts on a `Secret.fromName` secret (provider/aws/component.ts, secrets.ts). */
const tags = (stack: string, name: string) => ({
  "gantry:app": "shop",
  "gantry:stack": stack,
  "gantry:declaration": `secret:${name}`,
  "gantry:source": "app.ts:6:12",
});

/** Runs the CLI with only dummy AWS settings (no profile, no metadata service). */
function gantry(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) {
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("AWS_")));
  Object.assign(env, {
    NO_COLOR: "1",
    AWS_ACCESS_KEY_ID: "test",
    AWS_SECRET_ACCESS_KEY: "test",
    AWS_ENDPOINT_URL_SECRETS_MANAGER: standin.url,
    AWS_CONFIG_FILE: "/nonexistent/aws-config",
    AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/aws-credentials",
    AWS_EC2_METADATA_DISABLED: "true",
    ...options.env,
  });
  // async, not spawnSync: the stand-in answers from this process's event loop
  const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd ?? FIXTURE, env });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((ok) => child.on("close", (code) => ok({ code, stdout, stderr })));
}

/** The ClientRequestToken the SDK generates (an idempotency UUID), replaced for exact comparison. */
function bodies() {
  return standin.requests.map((r) => {
    const body = { ...r.body };
    if (typeof body.ClientRequestToken === "string") {
      assert.match(body.ClientRequestToken, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      body.ClientRequestToken = "<uuid>";
    }
    return { operation: r.operation, body };
  });
}

function assertNoValues(r: { stdout: string; stderr: string }, values: string[]) {
  for (const v of values) {
    assert.ok(!r.stdout.includes(v), `stdout shows a value: ${r.stdout}`);
    assert.ok(!r.stderr.includes(v), `stderr shows a value: ${r.stderr}`);
  }
}

before(() => standin.start());
after(() => standin.stop());
beforeEach(() => standin.reset());

describe("gantry secret create --stack: a deployed stack", () => {
  it("finds the stack's secret by its name, checks its tags, and puts the keys as one JSON value", async () => {
    const arn = standin.add({ name: "gantry/shop/dev/huggingface-token", tags: tags("dev", "huggingface-token") });
    const r = await gantry(["secret", "create", "huggingface-token", "HF_TOKEN=hf_live_s3cr3t_V4lue", "--stack", "dev"]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(bodies(), [
      { operation: "DescribeSecret", body: { SecretId: "gantry/shop/dev/huggingface-token" } },
      { operation: "PutSecretValue", body: { SecretId: arn, SecretString: '{"HF_TOKEN":"hf_live_s3cr3t_V4lue"}', ClientRequestToken: "<uuid>" } },
    ]);
    // aws:region of Pulumi.dev.yaml signed the calls
    assert.deepEqual(standin.requests.map((q) => q.scope?.split("/").slice(1).join("/")), ["eu-west-1/secretsmanager/aws4_request", "eu-west-1/secretsmanager/aws4_request"]);
    assert.match(r.stdout, /^set the value of secret "huggingface-token" of stack dev with keys HF_TOKEN$/m);
    assert.ok(r.stdout.includes(`  ${arn} (version `), r.stdout);
    assert.equal(r.stderr, "");
    assertNoValues(r, ["hf_live_s3cr3t_V4lue"]);
  });

  it("reads --from-dotenv (pairs override it), sorts the keys, warns about keys no container gets", async () => {
    const arn = standin.add({ name: "gantry/shop/dev/db", tags: tags("dev", "db") });
    const dir = mkdtempSync(join(tmpdir(), "gantry-secret-"));
    const dotenv = join(dir, ".env.dev");
    writeFileSync(dotenv, "DB_USER=shop_owner\nDB_PASSWORD='pw-from-file-123'\nDB_HOST=db.internal\n");
    const r = await gantry(["secret", "create", "db", "--from-dotenv", dotenv, "DB_PASSWORD=pw-from-args-456", "--stack", "dev"]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(bodies()[1], {
      operation: "PutSecretValue",
      body: { SecretId: arn, SecretString: '{"DB_HOST":"db.internal","DB_PASSWORD":"pw-from-args-456","DB_USER":"shop_owner"}', ClientRequestToken: "<uuid>" },
    });
    assert.match(r.stdout, /with keys DB_HOST, DB_PASSWORD, DB_USER$/m);
    assert.match(r.stderr, /^warning: DB_HOST is stored but not injected: containers get only the requiredKeys of Secret\.fromName at app\.ts:7:12 \(DB_PASSWORD, DB_USER\)$/m);
    assertNoValues(r, ["shop_owner", "pw-from-file-123", "pw-from-args-456", "db.internal"]);
  });

  it("refuses to replace a value without --force; with it, the new version becomes current", async () => {
    standin.add({ name: "gantry/shop/dev/api-secrets", tags: tags("dev", "api-secrets"), value: '{"TOKEN":"old-token-111"}' });
    const refused = await gantry(["secret", "create", "api-secrets", "TOKEN=new-token-222", "--stack", "dev"]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /gantry\/shop\/dev\/api-secrets already has a value; pass --force to replace it/);
    assert.deepEqual(standin.requests.map((q) => q.operation), ["DescribeSecret"]);

    const forced = await gantry(["secret", "create", "api-secrets", "TOKEN=new-token-222", "--stack", "dev", "--force"]);
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stdout, /^replaced the value of secret "api-secrets" of stack dev with keys TOKEN$/m);
    assert.equal(standin.get("gantry/shop/dev/api-secrets")?.value, '{"TOKEN":"new-token-222"}');
    assertNoValues(refused, ["old-token-111", "new-token-222"]);
    assertNoValues(forced, ["old-token-111", "new-token-222"]);
  });

  it("--app and --region for a stack without a stack file; org/project/stack uses the stack's name", async () => {
    const arn = standin.add({ name: "gantry/shop/staging/api-secrets", tags: tags("staging", "api-secrets") });
    const r = await gantry(["secret", "create", "api-secrets", "TOKEN=tok-333", "--stack", "acme/shop/staging", "--app", "tests/cli/fixtures/secret-app/app.ts", "--region", "us-west-2"], { cwd: process.cwd() });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(bodies().map((b) => b.body.SecretId), ["gantry/shop/staging/api-secrets", arn]);
    assert.ok(standin.requests.every((q) => q.scope?.includes("/us-west-2/secretsmanager/")), JSON.stringify(standin.requests.map((q) => q.scope)));
  });

  it("warns when the stack config also sets the secret (gantry:secrets), since a deploy may put that value back", async () => {
    standin.add({ name: "gantry/shop/prod/api-secrets", tags: tags("prod", "api-secrets") });
    const r = await gantry(["secret", "create", "api-secrets", "TOKEN=tok-444", "--stack", "prod"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^warning: Pulumi\.prod\.yaml also sets gantry:secrets\.api-secrets; .*pulumi config rm --path 'gantry:secrets\.api-secrets' --stack prod\)$/m);
    assert.ok(standin.requests.every((q) => q.scope?.includes("/us-east-2/")));
    assertNoValues(r, ["tok-444"]);
  });
});

describe("gantry secret create --stack: refusals", () => {
  it("a stack that is not deployed: says so and gives the pulumi config alternative, without values", async () => {
    const r = await gantry(["secret", "create", "db", "DB_USER=u-555", "DB_PASSWORD=p-666", "--stack", "dev"]);
    assert.equal(r.code, 1);
    assert.deepEqual(bodies(), [{ operation: "DescribeSecret", body: { SecretId: "gantry/shop/dev/db" } }]);
    assert.match(r.stderr, /stack "dev" has no secret "db" in eu-west-1: there is no Secrets Manager secret gantry\/shop\/dev\/db\. Is the stack deployed \(gantry deploy app\.ts --stack dev\)/);
    assert.match(r.stderr, /^  pulumi config set --secret --path 'gantry:secrets\.db\.DB_PASSWORD' <value> --stack dev$/m);
    assert.match(r.stderr, /^  pulumi config set --secret --path 'gantry:secrets\.db\.DB_USER' <value> --stack dev$/m);
    assert.equal(r.stdout, "");
    assertNoValues(r, ["u-555", "p-666"]);
  });

  it("keys that do not cover requiredKeys: a usage error naming the missing keys and the declaration; AWS is not called", async () => {
    const r = await gantry(["secret", "create", "db", "DB_PASSWORD=p-777", "--stack", "dev"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^gantry: secret "db" is missing required key DB_USER \(requiredKeys of Secret\.fromName at app\.ts:7:12\); give DB_USER=\.\.\.$/m);
    assert.deepEqual(standin.requests, []);
    assertNoValues(r, ["p-777"]);

    const none = await gantry(["secret", "create", "db", "OTHER=o-888", "--stack", "dev"]);
    assert.match(none.stderr, /missing required keys DB_PASSWORD, DB_USER /);
    assertNoValues(none, ["o-888"]);
  });

  it("a name that is not a Secret.fromName of the app: a usage error listing the app's named secrets", async () => {
    const r = await gantry(["secret", "create", "huggingface", "HF_TOKEN=x-999", "--stack", "dev"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /app shop \(app\.ts\) has no Secret\.fromName\("huggingface"\); its named secrets: "api-secrets", "db", "huggingface-token"/);
    assert.deepEqual(standin.requests, []);
  });

  it("a same-named secret that this stack did not create is not written to", async () => {
    standin.add({ name: "gantry/shop/dev/api-secrets", tags: { "gantry:app": "shop", "gantry:stack": "qa" } });
    const r = await gantry(["secret", "create", "api-secrets", "TOKEN=t-1010", "--stack", "dev"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /was not created by gantry for app shop, stack dev \(tag gantry:stack is "qa", expected "dev"; tag gantry:declaration is missing, expected "secret:api-secrets"\); not writing to it/);
    assert.deepEqual(standin.requests.map((q) => q.operation), ["DescribeSecret"]);
  });

  it("a secret scheduled for deletion: says how to restore it", async () => {
    standin.add({ name: "gantry/shop/dev/api-secrets", tags: tags("dev", "api-secrets"), deletedDate: 1767225600 });
    const r = await gantry(["secret", "create", "api-secrets", "TOKEN=t-1111", "--stack", "dev"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /is scheduled for deletion on 2026-01-01T00:00:00\.000Z .*aws secretsmanager restore-secret --secret-id gantry\/shop\/dev\/api-secrets --region eu-west-1/);
    assert.deepEqual(standin.requests.map((q) => q.operation), ["DescribeSecret"]);
  });

  it("an AWS error (e.g. permissions) names the call, exit 1, no value", async () => {
    standin.add({ name: "gantry/shop/dev/api-secrets", tags: tags("dev", "api-secrets") });
    standin.failures.set("PutSecretValue", { type: "AccessDeniedException", message: "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: secretsmanager:PutSecretValue" });
    const r = await gantry(["secret", "create", "api-secrets", "TOKEN=t-1212", "--stack", "dev"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^gantry secret: PutSecretValue arn:aws:secretsmanager:\S+ failed: AccessDeniedException: User: .* secretsmanager:PutSecretValue$/m);
    assertNoValues(r, ["t-1212"]);
  });

  it("which app: a stack without gantry:app and no --app is a usage error", async () => {
    const r = await gantry(["secret", "create", "api-secrets", "TOKEN=t-1313", "--stack", "qa"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /which app\? pass --app <app\.ts>, or set gantry:app in Pulumi\.qa\.yaml/);
  });

  it("--app / --region without --stack are usage errors; a non KEY=VALUE argument is not echoed", async () => {
    const r = await gantry(["secret", "create", "api-secrets", "TOKEN=t", "--region", "eu-west-1"], { env: { GANTRY_HOME: mkdtempSync(join(tmpdir(), "gantry-home-")) } });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--region only applies with --stack/);
    const pasted = await gantry(["secret", "create", "api-secrets", "sk-live-pasted-1414", "--stack", "dev"]);
    assert.equal(pasted.code, 2);
    assert.match(pasted.stderr, /pair 1 is not KEY=VALUE/);
    assertNoValues(pasted, ["sk-live-pasted-1414"]);
  });

  it("--help explains the stack store", async () => {
    const r = await gantry(["secret", "create", "--help"]);
    assert.equal(r.code, 0);
    for (const text of ["--stack <name>", "--app <file>", "--region <region>", "gantry/<app>/<stack>/<NAME>", "secretsmanager:PutSecretValue", "pulumi config set --secret --path 'gantry:secrets.NAME.KEY'"]) {
      assert.ok(r.stdout.includes(text), `--help lacks ${text}`);
    }
  });
});
