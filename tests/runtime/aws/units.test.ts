/** Pure parts of the AWS runtime: configuration from the environment, the wire format, redelivery rules. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ConfigError, retryDelaySeconds, workerConfigFromEnv, callerConfigFromEnv } from "../../../runtime/aws/config.ts";
import { parseMessage } from "../../../runtime/aws/wire.ts";
import { crashedTooOften, crashesOf, lastReceive, redeliveryVia } from "../../../runtime/aws/redelivery.ts";
import { containerConfigFromEnv } from "../../../runtime/container/config.ts";

const base = {
  GANTRY_VARIANT: "embed", GANTRY_QUEUE_URL: "https://sqs/q", GANTRY_DLQ_URL: "https://sqs/d",
  GANTRY_RESULTS_TABLE: "results", GANTRY_PAYLOAD_BUCKET: "payloads",
};

describe("worker configuration", () => {
  test("defaults follow the stack: 20 s long poll, heartbeat a third of the visibility timeout", () => {
    const c = workerConfigFromEnv({ ...base, GANTRY_TIMEOUT: "300", GANTRY_VISIBILITY_TIMEOUT: "360", GANTRY_RETRIES: JSON.stringify({ maxRetries: 2 }) });
    assert.equal(c.waitTimeSeconds, 20);
    assert.equal(c.visibilityTimeoutS, 360);
    assert.equal(c.heartbeatMs, 120_000);
    assert.equal(c.retries.maxRetries, 2);
    assert.equal(c.retries.initialDelay, 1, "unset fields keep their defaults");
    assert.equal(c.maxReceiveCount, 3, "the stack's redrive: retries + 1, unless GANTRY_MAX_RECEIVE_COUNT says otherwise");
    assert.equal(c.maxMessageBytes, 262_144);
  });

  test("the heartbeat is never longer than a third of the visibility timeout, whatever is asked", () => {
    for (const vis of [1, 3, 61, 43_200]) {
      const c = workerConfigFromEnv({ ...base, GANTRY_VISIBILITY_TIMEOUT: String(vis), GANTRY_HEARTBEAT_MS: "999999999" });
      assert.ok(c.heartbeatMs <= (vis * 1000) / 3, `vis ${vis}: heartbeat ${c.heartbeatMs}`);
    }
    assert.equal(workerConfigFromEnv({ ...base, GANTRY_VISIBILITY_TIMEOUT: "30", GANTRY_HEARTBEAT_MS: "2000" }).heartbeatMs, 2000);
  });

  test("the long poll never waits more than SQS's 20 s", () => {
    assert.equal(workerConfigFromEnv({ ...base, GANTRY_SQS_WAIT_SECONDS: "60" }).waitTimeSeconds, 20);
    assert.equal(workerConfigFromEnv({ ...base, GANTRY_SQS_WAIT_SECONDS: "1" }).waitTimeSeconds, 1);
  });

  test("missing or malformed variables are named", () => {
    assert.throws(() => workerConfigFromEnv({ GANTRY_VARIANT: "x" }), (e: Error) => e instanceof ConfigError && /GANTRY_QUEUE_URL, GANTRY_DLQ_URL, GANTRY_RESULTS_TABLE, GANTRY_PAYLOAD_BUCKET/.test(e.message));
    assert.throws(() => workerConfigFromEnv({ ...base, GANTRY_RETRIES: "{oops" }), /GANTRY_RETRIES is not valid JSON/);
    assert.throws(() => workerConfigFromEnv({ ...base, GANTRY_TIMEOUT: "soon" }), /GANTRY_TIMEOUT="soon" is not a number/);
    assert.throws(() => callerConfigFromEnv({}), /GANTRY_RESULTS_TABLE, GANTRY_PAYLOAD_BUCKET/);
  });

  test("retry delays: initialDelay x backoffCoefficient^(n-1), capped at maxDelay", () => {
    const r = { maxRetries: 5, backoffCoefficient: 3, initialDelay: 2, maxDelay: 30 };
    assert.deepEqual([1, 2, 3, 4].map((n) => retryDelaySeconds(r, n)), [2, 6, 18, 30]);
  });
});

describe("container configuration", () => {
  const env = { GANTRY_APP: "a", GANTRY_KIND: "class", GANTRY_DECLARATION: "Model", GANTRY_VARIANT: "Model[gpu=H100]" };

  test("the unit, its limits and its stop budget", () => {
    const c = containerConfigFromEnv({ ...env, GANTRY_TIMEOUT: "60", GANTRY_STOP_TIMEOUT: "120", GANTRY_MAX_INPUTS: "8", GANTRY_SCALEDOWN_WINDOW: "300", GANTRY_APP_DIR: "/opt/gantry/app" });
    assert.equal(c.unit, "Model[gpu=H100]");
    assert.equal(c.appFile, "/opt/gantry/app/app.mjs");
    assert.equal(c.maxInputs, 8);
    assert.equal(c.timeoutMs, 60_000);
    assert.equal(c.drainMs, 90_000, "three quarters of the stop timeout");
    assert.equal(c.idleExitMs, 300_000);
    assert.equal(c.healthPort, 8081);
    assert.equal(c.params, null);
  });

  test("GANTRY_IDLE_EXIT=false leaves scale-in to ECS", () => {
    assert.equal(containerConfigFromEnv({ ...env, GANTRY_IDLE_EXIT: "false" }).idleExitMs, null);
  });

  test("a wrong kind is refused", () => {
    assert.throws(() => containerConfigFromEnv({ ...env, GANTRY_KIND: "lambda" }), /GANTRY_KIND must be "function" or "class"/);
  });
});

describe("wire format", () => {
  test("messages are checked before anything runs", () => {
    assert.throws(() => parseMessage("{"), /not JSON/);
    assert.throws(() => parseMessage(JSON.stringify({ kind: "other" })), /not a gantry call/);
    assert.throws(() => parseMessage(JSON.stringify({ v: 9, kind: "call", callId: "c" })), /unsupported message version 9/);
    assert.throws(() => parseMessage(JSON.stringify({ v: 1, kind: "call", callId: "c", encoding: "json" })), /neither args nor argsKey/);
    const m = parseMessage(JSON.stringify({ v: 1, kind: "call", callId: "c", function: "f", encoding: "json", args: [1] }));
    assert.equal(m.method, null);
  });
});

describe("redelivery", () => {
  test("a message on its last allowed receive is re-enqueued, unless the queue allows one receive only", () => {
    assert.equal(lastReceive(4, 5), false);
    assert.equal(lastReceive(5, 5), true);
    assert.equal(lastReceive(1, 1), false);
    assert.equal(redeliveryVia(5), "visibility");
    assert.equal(redeliveryVia(1), "requeue");
  });

  test("crashes are deliveries that ended without an outcome or a release", () => {
    assert.equal(crashesOf({ deliveries: 1 }), 0);
    assert.equal(crashesOf({ deliveries: 4, failures: 1, released: 1 }), 1);
    assert.equal(crashedTooOften({ deliveries: 4 }), false, "3 crashes are redelivered");
    assert.equal(crashedTooOften({ deliveries: 5 }), true, "the 4th ends the call");
    assert.equal(crashedTooOften({ deliveries: 8, failures: 3, released: 1 }), false);
  });
});
