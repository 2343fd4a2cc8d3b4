/**
 * `gantry secret create NAME K=V... [--from-dotenv F] [--force]` and `gantry secret list`: the
 * local secret store that `Secret.fromName(NAME)` reads under `gantry run` (one JSON file per
 * secret in `$GANTRY_HOME/secrets/`, default `~/.gantry`, mode 0600). Values are never printed.
 */
import { existsSync, readFileSync } from "node:fs";
import type { Command } from "commander";
import { UsageError } from "../main.ts";
import { parseDotenv } from "../../runtime/local/dotenv.ts";
import { gantryHome, listSecrets, readSecret, writeSecret } from "../../runtime/local/secrets.ts";

interface CreateFlags {
  fromDotenv?: string;
  stack?: string;
  force?: boolean;
}

const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function register(program: Command): void {
  const secret = program
    .command("secret")
    .description("manage secrets: the local store used by gantry run, or a stack's cloud store");

  secret
    .command("create")
    .description("create a secret from KEY=VALUE pairs and/or a .env file")
    .argument("<name>", "the secret's name, as in Secret.fromName(name)")
    .argument("[pairs...]", "KEY=VALUE pairs (they override keys of --from-dotenv)")
    .option("--from-dotenv <file>", "read KEY=VALUE lines from a .env file")
    .option("--force", "replace the secret if it exists")
    .option("--stack <name>", "write to the stack's cloud secret store instead of the local one")
    .addHelpText("after", `
The local store lives in $GANTRY_HOME/secrets (default ~/.gantry/secrets), one file per secret,
readable only by you (mode 0600). Values are never printed.

Examples:
  gantry secret create huggingface-token HF_TOKEN=hf_xxx
  gantry secret create api-secrets --from-dotenv .env.production`)
    .action((name: string, pairs: string[], flags: CreateFlags) => create(name, pairs, flags));

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

function create(name: string, pairs: string[], flags: CreateFlags): void {
  if (flags.stack !== undefined) {
    throw new UsageError(
      `--stack: writing to a stack's cloud secret store (AWS Secrets Manager) is not available in this build; ` +
        `set the stack config gantry:secrets.${name} as a secure value instead, or drop --stack for the local store`,
    );
  }
  const values: Record<string, string> = {};
  if (flags.fromDotenv !== undefined) {
    if (!existsSync(flags.fromDotenv)) throw new UsageError(`--from-dotenv: no such file: ${flags.fromDotenv}`);
    Object.assign(values, parseDotenv(readFileSync(flags.fromDotenv, "utf8")));
  }
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new UsageError(`"${pair}" is not KEY=VALUE`);
    const key = pair.slice(0, eq);
    if (!KEY.test(key)) throw new UsageError(`"${key}" is not a valid environment variable name`);
    values[key] = pair.slice(eq + 1);
  }
  if (Object.keys(values).length === 0) throw new UsageError("give the secret at least one KEY=VALUE pair or --from-dotenv FILE");
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
  const file = writeSecret(name, values);
  process.stdout.write(`${existing ? "replaced" : "created"} secret "${name}" with keys ${Object.keys(values).sort().join(", ")} (${file})\n`);
}
