/**
 * `gantry secret create NAME K=V... [--from-dotenv F] [--force]` and `gantry secret list`: the
 * local secret store that `Secret.fromName(NAME)` reads under `gantry run` (one JSON file per
 * secret in `$GANTRY_HOME/secrets/`, default `~/.gantry`, mode 0600).
 *
 * With `--stack S`, the value goes to the stack's AWS Secrets Manager secret instead (declared by
 * the provider, provider/aws/secrets.ts; written by provider/aws/secret-values.ts), after checking
 * NAME against the app's `Secret.fromName` declarations and their `requiredKeys`.
 * Values are never printed, in either store.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import type { Command } from "commander";
import { UsageError } from "../main.ts";
import { parseDotenv } from "../../runtime/local/dotenv.ts";
import { gantryHome, listSecrets, readSecret, writeSecret } from "../../runtime/local/secrets.ts";
import { SecretError } from "../../runtime/errors.ts";
import type { StackConfig } from "../../provider/plan/stack-config.ts";
import type { SecretSpec } from "../../synth/spec.ts";

interface CreateFlags {
  fromDotenv?: string;
  stack?: string;
  app?: string;
  region?: string;
  force?: boolean;
}

type NamedSecret = Extract<SecretSpec, { kind: "named" }>;

const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function register(program: Command): void {
  const secret = program
    .command("secret")
    .description("manage secrets: the local store used by gantry run, or a stack's cloud store");

  secret
    .command("create")
    .description("create a secret from KEY=VALUE pairs and/or a .env file (locally, or in a deployed stack with --stack)")
    .argument("<name>", "the secret's name, as in Secret.fromName(name)")
    .argument("[pairs...]", "KEY=VALUE pairs (they override keys of --from-dotenv)")
    .option("--from-dotenv <file>", "read KEY=VALUE lines from a .env file (keeps values out of shell history)")
    .option("--force", "replace the secret's value if it has one")
    .option("--stack <name>", "write to this stack's AWS Secrets Manager secret instead of the local store")
    .option("--app <file>", "with --stack: the app file (default: gantry:app of Pulumi.<stack>.yaml)")
    .option("--region <region>", "with --stack: the AWS region (default: aws:region of the stack, then AWS_REGION / profile)")
    .addHelpText("after", `
Without --stack, the secret goes to the local store used by gantry run and gantry serve:
$GANTRY_HOME/secrets (default ~/.gantry/secrets), one file per secret, readable only by you (0600).

With --stack, NAME must be a Secret.fromName of the app and the keys must cover its requiredKeys.
The value (a JSON object of the keys) becomes the current version of the stack's Secrets Manager
secret gantry/<app>/<stack>/<NAME>, which gantry deploy creates. Containers read secrets when they
start, so running ones keep the old value until they are replaced. AWS credentials come from the
default chain (environment, profile, SSO, instance role); the caller needs
secretsmanager:DescribeSecret and secretsmanager:PutSecretValue on the secret. Before the first
deploy, set the value in the stack config instead:
  pulumi config set --secret --path 'gantry:secrets.NAME.KEY' VALUE --stack STACK

Values are never printed.

Examples:
  gantry secret create huggingface-token HF_TOKEN=hf_xxx
  gantry secret create api-secrets --from-dotenv .env.production
  gantry secret create huggingface-token --from-dotenv .env.prod --stack prod --force`)
    .action((name: string, pairs: string[], flags: CreateFlags) => (flags.stack !== undefined ? createInStack(name, pairs, flags, flags.stack) : create(name, pairs, flags)));

  secret
    .command("list")
    .description("list the secrets of the local store and their keys (never their values)")
    .action(() => {
      const secrets = listSecrets();
      if (secrets.length === 0) {
        process.stdout.write(`no secrets in ${gantryHome()}/secrets\n`);
        return;
      }
      for (const s of secrets) process.stdout.write(`${s.name}  ${s.keys.join(", ")}\n`);
    });
}

/** The values from --from-dotenv, then the KEY=VALUE pairs over them. */
function readValues(pairs: string[], flags: CreateFlags): Record<string, string> {
  const values: Record<string, string> = {};
  if (flags.fromDotenv !== undefined) {
    if (!existsSync(flags.fromDotenv)) throw new UsageError(`--from-dotenv: no such file: ${flags.fromDotenv}`);
    Object.assign(values, parseDotenv(readFileSync(flags.fromDotenv, "utf8")));
  }
  for (const [i, pair] of pairs.entries()) {
    const eq = pair.indexOf("=");
    if (eq <= 0) {
      // a bare name is a key without its value; anything else may be a value pasted alone: not echoed
      throw new UsageError(KEY.test(pair) ? `"${pair}" is not KEY=VALUE` : `pair ${i + 1} is not KEY=VALUE (not shown, as it may be a value)`);
    }
    const key = pair.slice(0, eq);
    if (!KEY.test(key)) throw new UsageError(`"${key}" is not a valid environment variable name`);
    values[key] = pair.slice(eq + 1);
  }
  if (Object.keys(values).length === 0) throw new UsageError("give the secret at least one KEY=VALUE pair or --from-dotenv FILE");
  return values;
}

