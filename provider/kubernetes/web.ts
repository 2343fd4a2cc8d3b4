/**
 * Web on the cluster, through the user's Gateway (`gantry:kubernetes.gateway`, Gateway API v1;
 * ingress-nginx is retired, so no Ingress):
 *
 * - gantry:k8s:WebGateway — the app's `webEndpoint`s: a small CPU Deployment (at least one replica
 *   always: it answers while GPU units are at zero) + Service + `HTTPRoute` with one match per
 *   endpoint path (and `/docs`, `/openapi.json` where docs are on) and `/_gantry/` (result URLs,
 *   the docs page's assets). The gateway turns each request into an input on the unit's work
 *   stream and waits for the result, as the Lambda gateway does on AWS; its routing table
 *   (runtime/aws/gateway/table.ts, with each unit's stream as its "queue") is a ConfigMap. It runs
 *   the image of the first endpoint unit, with the argument `gateway`.
 * - gantry:k8s:WebRoute — a webApp/webServer: an `HTTPRoute` with the unit's path prefix
 *   (`/<function>`, as on AWS) to the unit's own Service.
 *
 * Cost: the gateway pod (250m CPU, 256 MiB) all month.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import { gatewayTableJson, type GatewayRoutes } from "../../runtime/aws/gateway/table.ts";
import { unitKeys } from "../../runtime/redis/keys.ts";
import { functionPath } from "../../runtime/web/routes.ts";
import { KubeComponent, sorted, type DeclarationRef, type Meta, type StackInfo } from "./component.ts";
import type { RedisConnection } from "./redis.ts";
import { stackSelector } from "./redis.ts";
import { HTTP_PORT, type Unit } from "./units.ts";

export const GATEWAY_NAME = "gateway";
export const GATEWAY_ROUTES_DIR = "/etc/gantry/gateway";
export const GATEWAY_REPLICAS = 2;

export interface GatewayParent {
  name: string;
  namespace: string | null;
  sectionName: string | null;
}

function parentRef(p: GatewayParent): Record<string, string> {
  return { group: "gateway.networking.k8s.io", kind: "Gateway", name: p.name, ...(p.namespace ? { namespace: p.namespace } : {}), ...(p.sectionName ? { sectionName: p.sectionName } : {}) };
}

/** The gateway's matches: each endpoint path exactly (docs pages too), and everything under /_gantry/. */
export function gatewayMatches(units: Unit[]): Array<{ path: { type: string; value: string } }> {
  const paths = new Set<string>();
  for (const u of units) for (const e of u.endpoints) {
    paths.add(e.path);
    if (e.web.docs) { paths.add(`${e.path}/docs`); paths.add(`${e.path}/openapi.json`); }
  }
  return [
    ...[...paths].sort().map((value) => ({ path: { type: "Exact", value } })),
    { path: { type: "PathPrefix", value: "/_gantry" } },
  ];
}

export interface WebGatewayInputs {
  routes: GatewayRoutes;
  units: Unit[];
  image: pulumi.Input<string>;
  imagePullSecrets: string[];
  redis: RedisConnection;
  redisUser: { name: string; secretName: string };
  webTokenSecret: string | null;
  parent: GatewayParent;
  hostnames: string[];
  labels: Record<string, string>;
  dependsOn: pulumi.Resource[];
}

export class WebGateway extends KubeComponent {
  readonly service: k8s.core.v1.Service;
  readonly route: k8s.apiextensions.CustomResource;

