/**
 * The two user-facing errors of the provider layer, for every target. Both carry every problem
 * found (one run reports them all), each as one line that starts with where to fix it:
 *
 * - ConfigError: the stack config is wrong (`Pulumi.<stack>.yaml: gantry:overrides.X.gpu: ...`);
 * - SynthError: the app asks for something the target cannot deploy (`app.ts:12:3: ...`).
 */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join("\n"));
  }
}

/** Problems found before any resource is declared, each with the declaration's location. */
export class SynthError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join("\n"));
  }
}
