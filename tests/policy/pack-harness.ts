/**
 * The policy pack started exactly as `pulumi preview --policy-pack policy` starts a Node.js pack,
 * and a client playing the engine's part over the Analyzer gRPC service (the SDK's own stubs).
 *
 * What the Pulumi CLI does (pulumi/pulumi, sdk/nodejs/cmd/pulumi-language-nodejs/main.go, RunPlugin):
 *   runPath = "@pulumi/pulumi/cmd/run-policy-pack"            // for req.Kind == AnalyzerPlugin
 *   args = append(args, runPath); args = append(args, nodeargs...)
 *   // "For policy analyzers we need to send the program directory as an argument _last_"
 *   args = append(args, req.Args...)                            // the engine's address
 *   args = append(args, req.Info.ProgramDirectory)
 *   cmd.Dir = req.Info.ProgramDirectory                         // cwd: the pack folder
 *   maybeAppendEnv("PULUMI_NODEJS_STACK", ...); maybeAppendEnv("PULUMI_CONFIG", configJSON)
 * i.e. `node <run-policy-pack> [nodeargs] <engine> <pack dir>`; run-policy-pack then require()s
 * the pack folder, and the pack prints its port on stdout.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";
import { ensureBuilt, ROOT } from "../package/built.ts";

const require = createRequire(import.meta.url);
export const grpc = require("@grpc/grpc-js");
export const services = require("@pulumi/pulumi/proto/analyzer_grpc_pb.js");
export const messages = require("@pulumi/pulumi/proto/analyzer_pb.js");
export const { Struct } = require("google-protobuf/google/protobuf/struct_pb.js");
export const { Empty } = require("google-protobuf/google/protobuf/empty_pb.js");

export const PACK_DIR = join(ROOT, "policy");

export interface StartedPack {
  child: ChildProcess;
  client: Record<string, Function> & { close(): void };
  stop(): void;
}

/** Starts the pack as the CLI does, with the stack's config (what `PULUMI_CONFIG` carries). */
export async function startPack(options: { stack?: string; config?: Record<string, string> } = {}): Promise<StartedPack> {
  ensureBuilt();
  // the language host resolves the module from the pack folder (locateModule(runPath, ProgramDirectory))
  const runPolicyPack = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [PACK_DIR] });
  const env: NodeJS.ProcessEnv = { ...process.env };
  // what the tests set for their own processes must not reach the pack: Pulumi does not set it
  delete env.NODE_OPTIONS;
  if (options.stack) env.PULUMI_NODEJS_STACK = options.stack;
  if (options.config) env.PULUMI_CONFIG = JSON.stringify(options.config);
  const engine = "127.0.0.1:1"; // the engine's address: the pack does not call the engine here
  const child = spawn(process.execPath, [runPolicyPack, engine, PACK_DIR], { cwd: PACK_DIR, env, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr += d));
  const port = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d) => {
      out += d;
      if (out.includes("\n")) resolve(out.split("\n")[0].trim());
    });
    child.once("exit", (code) => reject(new Error(`the pack exited (${code}) before printing its port:\n${stderr}`)));
  });
  if (!/^\d+$/.test(port)) throw new Error(`the pack printed ${JSON.stringify(port)}, not a port:\n${stderr}`);
  const client = new services.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return { child, client, stop: () => (client.close(), child.kill()) };
}

export function call<T>(client: Record<string, Function>, method: string, request: unknown): Promise<T> {
  return new Promise((resolve, reject) => client[method](request, (err: Error | null, res: T) => (err ? reject(err) : resolve(res))));
}

export function resource(type: string, name: string, props: Record<string, unknown>, urn: string, parent?: string) {
  const r = new messages.AnalyzerResource();
  r.setType(type);
  r.setName(name);
  r.setUrn(urn);
  r.setProperties(Struct.fromJavaScript(props));
  r.setOptions(new messages.AnalyzerResourceOptions());
  if (parent) r.setParent(parent);
  return r;
}

/** `configure` as the engine sends it for `--policy-pack-config` (level + properties per policy). */
export async function configure(client: Record<string, Function>, config: Record<string, string | Record<string, unknown>>): Promise<void> {
  const request = new messages.ConfigureAnalyzerRequest();
  const LEVELS: Record<string, number> = { advisory: messages.EnforcementLevel.ADVISORY, mandatory: messages.EnforcementLevel.MANDATORY, disabled: messages.EnforcementLevel.DISABLED };
  for (const [name, value] of Object.entries(config)) {
    const { enforcementLevel, ...props } = typeof value === "string" ? { enforcementLevel: value } : (value as Record<string, unknown>);
    const pc = new messages.PolicyConfig();
    if (typeof enforcementLevel === "string") pc.setEnforcementlevel(LEVELS[enforcementLevel]);
    pc.setProperties(Struct.fromJavaScript(props));
    request.getPolicyconfigMap().set(name, pc);
  }
  await call(client, "configure", request);
}

export interface Diagnostic {
  policy: string;
  level: "advisory" | "mandatory";
  /** the violation's message, without the policy description the SDK puts first */
  message: string;
  urn: string;
}

export async function analyzeStack(client: Record<string, Function>, resources: unknown[]): Promise<Diagnostic[]> {
  const request = new messages.AnalyzeStackRequest();
  request.setResourcesList(resources);
  const response = await call<any>(client, "analyzeStack", request);
  return response.getDiagnosticsList().map((d: any) => ({
    policy: d.getPolicyname(),
    level: d.getEnforcementlevel() === messages.EnforcementLevel.MANDATORY ? "mandatory" : "advisory",
    message: String(d.getMessage()).split("\n").slice(1).join("\n"),
    urn: d.getUrn(),
  }));
}
