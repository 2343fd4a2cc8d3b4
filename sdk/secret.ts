/**
 * Secrets, injected into containers as environment variables. `fromName` refers to a stored secret
 * (`gantry secret create`, or the stack's Secrets Manager); its values never live in code.
 */
export type SecretSource =
  | { kind: "named"; name: string; requiredKeys: readonly string[] }
  | { kind: "dict"; values: Readonly<Record<string, string>> }
  | { kind: "dotenv"; path: string };

export class Secret {
  private constructor(readonly source: SecretSource) {}

  static fromName(name: string, options: { requiredKeys?: string[] } = {}): Secret {
    return new Secret({ kind: "named", name, requiredKeys: [...(options.requiredKeys ?? [])] });
  }
  static fromDict(values: Record<string, string>): Secret {
    return new Secret({ kind: "dict", values: { ...values } });
  }
  /** A `.env` file, relative to the app file. */
  static fromDotenv(path = ".env"): Secret {
    return new Secret({ kind: "dotenv", path });
  }

  /** Never print values. */
  toJSON(): unknown {
    const s = this.source;
    return s.kind === "dict" ? { kind: "dict", keys: Object.keys(s.values) } : s;
  }
}
