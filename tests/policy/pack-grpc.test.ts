/**
 * The policy pack as the Pulumi engine talks to it: the pack process is started the way
 * `pulumi preview --policy-pack policy` starts it (PulumiPolicy.yaml: node --import tsx, cwd = the
 * pack, require() of the directory), prints its port, and answers the Analyzer gRPC service.
 * No Pulumi CLI here: the test plays the engine's part with the SDK's own protobuf stubs.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { cls, gpu, spec } from "./helpers.ts";

const require = createRequire(import.meta.url);
const grpc = require("@grpc/grpc-js");
const services = require("@pulumi/pulumi/proto/analyzer_grpc_pb.js");
const messages = require("@pulumi/pulumi/proto/analyzer_pb.js");
const { Struct } = require("google-protobuf/google/protobuf/struct_pb.js");
const { Empty } = require("google-protobuf/google/protobuf/empty_pb.js");

const PACK = fileURLToPath(new URL("../../policy/", import.meta.url));

function call<T>(client: Record<string, Function>, method: string, request: unknown): Promise<T> {
  return new Promise((resolve, reject) => client[method](request, (err: Error | null, res: T) => (err ? reject(err) : resolve(res))));
}

function resource(type: string, name: string, props: Record<string, unknown>, parent?: string) {
  const r = new messages.AnalyzerResource();
  r.setType(type);
  r.setName(name);
  r.setUrn(`urn:pulumi:prod::llm::${type}::${name}`);
  r.setProperties(Struct.fromJavaScript(props));
  r.setOptions(new messages.AnalyzerResourceOptions());
  if (parent) r.setParent(parent);
  return r;
}

test("pulumi's engine view: the pack serves gantry's policies, takes config, reports violations", async (t) => {
  const child = spawn(process.execPath, ["--import", "tsx", "-e", `require(${JSON.stringify(PACK)})`], { cwd: PACK, stdio: ["ignore", "pipe", "pipe"] });
  t.after(() => child.kill());
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const port = await new Promise<string>((resolve, reject) => {
    child.stdout.once("data", (d) => resolve(String(d).trim()));
    child.once("exit", (code) => reject(new Error(`pack exited ${code}: ${stderr}`)));
  });
  assert.match(port, /^\d+$/);
  const client = new services.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  t.after(() => client.close());

  const info = await call<any>(client, "getAnalyzerInfo", new Empty());
  assert.equal(info.getName(), "gantry");
  const names = info.getPoliciesList().map((p: any) => p.getName());
  assert.ok(names.includes("gpu-budget") && names.includes("gpu-max-containers"), names.join());

  // the stack's config: `--policy-pack-config` with the same map gantry check takes
  const configure = new messages.ConfigureAnalyzerRequest();
  const budget = new messages.PolicyConfig();
  budget.setEnforcementlevel(messages.EnforcementLevel.MANDATORY);
  budget.setProperties(Struct.fromJavaScript({ monthlyUsd: 10000 }));
  configure.getPolicyconfigMap().set("gpu-budget", budget);
  await call(client, "configure", configure);

  const app = spec({ name: "llm", classes: [cls("LlamaInference", 17, { gpu: gpu("H100"), maxContainers: 20, timeout: 600 }), cls("Unbounded", 40, { gpu: gpu("T4"), timeout: 60 })] });
  const stack = resource("pulumi:pulumi:Stack", "llm-prod", { gantrySpec: JSON.parse(JSON.stringify(app)), specHash: "sha256:x" });
  const request = new messages.AnalyzeStackRequest();
  request.setResourcesList([stack, resource("aws:sqs/queue:Queue", "q", { visibilityTimeoutSeconds: 660, tags: { "gantry:declaration": "LlamaInference", "gantry:source": "app.ts:17:1" } }, stack.getUrn())]);
  const response = await call<any>(client, "analyzeStack", request);
  const diags = response.getDiagnosticsList().map((d: any) => ({ policy: d.getPolicyname(), level: d.getEnforcementlevel(), message: d.getMessage() }));
  assert.deepEqual(diags.map((d: any) => d.policy).sort(), ["gpu-budget", "gpu-max-containers"]);
  const b = diags.find((d: any) => d.policy === "gpu-budget");
  assert.equal(b.level, messages.EnforcementLevel.MANDATORY);
  // the SDK puts the policy's description first, then the message
  assert.match(b.message, /\napp.ts:17:1: GPU ceiling \$\d{3},\d{3}\/month exceeds the \$10,000\/month budget of stack "prod"/);
  assert.match(diags.find((d: any) => d.policy === "gpu-max-containers").message, /\napp.ts:40:1: Unbounded runs on GPU T4 without maxContainers/);
});
