/** `gantry synth` and `gantry deploy/preview` as a user runs them (real processes). */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { dirname } from "node:path";
import { describe, it } from "node:test";

function gantry(args: string[], env: NodeJS.ProcessEnv = process.env) {
  const r = spawnSync(process.execPath, ["cli/bin.mjs", ...args], { encoding: "utf8", env: { ...env, NO_COLOR: "1" } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("gantry synth", () => {
  it("prints a summary per declaration: GPU, instance type, scaling bounds, endpoints", () => {
    const r = gantry(["synth", "examples/web/app.ts", "--target", "aws", "--stack", "dev"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^  EmbeddingService  \(class, examples\/web\/app\.ts:\d+:\d+\)$/m);
    assert.match(r.stdout, /^    GPU         T4$/m);
    assert.match(r.stdout, /^    instances   g4dn\.xlarge \(on-demand\), group gpu-t4x1$/m);
    assert.match(r.stdout, /^    scaling     0\.\.3 containers on \(visible \+ inflight\) \/ running = 16;/m);
    assert.match(r.stdout, /^    endpoint    POST \/EmbeddingService\/embed  private \(bearer token\), docs  https:\/\//m);
    assert.match(r.stdout, /^    endpoint    GET \/health  public/m);
    // a capacity group names the declarations it serves
    assert.match(r.stdout, /^    capacity    .*gpu-t4x1 for EmbeddingService: g4dn\.xlarge/m);
    // the analysis warnings reach synth's user too, located, with the code frame (stdout stays the plan)
    assert.match(r.stderr, /^examples\/web\/app\.ts:41:3: warning GANTRY1605: api is a webApp, which never scales to zero/m);
    assert.match(r.stderr, /^> 41 \|   webApp\(\(\) => createHonoApp\(\)\),$/m);
    assert.match(r.stderr, /^0 errors, 2 warnings$/m);
    assert.doesNotMatch(r.stdout, /GANTRY1605/);
  });

  it("shows schedules as the AWS expressions they become", () => {
    const r = gantry(["synth", "examples/schedules/app.ts"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /schedule    .* -> (cron|rate)\(/);
  });

  it("reports analysis errors with their locations and exits 1", () => {
    const r = gantry(["synth", "tests/provider/fixtures/broken/app.ts"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /tests\/provider\/fixtures\/broken\/app\.ts:6:\d+: error GANTRY\d+: .*T5/);
    assert.match(r.stderr, /concurrencyLimit.*maxContainers/);
    assert.equal(r.stdout, "");
  });

  it("usage errors exit 2", () => {
    assert.equal(gantry(["synth", "examples/hello/app.ts", "--target", "gcp"]).code, 2);
    assert.equal(gantry(["synth", "no/such/app.ts"]).code, 2);
  });
});

describe("gantry deploy / preview", () => {
  it("without the Pulumi CLI, says what to install and points at synth (exit 2)", () => {
    const env = { ...process.env, PATH: dirname(process.execPath) };
    for (const command of ["deploy", "preview"]) {
      const r = gantry([command, "examples/hello/app.ts", "--stack", "dev"], env);
      assert.equal(r.code, 2, command);
      assert.match(r.stderr, /the Pulumi CLI was not found on PATH/);
      assert.match(r.stderr, /gantry synth/);
    }
  });
  it("--stack is required", () => {
    assert.equal(gantry(["deploy", "examples/hello/app.ts"]).code, 2);
  });
});
