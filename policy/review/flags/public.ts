/**
 * "Public endpoint added": a web endpoint, app or server that is public now and was not (from the
 * specs); for a bare preview, an internet-facing load balancer, an API route without authorization,
 * or a security group opened to 0.0.0.0/0 that the base did not have.
 */
import type { AppSpec } from "../../../synth/spec.ts";
import { webEntriesOf } from "../../pools.ts";
import type { Flag, Side } from "../model.ts";

export function publicFlagsFromSpecs(base: AppSpec, head: AppSpec): Flag[] {
  const wasPublic = new Set(webEntriesOf(base).filter((e) => e.web.public).map((e) => e.label));
  const existed = new Set(webEntriesOf(base).map((e) => e.label));
  return webEntriesOf(head)
    .filter((e) => e.web.public && !wasPublic.has(e.label))
    .map((e) => ({
      kind: "public-endpoint-added" as const,
      declaration: e.declaration,
      source: e.web.source,
      details: [`${e.label} ${existed.has(e.label) ? "was private, now public" : "is a new public"} ${e.web.kind === "endpoint" ? `${e.web.method} endpoint` : e.web.kind === "app" ? "web app" : "web server"} (${e.web.kind !== "endpoint" && e.web.auth === "app" ? "auth by the app, no gantry token" : "no bearer token"})`],
    }));
}

export function publicFlagsFromResources(base: Side, head: Side): Flag[] {
  const flags: Flag[] = [];
  for (const r of head.resources.values()) {
    const old = base.resources.get(r.urn);
    const facts: string[] = [];
    if (r.type === "aws:lb/loadBalancer:LoadBalancer" && r.inputs.internal === false && old?.inputs.internal !== false) facts.push(`load balancer ${r.name} is internet-facing`);
    if (r.type === "aws:apigatewayv2/route:Route" && (r.inputs.authorizationType ?? "NONE") === "NONE" && (old ? (old.inputs.authorizationType ?? "NONE") !== "NONE" : true)) facts.push(`API route ${String(r.inputs.routeKey ?? r.name)} has no authorization`);
    if (opensToWorld(r.inputs) && !(old && opensToWorld(old.inputs))) facts.push(`${r.type.split(":").pop()} ${r.name} admits 0.0.0.0/0`);
    if (facts.length) flags.push({ kind: "public-endpoint-added", declaration: r.declaration, source: r.source, details: facts });
  }
  return flags;
}

function opensToWorld(inputs: Record<string, unknown>): boolean {
  if (inputs.cidrIpv4 === "0.0.0.0/0") return true;
  const ingress = inputs.ingress;
  return Array.isArray(ingress) && ingress.some((i) => Array.isArray((i as { cidrBlocks?: unknown }).cidrBlocks) && ((i as { cidrBlocks: unknown[] }).cidrBlocks).includes("0.0.0.0/0"));
}
