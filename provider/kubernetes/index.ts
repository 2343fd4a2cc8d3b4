/**
 * The Kubernetes stack of an app: every gantry:k8s:* component, wired together. Shared objects
 * first (namespace, Redis and its users, secrets, volumes, images), then per unit its Deployment
 * and ScaledObject, its schedule, its web route; the node pools, the gateway, least privilege.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { AppSpec } from "../../synth/spec.ts";
import { unitKeys } from "../../runtime/redis/keys.ts";
import { gatewayRoutes } from "../../runtime/aws/gateway/table.ts";
import { functionPath } from "../../runtime/web/routes.ts";
import { ARTIFACT_KEY, promoteAgain } from "../artifact.ts";
import { prepareImages } from "../aws/index.ts";
import { ConfigError } from "../errors.ts";
import type { Target, TargetStack } from "../target.ts";
import { Access } from "./access.ts";
import { formatSource, KubeComponent, stackLabels, type DeclarationRef, type StackInfo } from "./component.ts";
import { readKubernetesSettings, type KubernetesSettings } from "./config.ts";
import { namedTypes, profileDescription } from "./gpu-labels.ts";
import { BuiltImage, DEFAULT_REGISTRY, isDigestRef, PinnedImage, repositoryOf, type AppImage } from "./image.ts";
import { defaultNamespace, keyNamespace, slug } from "./names.ts";
import { NodePools, nodePoolsOf } from "./node-pools.ts";
import { callerUser, connectionOf, gatewayUser, kedaUser, Redis, unitUser, type RedisUser } from "./redis.ts";
import { cronScheduleOf, Schedule, ScheduleError } from "./schedule.ts";
import { AppSecret } from "./secrets.ts";
import { AppVolume, claimName } from "./storage.ts";
import { summarizeKubernetesPlan } from "./summary.ts";
import { gatewayMatches, MAX_MATCHES, WebGateway, WebRoute } from "./web.ts";
import { UnitWorkload } from "./workload.ts";
import { gpuAffinityOf, HTTP_PORT, unitsOf, type Unit } from "./units.ts";

export type KubernetesAppInputs = TargetStack<KubernetesSettings>;

function unitRef(unit: Unit): DeclarationRef {
  return { declaration: unit.id, source: unit.source };
}

/** What the cluster cannot run, each at the declaration: `file:line:col: unit: why`. */
export function validateUnits(spec: AppSpec, settings: KubernetesSettings): string[] {
  const problems: string[] = [];
  const units = unitsOf(spec);
  for (const unit of units) {
    const where = `${formatSource(unit.source)}: ${unit.id}`;
    const { unsupported } = gpuAffinityOf(unit, settings.gpuLabels);
    for (const type of unsupported) {
      problems.push(`${where}: gpu "${type}" cannot be selected with gantry:kubernetes.gpuLabels: ${settings.gpuLabels} (${profileDescription(settings.gpuLabels)} names ${namedTypes(settings.gpuLabels).join(", ")}); choose one of those, or the label profile of a cluster that has ${type} nodes`);
    }
    if (unit.options.spot && settings.gpuLabels === "gfd") {
      problems.push(`${where}: spot: true cannot be expressed with gantry:kubernetes.gpuLabels: gfd (GPU Feature Discovery labels no capacity type, and fixed node pools are what they are); drop spot, or use gpuLabels karpenter or gke`);
    }
    if (unit.schedule) {
      try {
        cronScheduleOf(unit.schedule);
      } catch (err) {
        if (err instanceof ScheduleError) problems.push(err.message.replace(/^([^ ]+): /, `$1: ${unit.id}: `));
        else throw err;
      }
    }
    if (unit.server?.kind === "server" && unit.server.port === HTTP_PORT) {
      problems.push(`${formatSource(unit.server.source)}: ${unit.id}: webServer port ${HTTP_PORT} is where gantry's front door (bearer auth, /livez, /readyz) listens in the container; start your server on another port, e.g. 8080`);
    }
  }
  const endpointUnits = units.filter((u) => u.endpoints.length);
  if (endpointUnits.length && gatewayMatches(endpointUnits).length > 16 * MAX_MATCHES) {
    problems.push(`${formatSource(spec.app.source)}: ${gatewayMatches(endpointUnits).length} endpoint paths do not fit one HTTPRoute (16 rules of ${MAX_MATCHES} matches)`);
  }
  return problems;
}

/** The artifact's digest ref per image the units run; every problem as a ConfigError. */
export function pinnedImageRefs(artifact: NonNullable<KubernetesAppInputs["artifact"]>, units: Unit[], stack: string, file: string): Map<string, string> {
  const problems: string[] = [];
  const out = new Map<string, string>();
  for (const id of [...new Set(units.map((u) => u.options.image))].sort()) {
    const ref = artifact.images[id];
    if (ref === undefined) problems.push(`${file}: ${ARTIFACT_KEY}.images: no digest for image "${id}"; promote again: ${promoteAgain(artifact, stack)}`);
    else if (!isDigestRef(ref)) problems.push(`${file}: ${ARTIFACT_KEY}.images.${id}: "${ref}" is not a digest reference (<registry>/<repo>@sha256:...); promote again: ${promoteAgain(artifact, stack)}`);
    else out.set(id, ref);
  }
  if (problems.length) throw new ConfigError(problems);
  return out;
}

