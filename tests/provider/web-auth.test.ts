// Issue 14 item 5: a webApp with auth: "app" checks its own callers. No target adds gantry's token
// check for it, and without a certificate its load balancer stays internal (its callers' own
// credentials must not cross the internet in cleartext either).
import assert from "node:assert/strict";
import { test } from "node:test";
import { endpointsPrivate } from "../../policy/rules/endpoints-private.ts";
import { app, fn, llmApp } from "./fixtures/specs.ts";
import { planOf } from "./plan-view.ts";
import { summarizeAwsPlan } from "../../provider/aws/summary.ts";

const delegated = (auth: boolean) => app({
  functions: [fn("api", 70, { maxContainers: 2 }, { web: { kind: "app", public: true, ...(auth ? { auth: "app" as const } : {}), source: { file: "tests/provider/fixtures/apps/llm/app.ts", line: 70, column: 60 } } })],
});

test("AWS: no gantry token for an auth: \"app\" webApp, and an internal load balancer without a certificate", async () => {
  const view = await planOf(delegated(true));
  assert.equal(view.resources("gantry:aws:WebToken").length, 0, "no token secret: nothing checks one");
  const env = view.json("aws:ecs/taskDefinition:TaskDefinition", { declaration: "api" }, "containerDefinitions")[0].environment
    .map((e: { name: string }) => e.name);
  assert.ok(env.includes("GANTRY_HTTP_PORT"));
  assert.ok(!env.includes("GANTRY_TOKEN_SECRET_ARN"));
  assert.equal(view.inputs("aws:lb/loadBalancer:LoadBalancer").internal, true);
  const open = await planOf(delegated(false));
  assert.equal(open.inputs("aws:lb/loadBalancer:LoadBalancer").internal, false, "a public webApp takes no credentials: internet-facing");
  const tls = await planOf(delegated(true), { config: { "gantry:certificateArn": "arn:aws:acm:us-east-1:000000000000:certificate/abc" } });
  assert.equal(tls.inputs("aws:lb/loadBalancer:LoadBalancer").internal, false);
  assert.match(summarizeAwsPlan(view.plan).join("\n"), /webApp auth by the app \(no gantry token\)/);
});

test("Kubernetes: no GANTRY_WEB_TOKEN for an auth: \"app\" webApp", async () => {
  const view = await planOf(delegated(true), {
    config: { "gantry:target": "kubernetes", "gantry:redisSecret": "seed", "gantry:kubernetes": { nodePools: "karpenter", storageClass: "efs-sc", registry: "ghcr.io/acme" } },
    secretKeys: ["gantry:redisSecret"],
  });
  const container = view.inputs("kubernetes:apps/v1:Deployment", { declaration: "api" }).spec.template.spec.containers[0];
  assert.deepEqual(container.env.filter((e: { name: string }) => e.name === "GANTRY_WEB_TOKEN"), []);
});

test("endpoints-private: an auth: \"app\" webApp is not public; a public one still is", () => {
  const ctx = (spec: ReturnType<typeof delegated>) => ({ spec, resources: [], stack: "prod" }) as never;
  assert.deepEqual(endpointsPrivate.validate(ctx(delegated(true)), { allowPublic: [] }), []);
  assert.equal(endpointsPrivate.validate(ctx(delegated(false)), { allowPublic: [] }).length, 1);
});

test("AWS: API Gateway leaves preflights to the gateway Lambda: no API-level CORS (which would answer them itself and drop the backend's CORS headers), ANY routes", async () => {
  const view = await planOf(llmApp(), { secretValues: { "dict-1a2b3c": { OPENAI_KEY: "sk-live-123" } } });
  assert.equal(view.inputs("aws:apigatewayv2/api:Api").corsConfiguration, undefined);
  const keys = view.resources("aws:apigatewayv2/route:Route").map((r) => String((r.inputs as { routeKey: string }).routeKey));
  assert.ok(keys.includes("ANY /health") && keys.includes("ANY /_gantry/{proxy+}"), keys.join(", "));
});
