/**
 * Secrets for local containers, injected as environment variables:
 * - `Secret.fromName(name)`: the local store, one JSON file per secret under
 *   `$GANTRY_HOME/secrets/` (default `~/.gantry`), written by `gantry secret create` with mode 0600;
 * - `Secret.fromDotenv(path)`: a `.env` file, written relative to the app file (the spec records it
 *   relative to the project root);
 * - `Secret.fromDict({...})`: the values the static analysis read from the code (`secretValues`).
 * A required key that is missing fails the call before any container starts, naming the key.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import type { AppSpec } from "../../synth/spec.ts";
import { SecretError } from "../errors.ts";
import { parseDotenv } from "./dotenv.ts";

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function gantryHome(): string {
  return process.env.GANTRY_HOME || join(homedir(), ".gantry");
}

function secretFile(name: string, home: string): string {
  if (!NAME.test(name)) {
    throw new SecretError(`invalid secret name "${name}": use letters, digits, ".", "_" and "-" (at most 128)`);
  }
  return join(home, "secrets", `${name}.json`);
}

/**
 * Creates or replaces a secret in the local store (file mode 0600, directory 0700). A store
 * directory that already exists with looser modes (mkdir's mode applies only to new directories)
 * is tightened first, with the secret files in it.
 */
export function writeSecret(name: string, values: Record<string, string>, home = gantryHome()): string {
  const file = secretFile(name, home);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  tightenStore(dirname(file));
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(values, null, 2) + "\n", { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
  return file;
}

/** Makes the store directory 0700 and every file in it 0600 (only the owner can do this). */
function tightenStore(dir: string): void {
  const restrict = (path: string, mode: number) => {
    const current = statSync(path).mode & 0o777;
    if (current === mode) return;
    try {
      chmodSync(path, mode);
    } catch (err) {
      throw new SecretError(`${path} has mode ${current.toString(8)} and could not be restricted to ${mode.toString(8)} ` +
        `(${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); fix its owner or mode before storing secrets in it`);
    }
  };
  restrict(dir, 0o700);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isFile()) restrict(join(dir, entry.name), 0o600);
  }
}

export function readSecret(name: string, home = gantryHome()): Record<string, string> | null {
  const file = secretFile(name, home);
  if (!existsSync(file)) return null;
  return JSON.parse(readFileSync(file, "utf8")) as Record<string, string>;
}

export function listSecrets(home = gantryHome()): Array<{ name: string; keys: string[] }> {
  const dir = join(home, "secrets");
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => {
      const name = f.slice(0, -".json".length);
      return { name, keys: Object.keys(readSecret(name, home) ?? {}).sort() };
    });
}

export interface SecretContext {
  spec: AppSpec;
  /** the project root: the spec's `.env` paths are relative to it */
  projectRoot: string;
  /** `fromDict` values by secret id, from the static analysis */
  secretValues: Record<string, Record<string, string>>;
  home: string;
}

/** The environment variables of the given secrets; `who` names the function or class in errors. */
export function resolveSecretEnv(ids: readonly string[], who: string, ctx: SecretContext): Record<string, string> {
  const env: Record<string, string> = {};
  for (const id of ids) {
    const secret = ctx.spec.secrets.find((s) => s.id === id);
    if (!secret) throw new SecretError(`${who}: secret "${id}" is not in the app spec`);
    let values: Record<string, string>;
    let required: readonly string[] = [];
    if (secret.kind === "named") {
      const stored = readSecret(secret.name, ctx.home);
      if (!stored) {
        const keys = secret.requiredKeys.length ? secret.requiredKeys.map((k) => `${k}=...`).join(" ") : "KEY=value";
        throw new SecretError(
          `${who}: secret "${secret.name}" is not in the local secret store (${join(ctx.home, "secrets")}); ` +
            `create it with: gantry secret create ${secret.name} ${keys}`,
        );
      }
      values = stored;
      required = secret.requiredKeys;
    } else if (secret.kind === "dotenv") {
      const file = resolve(ctx.projectRoot, secret.path);
      if (!existsSync(file)) throw new SecretError(`${who}: the .env file ${file} (Secret.fromDotenv("${secret.path}")) does not exist`);
      values = parseDotenv(readFileSync(file, "utf8"));
      required = secret.keys;
    } else {
      const given = ctx.secretValues[secret.id];
      if (!given) throw new SecretError(`${who}: the values of Secret.fromDict (${secret.keys.join(", ")}) were not found`);
      values = given;
      required = secret.keys;
    }
    for (const key of required) {
      if (!(key in values)) {
        const from = secret.kind === "named" ? `secret "${secret.name}"` : secret.kind === "dotenv" ? `${secret.path}` : "Secret.fromDict";
        throw new SecretError(`${who}: ${from} is missing the required key ${key}`);
      }
    }
    Object.assign(env, values);
  }
  return env;
}
