/** Pure parts of the AWS runtime: configuration from the container's contract, the wire format, redelivery rules. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { retryDelaySeconds, workerConfigFromEnv, callerConfigFromEnv } from "../../../runtime/aws/config.ts";
import { ContainerContractError, encodeContainerEnv } from "../../../runtime/contract.ts";
import { parseMessage } from "../../../runtime/aws/wire.ts";
import { crashedTooOften, crashesOf, lastReceive, redeliveryVia } from "../../../runtime/aws/redelivery.ts";
import { containerConfigFromEnv } from "../../../runtime/container/config.ts";
import { awsContract } from "./fixtures/contract.ts";

describe("worker configuration", () => {
  const workerConfig = (transport: Parameters<typeof awsContract>[1] = {}) => workerConfigFromEnv(encodeContainerEnv(awsContract({}, transport)));

  test("the queue's own numbers, as the stack told them; a 20 s long poll and a heartbeat a third of the visibility timeout", () => {
    const c = workerConfig();
    assert.equal(c.unit, "Model[gpu=H100]");
    assert.equal(c.waitTimeSeconds, 20);
    assert.equal(c.visibilityTimeoutS, 360);
    assert.equal(c.heartbeatMs, 120_000);
    assert.deepEqual(c.retries, { maxRetries: 2, backoffCoefficient: 2, initialDelay: 1, maxDelay: 60 });
    assert.equal(c.maxReceiveCount, 7, "the queue's redrive count, with no fallback of the runtime's own");
    assert.equal(c.maxMessageBytes, 1_048_576);
  });

  test("the heartbeat is never longer than a third of the visibility timeout, whatever is asked", () => {
    for (const vis of [1, 3, 61, 43_200]) {
      const c = workerConfig({ visibilityTimeout: vis, heartbeatMs: 999_999_999 });
      assert.ok(c.heartbeatMs <= (vis * 1000) / 3, `vis ${vis}: heartbeat ${c.heartbeatMs}`);
    }
    assert.equal(workerConfig({ visibilityTimeout: 30, heartbeatMs: 2000 }).heartbeatMs, 2000);
  });

  test("a long poll beyond SQS's 20 s is refused, a shorter one kept", () => {
    const env = encodeContainerEnv(awsContract());
    assert.throws(() => workerConfigFromEnv({ ...env, GANTRY_SQS_WAIT_SECONDS: "60" }), /GANTRY_SQS_WAIT_SECONDS: Too big/);
    assert.equal(workerConfigFromEnv({ ...env, GANTRY_SQS_WAIT_SECONDS: "1" }).waitTimeSeconds, 1);
  });

  test("missing or malformed variables are named, all at once", () => {
    const env = encodeContainerEnv(awsContract());
    assert.throws(() => workerConfigFromEnv({ ...env, GANTRY_QUEUE_URL: "", GANTRY_DLQ_URL: undefined, GANTRY_RETRIES: "{oops", GANTRY_TIMEOUT: "soon" }), (e: Error) => {
      assert.ok(e instanceof ContainerContractError);
      assert.deepEqual(e.problems, [
        'GANTRY_TIMEOUT="soon": "soon" is not a number',
        'GANTRY_RETRIES="{oops": not valid JSON: {oops',
        "GANTRY_QUEUE_URL: missing",
        "GANTRY_DLQ_URL: missing",
      ]);
      return true;
    });
    assert.throws(() => callerConfigFromEnv({}), /GANTRY_RESULTS_TABLE: missing\n {2}- GANTRY_PAYLOAD_BUCKET: missing/);
  });

  test("retry delays: initialDelay x backoffCoefficient^(n-1), capped at maxDelay", () => {
    const r = { maxRetries: 5, backoffCoefficient: 3, initialDelay: 2, maxDelay: 30 };
    assert.deepEqual([1, 2, 3, 4].map((n) => retryDelaySeconds(r, n)), [2, 6, 18, 30]);
  });
});

describe("container configuration", () => {
  const config = (overrides: Parameters<typeof awsContract>[0] = {}, env: Record<string, string> = {}) =>
    containerConfigFromEnv({ ...encodeContainerEnv(awsContract(overrides)), ...env });

  test("the unit, its limits and its stop budget", () => {
    const c = config({ timeout: 60, setupTimeout: 60, stopTimeout: 120, maxInputs: 8, idleExit: 300 }, { GANTRY_APP_DIR: "/opt/gantry/app" });
    assert.equal(c.unit, "Model[gpu=H100]");
    assert.equal(c.name, "Model");
    assert.equal(c.appFile, "/opt/gantry/app/app.mjs");
    assert.equal(c.maxInputs, 8);
    assert.equal(c.timeoutMs, 60_000);
    assert.equal(c.setupTimeoutMs, 60_000, "the declaration's timeout (runtime/delivery.ts), as the stack told it");
    assert.equal(c.drainMs, 90_000, "three quarters of the stop timeout");
    assert.equal(c.idleExitMs, 300_000);
    assert.equal(c.healthPort, 8081);
    assert.equal(c.httpPort, null);
    assert.equal(c.params, null);
  });

  test("idleExit null (GANTRY_IDLE_EXIT=off) leaves scale-in to the target", () => {
    assert.equal(config({ idleExit: null }).idleExitMs, null);
  });

  test("a wrong kind is refused", () => {
    assert.throws(() => config({}, { GANTRY_KIND: "lambda" }), /GANTRY_KIND: Invalid option: expected one of "function"\|"class"/);
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
