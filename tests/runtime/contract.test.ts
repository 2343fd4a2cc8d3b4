/** The container contract (runtime/contract.ts): one variable per field, decoded exactly as encoded, every problem named. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ContainerContract, ContainerContractError, containerEnvNames, decodeContainerEnv, encodeContainerEnv } from "../../runtime/contract.ts";
import { awsContract } from "./aws/fixtures/contract.ts";

describe("the container contract", () => {
  test("decode(encode(c)) is c with the schema's defaults, and the defaults are not written", () => {
    const c = awsContract();
    const env = encodeContainerEnv(c);
    assert.deepEqual(decodeContainerEnv(env), ContainerContract.parse(c));
    for (const name of ["GANTRY_LOG_LEVEL", "GANTRY_PARAMS", "GANTRY_DRAIN_SECONDS", "GANTRY_SQS_WAIT_SECONDS", "GANTRY_CANCEL_POLL_MS", "GANTRY_HEARTBEAT_MS", "GANTRY_TOKEN_SECRET_ARN"]) {
      assert.equal(env[name], undefined, name);
    }
    assert.equal(decodeContainerEnv(env).logLevel, "info");
  });

  test("every field has its variable: a contract with every optional field set writes exactly containerEnvNames", () => {
    const c = awsContract(
      { appFile: "/app.mjs", params: { model: "x" }, drainSeconds: 5, logLevel: "debug", idleExit: 60 },
      { tokenSecretArn: "arn:token", heartbeatMs: 100, waitTimeSeconds: 1, cancelPollMs: 50, resultInlineBytes: 10, wake: { square: { targetInputs: 1, maxContainers: 3 } } },
    );
    const env = encodeContainerEnv(c);
    assert.deepEqual(Object.keys(env), containerEnvNames("aws"));
    assert.deepEqual(decodeContainerEnv(env), ContainerContract.parse(c));
  });

  test("null is written as off", () => {
    const env = encodeContainerEnv(awsContract({ idleExit: null, healthPort: null, httpPort: 8000 }));
    assert.deepEqual([env.GANTRY_IDLE_EXIT, env.GANTRY_HEALTH_PORT, env.GANTRY_HTTP_PORT], ["off", "off", "8000"]);
  });

  test("one error names every missing or bad variable", () => {
    assert.throws(() => decodeContainerEnv({ GANTRY_TRANSPORT: "aws", GANTRY_TIMEOUT: "-1", GANTRY_BATCHING: "[" }), (e: Error) => {
      assert.ok(e instanceof ContainerContractError);
      const named = e.problems.map((p) => p.split(/[:=]/)[0]);
      assert.ok(named.includes("GANTRY_APP") && named.includes("GANTRY_QUEUE_URL") && named.includes("GANTRY_MAX_RECEIVE_COUNT"));
      assert.ok(e.problems.includes("GANTRY_TIMEOUT: Too small: expected number to be >=0"));
      assert.ok(e.problems.includes('GANTRY_BATCHING="[": not valid JSON: ['));
      assert.equal(named.filter((n) => n === "GANTRY_BATCHING").length, 1, "an unreadable variable is not also reported missing");
      return true;
    });
    assert.throws(() => decodeContainerEnv({ ...encodeContainerEnv(awsContract()), GANTRY_TRANSPORT: "carrier-pigeon" }), /GANTRY_TRANSPORT="carrier-pigeon": not a transport \(one of aws, redis\)/);
  });

  test("a nested problem is named inside its variable", () => {
    const env = { ...encodeContainerEnv(awsContract()), GANTRY_RETRIES: JSON.stringify({ maxRetries: 99, backoffCoefficient: 2, initialDelay: 1, maxDelay: 60 }) };
    assert.throws(() => decodeContainerEnv(env), /GANTRY_RETRIES\.maxRetries: Too big/);
  });

  test("the writer cannot encode a contract the container would refuse", () => {
    // a redrive count of 1 dead-letters an input on its first crash, with no result for its caller
    assert.throws(() => encodeContainerEnv(awsContract({}, { maxReceiveCount: 1 })), /GANTRY_MAX_RECEIVE_COUNT: Too small/);
  });
});
