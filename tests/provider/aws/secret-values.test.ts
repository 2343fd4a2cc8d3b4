/**
 * `gantry secret create --stack` finds the secret the provider declared by its name and tags
 * (provider/aws/secret-values.ts): both sides must agree. The plan of a small app says what the
 * provider declares; the lookup's expectations are compared with it, not restated.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { expectedTags, secretString, stackSecretName } from "../../../provider/aws/secret-values.ts";
import { app, fn } from "../fixtures/specs.ts";
import { planOf, type PlanView } from "../plan-view.ts";

const SECRET = "aws:secretsmanager/secret:Secret";
let view: PlanView;

before(async () => {
  const spec = app({
    functions: [fn("embed", 30, { secrets: ["huggingface-token", "db"] })],
    secrets: [
      { kind: "named", id: "huggingface-token", name: "huggingface-token", requiredKeys: ["HF_TOKEN"], source: { file: "app.ts", line: 6, column: 12 } },
      { kind: "named", id: "db", name: "db", requiredKeys: [], source: { file: "app.ts", line: 7, column: 12 } },
    ],
  });
  view = await planOf(spec, { stack: "prod" });
});

describe("the stack secret of a Secret.fromName, as the provider declares it", () => {
  for (const name of ["huggingface-token", "db"]) {
    it(`${name}: the name and tags the lookup expects`, () => {
      const ref = { app: "llm-demo", stack: "prod", name };
      const inputs = view.inputs(SECRET, { declaration: `secret:${name}` });
      assert.equal(inputs.name, stackSecretName(ref));
      assert.equal(inputs.name, `gantry/llm-demo/prod/${name}`);
      const tags = inputs.tags as Record<string, string>;
      assert.deepEqual(Object.fromEntries(Object.keys(expectedTags(ref)).map((k) => [k, tags[k]])), expectedTags(ref));
    });
  }

  it("no SecretVersion without gantry:secrets config: the value written by gantry secret create is not overwritten by a deploy", () => {
    assert.equal(view.resources("aws:secretsmanager/secretVersion:SecretVersion").length, 0);
  });
});

describe("the value", () => {
  it("is a JSON object with sorted keys, like the value the provider writes from gantry:secrets", () => {
    assert.equal(secretString({ b: "2", A: "1", a: "x\"y" }), '{"A":"1","a":"x\\"y","b":"2"}');
  });
});