/** The namespace, when the stack creates it (shared by the whole app). */
class AppNamespace extends KubeComponent {
  readonly namespace: k8s.core.v1.Namespace;

  constructor(name: string, info: StackInfo, labels: Record<string, string>, opts?: pulumi.ComponentResourceOptions) {
    super("gantry:k8s:Namespace", name, info, null, opts);
    this.namespace = new k8s.core.v1.Namespace(`${name}-namespace`, { metadata: this.meta(info.namespace, labels, { cluster: true }) }, this.childOpts);
    this.registerOutputs({ name: info.namespace });
  }
}

/** The bearer token of private webApp/webServer units and endpoints (`gantry:webToken`). */
class WebToken extends KubeComponent {
  constructor(name: string, info: StackInfo, token: pulumi.Output<string>, labels: Record<string, string>, opts?: pulumi.ComponentResourceOptions) {
    super("gantry:k8s:WebToken", name, info, null, opts);
    new k8s.core.v1.Secret(`${name}-secret`, { metadata: this.meta("web-token", labels), type: "Opaque", stringData: { token: pulumi.secret(token) } }, this.childOpts);
    this.registerOutputs({});
  }
}

export async function createKubernetesApp(inputs: KubernetesAppInputs): Promise<Record<string, unknown>> {
  const { spec, settings, config } = inputs;
  const namespace = settings.namespace ?? defaultNamespace(spec.app.name, inputs.stack);
  const labels = stackLabels({ app: spec.app.name, stack: inputs.stack });
  const base: StackInfo = { app: spec.app.name, stack: inputs.stack, source: spec.app.source, namespace, dependsOn: [] };
  const ns = settings.createNamespace ? new AppNamespace("gantry-namespace", base, labels) : null;
  const info: StackInfo = { ...base, dependsOn: ns ? [ns.namespace] : [] };
  const units = unitsOf(spec);
  const notes: string[] = [];

  // Redis and who may do what on it
  const keyNs = keyNamespace(spec.app.name, inputs.stack);
  const connection = connectionOf(settings.redis, namespace, keyNs);
  const all = units.map((u) => u.id);
  const unitUsers = new Map<string, RedisUser>(units.map((u) => [u.id, unitUser(keyNs, u.slug, {
    // the spec does not record which units a unit calls: every unit may call every unit (as on AWS)
    unit: u.id, calls: all.filter((id) => id !== u.id), dicts: spec.dicts.map((d) => d.name), queues: spec.queues.map((q) => q.name),
  })]));
  const endpointUnits = units.filter((u) => u.endpoints.length > 0);
  const serverUnits = units.filter((u) => u.server !== null);
  const caller = callerUser(keyNs, { units: all, dicts: spec.dicts.map((d) => d.name), queues: spec.queues.map((q) => q.name) });
  const users = [...unitUsers.values(), ...(endpointUnits.length ? [gatewayUser(keyNs, endpointUnits.map((u) => u.id))] : []), caller, kedaUser(keyNs, units.filter((u) => !u.server).map((u) => u.id))];
  const redis = new Redis("gantry-redis", info, { settings: settings.redis, connection, users, seed: settings.redisSecret, labels });
  if (!settings.redisSecret) notes.push("gantry:redisSecret is not set: every Redis user is created off until it is (pulumi config set --secret gantry:redisSecret $(openssl rand -hex 32))");

  const secrets = new Map(spec.secrets.map((s) => [s.id, new AppSecret(`secret-${slug(s.kind === "named" ? s.name : s.id)}`, info, {
    spec: s, projectRoot: inputs.projectRoot, dictValues: inputs.secretValues[s.id],
    configValue: s.kind === "named" ? config.secrets[s.name] : undefined, labels,
  })]));
  const volumes = new Map(spec.volumes.map((v) => [v.name, new AppVolume(`volume-${slug(v.name)}`, info, v, settings.storageClass, labels)]));
  const claims = new Map(spec.volumes.map((v) => [v.name, claimName(v.name)]));

  // images: built and pushed, or a promoted stack's digests
  const registry = settings.registry ?? DEFAULT_REGISTRY;
  if (!settings.registry && !inputs.artifact) notes.push(`gantry:kubernetes.registry is not set: images are pushed to ${DEFAULT_REGISTRY} (set it to a registry the cluster pulls from)`);
  const imageSpec = (id: string) => spec.images.find((i) => i.id === id)!;
  const images = new Map<string, AppImage>();
  if (inputs.artifact) {
    for (const [id, ref] of pinnedImageRefs(inputs.artifact, units, inputs.stack, inputs.stackFile)) images.set(id, new PinnedImage(`image-${slug(id)}`, info, { spec: imageSpec(id), ref }));
  } else {
    for (const p of (await prepareImages(inputs, units)).values()) {
      images.set(p.spec.id, new BuiltImage(`image-${slug(p.spec.id)}`, info, { ...p, repository: repositoryOf(registry, spec.app.name, p.spec.id) }));
      if (p.bundle.note) notes.push(p.bundle.note);
    }
  }

  const needsToken = units.some((u) => u.endpoints.some((e) => !e.web.public) || (u.server !== null && !u.server.public));
  if (needsToken && !config.webToken) notes.push("private endpoints and web apps refuse every request until a token is set: pulumi config set --secret gantry:webToken <token>");
  const tokenSecret = needsToken && config.webToken ? (new WebToken("gantry-web-token", info, config.webToken, labels), "web-token") : null;

  const scaledObjects = Object.fromEntries(units.map((u) => [u.id, `${namespace}/${u.slug}`]));
  for (const unit of units) {
    const user = unitUsers.get(unit.id)!;
    new UnitWorkload(unit.slug, info, unitRef(unit), {
      unit, specHash: inputs.specHash, image: images.get(unit.options.image)!.ref, imagePullSecrets: settings.imagePullSecrets,
      affinity: gpuAffinityOf(unit, settings.gpuLabels).affinity, redis: connection, redisUser: user, scaledObjects,
      secrets: unit.options.secrets.map((id) => secrets.get(id)!.ref), claims,
      webTokenSecret: unit.server && !unit.server.public ? tokenSecret : null, labels, dependsOn: [redis.ready],
    });
    if (unit.schedule) {
      new Schedule(unit.slug, info, unitRef(unit), {
        slug: unit.slug, functionName: unit.name, spec: unit.schedule, unit: unit.id, redis: connection,
        user: { name: user.name, passwordSecret: user.secretName }, labels: { ...labels, "gantry.dev/unit": unit.slug },
      });
    }
    if (unit.server) new WebRoute(unit.slug, info, unitRef(unit), { unit, parent: settings.gateway, hostnames: settings.hostnames, labels });
  }
  if (endpointUnits.length) {
    const user = users.find((u) => u.name === "gantry-gateway")!;
    new WebGateway("gantry-gateway", info, {
      routes: { ...gatewayRoutes(spec), routes: gatewayRoutes(spec).routes.filter((r) => endpointUnits.some((u) => u.id === r.unit)) },
      units: endpointUnits, image: images.get(endpointUnits[0].options.image)!.ref, imagePullSecrets: settings.imagePullSecrets,
      redis: connection, redisUser: user, webTokenSecret: tokenSecret, parent: settings.gateway, hostnames: settings.hostnames, labels, dependsOn: [redis.ready],
    });
  }
  if (settings.nodePools === "karpenter") {
    for (const pool of nodePoolsOf(units, namespace)) new NodePools(`nodepool-${pool.key}`, info, pool, settings.nodeClass, labels);
  }
  new Access("gantry-access", info, {
    units: units.map((u) => u.slug), redisInNamespace: settings.redis.kind === "deploy",
    web: endpointUnits.length > 0 || serverUnits.length > 0, kedaNamespace: settings.kedaNamespace, labels,
  });
  if (units.some((u) => u.options.enableMemorySnapshot)) notes.push("enableMemorySnapshot has no effect on Kubernetes: pods start cold (set minContainers to keep one warm)");

  const host = settings.hostnames[0] ? `https://${settings.hostnames[0]}` : "";
  return {
    app: spec.app.name,
    stack: inputs.stack,
    specHash: inputs.specHash,
    gantrySpec: spec,
    namespace,
    redis: { url: connection.url, keyNamespace: keyNs, mode: settings.redis.kind, callerUser: caller.name, callerSecret: caller.secretName },
    endpoints: Object.fromEntries(endpointUnits.flatMap((u) => u.endpoints.map((e) => [`${e.web.method} ${e.path}`, `${host}${e.path}`]))),
    webApps: Object.fromEntries(serverUnits.map((u) => [u.id, `${host}${functionPath(u.name)}`])),
    images: pulumi.all(Object.fromEntries([...images].map(([id, img]) => [id, img.ref]))),
    ...(inputs.artifact ? { artifact: { fromStack: inputs.artifact.fromStack, specHash: inputs.artifact.specHash, planHash: inputs.artifact.planHash } } : {}),
    notes: [...new Set(notes)],
  };
}

/** The Kubernetes target: Deployments scaled by KEDA on a cluster the user runs, calls on Redis (provider/target.ts). */
export const kubernetesTarget: Target<KubernetesSettings> = {
  name: "kubernetes",
  readSettings: readKubernetesSettings,
  validate: validateUnits,
  declare: createKubernetesApp,
  summarize: summarizeKubernetesPlan,
};
