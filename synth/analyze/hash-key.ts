/**
 * The project's key for hashing `Secret.fromDict` values (HMAC-SHA256), so the value hash and the
 * secret id in specs, plans and reviews cannot be brute-forced for weak values by someone who sees
 * a plan but not the code. A plain sha256 of "password123" is one dictionary lookup away.
 *
 * The key is `GANTRY_HASH_KEY` when set, else the file `gantry-hash.key` at the project root,
 * created on first use. It must be the same on every machine that plans the project (else the
 * secrets' ids differ between them), so the file is meant to be committed: it is no more secret
 * than the fromDict values beside it in the code.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const HASH_KEY_FILE = "gantry-hash.key";

export interface HashKey {
  key: string;
  /** where it came from, for messages */
  from: string;
  /** true when this call wrote a new key file */
  created: boolean;
}

const HEADER = [
  "# gantry: the key that hashes Secret.fromDict values in specs and plans (HMAC-SHA256).",
  "# Commit this file: every machine that plans this project must use the same key, or the",
  "# secrets' ids differ between them. It is no more secret than the fromDict values in the code.",
];

export function projectHashKey(root: string, env: NodeJS.ProcessEnv = process.env): HashKey {
  const fromEnv = env.GANTRY_HASH_KEY?.trim();
  if (fromEnv) {
    if (fromEnv.length < 16) throw new Error("GANTRY_HASH_KEY must be at least 16 characters");
    return { key: fromEnv, from: "GANTRY_HASH_KEY", created: false };
  }
  const path = join(root, HASH_KEY_FILE);
  if (existsSync(path)) {
    const key = readFileSync(path, "utf8").split("\n").map((l) => l.trim()).find((l) => l && !l.startsWith("#"));
    if (!key || key.length < 16) throw new Error(`${path} holds no key (a line of at least 16 characters); delete it to get a new one`);
    return { key, from: path, created: false };
  }
  const key = randomBytes(32).toString("hex");
  // "wx": two analyses racing to create it must not end with different keys
  try {
    writeFileSync(path, `${HEADER.join("\n")}\n${key}\n`, { flag: "wx" });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return projectHashKey(root, env);
    throw err;
  }
  return { key, from: path, created: true };
}