  constructor(name: string, info: StackInfo, inputs: WebGatewayInputs, opts?: pulumi.ComponentResourceOptions) {
    super("gantry:k8s:WebGateway", name, info, null, opts);
    const labels = { ...inputs.labels, "app.kubernetes.io/name": GATEWAY_NAME, "gantry.dev/role": "gateway" };
    const selector = { "gantry.dev/role": "gateway", ...stackSelector(labels) };
    const streams = Object.fromEntries(inputs.units.map((u) => [u.id, unitKeys(inputs.redis.keyNamespace, u.id).work]));
    const table = gatewayTableJson(inputs.routes, streams);
    const config = new k8s.core.v1.ConfigMap(`${name}-routes`, {
      metadata: this.meta("gateway-routes", labels),
      data: { "routes.json": table },
    }, this.childOpts);
    const env: k8s.types.input.core.v1.EnvVar[] = [
      ...Object.entries(sorted({
        GANTRY_APP: info.app,
        GANTRY_STACK: info.stack,
        GANTRY_GATEWAY_ROUTES: `${GATEWAY_ROUTES_DIR}/routes.json`,
        GANTRY_HTTP_PORT: String(HTTP_PORT),
        GANTRY_REDIS_URL: inputs.redis.url,
        GANTRY_REDIS_USER: inputs.redisUser.name,
        GANTRY_REDIS_NAMESPACE: inputs.redis.keyNamespace,
        GANTRY_TRANSPORT: "redis",
      })).map(([name, value]) => ({ name, value })),
      { name: "GANTRY_REDIS_PASSWORD", valueFrom: { secretKeyRef: { name: inputs.redisUser.secretName, key: "password" } } },
      ...(inputs.webTokenSecret ? [{ name: "GANTRY_WEB_TOKEN", valueFrom: { secretKeyRef: { name: inputs.webTokenSecret, key: "token" } } }] : []),
    ];
    const resources = { cpu: "250m", memory: "256Mi" };
    new k8s.apps.v1.Deployment(`${name}-deployment`, {
      metadata: this.meta(GATEWAY_NAME, labels),
      spec: {
        replicas: GATEWAY_REPLICAS,
        revisionHistoryLimit: 3,
        selector: { matchLabels: selector },
        strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
        template: {
          metadata: { labels: { ...labels, "gantry.dev/redis-client": "true", "gantry.dev/web": "true" }, annotations: { "gantry.dev/routes-hash": hash(table) } },
          spec: {
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            terminationGracePeriodSeconds: 60,
            nodeSelector: { "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64" },
            ...(inputs.imagePullSecrets.length ? { imagePullSecrets: inputs.imagePullSecrets.map((n) => ({ name: n })) } : {}),
            containers: [{
              name: "gateway",
              image: inputs.image,
              imagePullPolicy: "IfNotPresent",
              args: ["gateway"],
              env,
              ports: [{ name: "http", containerPort: HTTP_PORT, protocol: "TCP" }],
              resources: { requests: resources, limits: resources },
              readinessProbe: { httpGet: { path: "/readyz", port: "http" }, periodSeconds: 5, failureThreshold: 2 },
              livenessProbe: { httpGet: { path: "/livez", port: "http" }, periodSeconds: 10, failureThreshold: 6, timeoutSeconds: 5 },
              volumeMounts: [{ name: "routes", mountPath: GATEWAY_ROUTES_DIR, readOnly: true }],
              securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
            }],
            volumes: [{ name: "routes", configMap: { name: "gateway-routes" } }],
          },
        },
      },
    }, this.after([config, ...inputs.dependsOn]));
    this.service = new k8s.core.v1.Service(`${name}-service`, {
      metadata: this.meta(GATEWAY_NAME, labels),
      spec: { selector, ports: [{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }] },
    }, this.childOpts);
    this.route = httpRoute(this.childOpts, `${name}-route`, this.meta(GATEWAY_NAME, labels), inputs.parent, inputs.hostnames, gatewayMatches(inputs.units), GATEWAY_NAME);
    this.registerOutputs({});
  }
}

export interface WebRouteInputs {
  unit: Unit;
  parent: GatewayParent;
  hostnames: string[];
  labels: Record<string, string>;
}

export class WebRoute extends KubeComponent {
  readonly pathPrefix: string;

  constructor(name: string, info: StackInfo, ref: DeclarationRef, inputs: WebRouteInputs, opts?: pulumi.ComponentResourceOptions) {
    super("gantry:k8s:WebRoute", name, info, ref, opts);
    this.pathPrefix = functionPath(inputs.unit.name);
    httpRoute(this.childOpts, `${name}-route`, this.meta(inputs.unit.slug, inputs.labels), inputs.parent, inputs.hostnames, [{ path: { type: "PathPrefix", value: this.pathPrefix } }], inputs.unit.slug);
    this.registerOutputs({ pathPrefix: this.pathPrefix });
  }
}

function httpRoute(opts: pulumi.CustomResourceOptions, name: string, metadata: Meta, gateway: GatewayParent, hostnames: string[], matches: unknown[], service: string): k8s.apiextensions.CustomResource {
  return new k8s.apiextensions.CustomResource(name, {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "HTTPRoute",
    metadata,
    spec: {
      parentRefs: [parentRef(gateway)],
      ...(hostnames.length ? { hostnames } : {}),
      // the Gateway API allows 64 matches a rule (and 16 rules a route)
      rules: chunks(matches, MAX_MATCHES).map((part) => ({ matches: part, backendRefs: [{ name: service, port: 80 }] })),
    },
  }, opts);
}

export const MAX_MATCHES = 64;

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function hash(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 16);
}