function create(name: string, pairs: string[], flags: CreateFlags): void {
  for (const flag of ["app", "region"] as const) {
    if (flags[flag] !== undefined) throw new UsageError(`--${flag} only applies with --stack`);
  }
  const values = readValues(pairs, flags);
  let existing;
  try {
    existing = readSecret(name);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (existing && !flags.force) {
    process.stderr.write(`gantry secret: secret "${name}" already exists (keys: ${Object.keys(existing).join(", ")}); pass --force to replace it\n`);
    process.exitCode = 1;
    return;
  }
  let file;
  try {
    file = writeSecret(name, values);
  } catch (err) {
    if (err instanceof SecretError) return fail(err.message);
    throw err;
  }
  process.stdout.write(`${existing ? "replaced" : "created"} secret "${name}" with keys ${Object.keys(values).sort().join(", ")} (${file})\n`);
}

/** Fails the command with exit 1 (not a usage error: the arguments were fine, the world was not). */
function fail(message: string): void {
  process.stderr.write(`gantry secret: ${message}\n`);
  process.exitCode = 1;
}

async function createInStack(name: string, pairs: string[], flags: CreateFlags, stackArg: string): Promise<void> {
  const values = readValues(pairs, flags);
  for (const key of Object.keys(values)) {
    if (!KEY.test(key)) throw new UsageError(`"${key}" is not a valid environment variable name (containers get each key as one)`);
  }
  // `org/project/stack` -> `stack`: the stack files and the secret's name use the short name
  const stack = stackArg.split("/").pop() ?? "";
  if (!stack) throw new UsageError(`--stack: "${stackArg}" is not a stack name`);

  const { projectRoot, appFile, appLabel, config, stackFile } = await locateApp(stack, flags.app);
  const { analyzeApp, formatDiagnostics, summarizeDiagnostics } = await import("../../synth/index.ts");
  const analysis = analyzeApp(appFile, { projectRoot });
  if (!analysis.spec) {
    process.stderr.write(formatDiagnostics(analysis.diagnostics, { color: !!process.stderr.isTTY, cwd: process.cwd() }));
    process.stderr.write(`${summarizeDiagnostics(analysis.diagnostics)}\n`);
    process.exitCode = 1;
    return;
  }
  const spec = analysis.spec;
  const declared = spec.secrets.filter((s): s is NamedSecret => s.kind === "named");
  const target = declared.find((s) => s.name === name);
  if (!target) {
    const names = declared.map((s) => `"${s.name}"`).join(", ");
    throw new UsageError(
      `app ${spec.app.name} (${appLabel}) has no Secret.fromName("${name}"); ` +
        (names ? `its named secrets: ${names}` : "it declares no Secret.fromName") +
        ` (Secret.fromDict and Secret.fromDotenv get their values from code, not from gantry secret create)`,
    );
  }
  const where = `${relative(process.cwd(), resolve(projectRoot, target.source.file))}:${target.source.line}:${target.source.column}`;
  const missing = target.requiredKeys.filter((k) => !Object.hasOwn(values, k));
  if (missing.length) {
    throw new UsageError(`secret "${name}" is missing required key${missing.length === 1 ? "" : "s"} ${missing.join(", ")} (requiredKeys of Secret.fromName at ${where}); give ${missing.map((k) => `${k}=...`).join(" ")}`);
  }

  const region = flags.region ?? config.values["aws:region"];
  const { findStackSecret, putStackSecretValue, resolvedRegion, secretsClient, secretString, SecretStoreError, MAX_SECRET_BYTES } =
    await import("../../provider/aws/secret-values.ts");
  const ref = { app: spec.app.name, stack, name };
  // the SDK warns on Node 20 about its releases of 2027; gantry supports Node 20 (package engines),
  // so that warning is not for this command's user
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const client = secretsClient(region);
  try {
    const regionName = await resolvedRegion(client);
    const found = await findStackSecret(client, ref);
    switch (found.status) {
      case "missing":
        return fail(
          `stack "${stack}" has no secret "${name}" in ${regionName}: there is no Secrets Manager secret ${found.name}. ` +
            `Is the stack deployed (gantry deploy ${appLabel} --stack ${stack}), in this region and account?\n` +
            `Before the first deploy, set the value in the stack config instead; the deploy writes it:\n` +
            Object.keys(values).sort().map((k) => `  pulumi config set --secret --path 'gantry:secrets.${name}.${k}' <value> --stack ${stack}\n`).join("").trimEnd(),
        );
      case "foreign":
        return fail(
          `${found.arn} was not created by gantry for app ${ref.app}, stack ${stack} ` +
            `(${found.mismatched.map((m) => `tag ${m.key} is ${m.actual === undefined ? "missing" : `"${m.actual}"`}, expected "${m.expected}"`).join("; ")}); not writing to it`,
        );
      case "pending-deletion":
        return fail(
          `${found.arn} is scheduled for deletion${found.deletedDate ? ` on ${found.deletedDate.toISOString()}` : ""} (the stack was destroyed, or the Secret.fromName removed); ` +
            `restore it (aws secretsmanager restore-secret --secret-id ${found.name} --region ${regionName}) and deploy the stack again`,
        );
      case "found":
        break;
    }
    if (found.hasValue && !flags.force) {
      return fail(`${found.name} already has a value; pass --force to replace it (the replaced value stays available as version stage AWSPREVIOUS)`);
    }
    const bytes = Buffer.byteLength(secretString(values));
    if (bytes > MAX_SECRET_BYTES) return fail(`the value is ${bytes} bytes as JSON; Secrets Manager stores at most ${MAX_SECRET_BYTES}`);

    const keys = Object.keys(values).sort();
    const extra = target.requiredKeys.length ? keys.filter((k) => !target.requiredKeys.includes(k)) : [];
    if (extra.length) {
      process.stderr.write(`warning: ${extra.join(", ")} ${extra.length === 1 ? "is" : "are"} stored but not injected: containers get only the requiredKeys of Secret.fromName at ${where} (${target.requiredKeys.join(", ")})\n`);
    }
    if (configSetsSecret(config.values["gantry:secrets"], name)) {
      process.stderr.write(`warning: ${stackFile} also sets gantry:secrets.${name}; a deploy that changes it puts the config's value back (remove it: pulumi config rm --path 'gantry:secrets.${name}' --stack ${stack})\n`);
    }
    const { versionId } = await putStackSecretValue(client, found.arn, values);
    process.stdout.write(
      `${found.hasValue ? "replaced" : "set"} the value of secret "${name}" of stack ${stack} with keys ${keys.join(", ")}\n` +
        `  ${found.arn}${versionId ? ` (version ${versionId})` : ""}\n` +
        `  containers started from now on get it; running ones keep the old value until they are replaced\n`,
    );
  } catch (err) {
    if (err instanceof SecretStoreError) return fail(err.message);
    throw err;
  }
}

interface LocatedApp {
  projectRoot: string;
  appFile: string;
  /** the app file as the user would type it (relative to the working directory) */
  appLabel: string;
  config: StackConfig;
  /** Pulumi.<stack>.yaml, relative to the working directory, for messages */
  stackFile: string;
}

/**
 * The app of a stack: `--app` (its project root the nearest package.json above it, as for gantry
 * deploy), or `gantry:app` of the stack config in the project root of the working directory.
 */
async function locateApp(stack: string, app: string | undefined): Promise<LocatedApp> {
  const { readStackConfig } = await import("../../provider/plan/stack-config.ts");
  const { findProjectRoot } = await import("../../synth/index.ts");
  const projectRoot = findProjectRoot(app !== undefined ? dirname(resolve(app)) : process.cwd());
  const config = readStackConfig(projectRoot, stack);
  const stackFile = relative(process.cwd(), resolve(projectRoot, `Pulumi.${stack}.yaml`));
  let appFile: string;
  if (app !== undefined) appFile = resolve(app);
  else {
    const configured = config.values["gantry:app"];
    if (!configured) throw new UsageError(`which app? pass --app <app.ts>, or set gantry:app in ${stackFile} (pulumi config set gantry:app path/to/app.ts --stack ${stack})`);
    appFile = resolve(projectRoot, configured);
  }
  const appLabel = relative(process.cwd(), appFile);
  if (!existsSync(appFile) || !statSync(appFile).isFile()) {
    throw new UsageError(`no such file: ${appLabel}${app === undefined ? ` (gantry:app in ${stackFile})` : ""}`);
  }
  return { projectRoot, appFile, appLabel, config, stackFile };
}

/** Whether the stack config's `gantry:secrets` (secure leaves already masked) has this secret. */
function configSetsSecret(raw: string | undefined, name: string): boolean {
  if (raw === undefined) return false;
  try {
    const parsed = JSON.parse(raw) as unknown;
    return !!parsed && typeof parsed === "object" && Object.hasOwn(parsed, name);
  } catch {
    return false;
  }
}
