/**
 * The AWS stack of an app: every gantry:aws:* component, wired together. Shared infrastructure
 * first (network, capacity, state, secrets, volumes, images), then per unit (function, class,
 * variant) its queue, web routing, service and schedule.
 */
import { takesCredentials } from "../../synth/units.ts";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { AppSpec, ImageSpec } from "../../synth/spec.ts";
import { ARTIFACT_KEY, promoteAgain, type Artifact } from "../artifact.ts";
import { ConfigError, SynthError } from "../errors.ts";
import type { Target, TargetStack } from "../target.ts";
import { readAwsSettings, type AwsSettings } from "./config.ts";
import { summarizeAwsPlan } from "./summary.ts";
import { scalingGrantOf, scalingResourceId, wakeTableOf } from "./autoscaling.ts";
import { bundleApp, bundleGateway, hashPaths, packageName, type Bundle } from "./bundle.ts";
import { formatSource, type DeclarationRef, type StackInfo } from "./component.ts";
import { renderDockerfile } from "./dockerfile.ts";
import { FunctionQueue, MAX_TIMEOUT_SECONDS, VISIBILITY_MARGIN_SECONDS } from "./function-queue.ts";
import { FunctionService, HTTP_PORT, taskFamilyOf, type WebAttachment } from "./function-service.ts";
import { schedulableMemoryMiB } from "./gpu-table.ts";
import { Capacity } from "./gpu-capacity.ts";
import { BuiltImage, ecrRepositoryArn, PinnedImage, type AppImage } from "./image.ts";
import { CALL_STATE_NAME, CAPACITY_NAME, shortHash, slug } from "./names.ts";
import { Network } from "./network.ts";
import { Schedule, scheduleExpressions } from "./schedule.ts";
import { adoptNamedSecret, sdkSecretAccount } from "./secret-adoption.ts";
import { AppSecret } from "./secrets.ts";
import { CallState, DictTable, StateQueue } from "./state.ts";
import { capacityGroupsOf, unitsOf, type CapacityGroup, type Unit } from "./units.ts";
import { AppVolume } from "./volume.ts";
import { gatewayConfig } from "./gateway/routes.ts";
import { Api, LoadBalancer, ServerRoute, SWAGGER_FILES, WebGateway, WebRoutes, WebToken } from "./web.ts";

/** What the AWS target declares a stack from (see TargetStack); `settings` from gantry:network, ... */
export type AwsAppInputs = TargetStack<AwsSettings>;

// SynthError moved to provider/errors.ts (every target raises it); kept here for old imports
export { SynthError };

function unitRef(unit: Unit): DeclarationRef {
  return { declaration: unit.id, source: unit.source };
}

/**
 * Checks the units fit AWS before anything is declared (what every target checks is in
 * provider/checks.ts).
 */
export function validateUnits(spec: AppSpec, units: Unit[], groups: CapacityGroup[], settings: AwsSettings): string[] {
  const problems: string[] = [];
  for (const unit of units) {
    const where = `${formatSource(unit.source)}: ${unit.id}`;
    const group = groups.find((g) => g.key === unit.capacity)!;
    for (const size of group.instances) {
      if (unit.task.memoryMiB > schedulableMemoryMiB(size)) {
        problems.push(`${where}: memory ${unit.task.memoryMiB} MiB does not fit ${size.instanceType} (at most ${schedulableMemoryMiB(size)} MiB for tasks)`);
      }
      if (unit.task.cpuUnits > size.vcpus * 1024) {
        problems.push(`${where}: cpu ${unit.task.cpuUnits / 1024} does not fit ${size.instanceType} (${size.vcpus} vCPU)`);
      }
    }
    if (unit.schedule) {
      try {
        scheduleExpressions(unit.schedule);
      } catch (err) {
        problems.push((err as Error).message);
      }
    }
    if (unit.options.spot && unit.options.enableMemorySnapshot) {
      // memory snapshots are warm pools of stopped instances, and PutWarmPool refuses groups whose
      // launch template requests Spot Instances (EC2 Auto Scaling API reference, PutWarmPool)
      problems.push(`${where}: spot: true and enableMemorySnapshot: true cannot go together on AWS: memory snapshots are an EC2 Auto Scaling warm pool, which AWS does not allow on a group that requests Spot Instances; drop one of the two (or run a spot variant without enableMemorySnapshot)`);
    }
    if (unit.options.timeout > MAX_TIMEOUT_SECONDS) {
      // SQS hides a received message for 12 hours at most; the runtime cannot extend that (runtime/aws/README.md)
      problems.push(`${where}: timeout ${unit.options.timeout} s is too long for AWS: SQS hides an input from other containers for at most 12 hours after its receive, so a longer attempt would run a second time in parallel; use at most timeout: ${MAX_TIMEOUT_SECONDS} (12 h less ${VISIBILITY_MARGIN_SECONDS} s to store the outcome), in code or in gantry:overrides, or split the work into calls that checkpoint to a Volume or Dict`);
    }
    if (unit.server?.kind === "server" && unit.server.port === HTTP_PORT) {
      problems.push(`${formatSource(unit.server.source)}: ${unit.id}: webServer port ${HTTP_PORT} is where gantry's front door (bearer auth, /livez, /readyz) listens in the container; start your server on another port, e.g. 8080`);
    }
  }
  const servers = units.filter((u) => u.server);
  if (servers.length && settings.network.kind === "existing" && settings.network.publicSubnetIds.length < 2) {
    problems.push(`${formatSource(servers[0].source)}: ${servers[0].id} needs a load balancer, which needs public subnets in two availability zones; gantry:network.publicSubnetIds has ${settings.network.publicSubnetIds.length}`);
  }
  for (const volume of spec.volumes) {
    if (!volume.createIfMissing && !settings.volumes[volume.name]) {
      problems.push(`${formatSource(volume.source)}: volume "${volume.name}" has createIfMissing: false; set gantry:volumes.${volume.name}.fileSystemId in Pulumi.<stack>.yaml to the existing EFS file system`);
    }
  }
  return problems;
}

/** Stable listener rule priorities (1..50000) from the unit ids, independent of the other units. */
export function rulePriorities(ids: string[]): Map<string, number> {
  const taken = new Set<number>();
  const out = new Map<string, number>();
  for (const id of [...ids].sort()) {
    let p = 1 + (parseInt(shortHash(id), 16) % 49999);
    while (taken.has(p)) p = (p % 50000) + 1;
    taken.add(p);
    out.set(id, p);
  }
  return out;
}

/**
 * The artifact's digest ref per image the units run; every problem (an image without a digest,
 * a digest outside ECR) as a ConfigError with its key path.
 */
export function pinnedImageRefs(artifact: Artifact, units: Unit[], stack: string, file: string): Map<string, string> {
  const problems: string[] = [];
  const out = new Map<string, string>();
  const users = new Map<string, string[]>();
  for (const unit of units) users.set(unit.options.image, [...(users.get(unit.options.image) ?? []), unit.id]);
  for (const [id, ids] of [...users].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const ref = artifact.images[id];
    if (ref === undefined) {
      problems.push(`${file}: ${ARTIFACT_KEY}.images: no digest for image "${id}" (run by ${ids.join(", ")}); promote again: ${promoteAgain(artifact, stack)}`);
    } else if (!ecrRepositoryArn(ref)) {
      problems.push(`${file}: ${ARTIFACT_KEY}.images.${id}: "${ref}" is not in an ECR repository (<account>.dkr.ecr.<region>.amazonaws.com/<name>@sha256:...); gantry deploy records ECR digests: promote again: ${promoteAgain(artifact, stack)}`);
    } else out.set(id, ref);
  }
  if (problems.length) throw new ConfigError(problems);
  return out;
}

/** Where bundles go: per app and stack, so synths of different apps never share files. */
function buildDir(inputs: Pick<AwsAppInputs, "spec" | "stack">): string {
  return `.gantry/build/${slug(inputs.spec.app.name)}/${inputs.stack}`;
}

export interface PreparedImage { spec: ImageSpec; dockerfile: string; bundle: Bundle; context: string; localFilesHash: string }

/** The bundle and Dockerfile of each image the units run (the Kubernetes target builds the same images). */
export async function prepareImages(inputs: Pick<AwsAppInputs, "spec" | "stack" | "projectRoot">, units: Array<{ options: { image: string } }>): Promise<Map<string, PreparedImage>> {
  const used = new Set(units.map((u) => u.options.image));
  const out = new Map<string, PreparedImage>();
  for (const image of inputs.spec.images.filter((i) => used.has(i.id))) {
    const externals = image.layers.flatMap((l) => (l.kind === "npm" ? l.packages.map(packageName) : []));
    const bundle = await bundleApp(inputs.projectRoot, inputs.spec.entry, `${buildDir(inputs)}/${image.id}`, externals);
    let userDockerfile: string | undefined;
    let context = bundle.dir;
    let localPaths = image.layers.flatMap((l) => (l.kind === "addLocalFile" || l.kind === "addLocalDir" ? [l.local] : []));
    if (image.base.kind === "dockerfile") {
      userDockerfile = readFileSync(join(inputs.projectRoot, image.base.path), "utf8");
      context = image.base.context;
      localPaths = [image.base.context];
    } else if (localPaths.length) context = ".";
    const dockerfile = renderDockerfile(image, { entry: bundle.entry, userDockerfile });
    out.set(image.id, { spec: image, dockerfile, bundle, context, localFilesHash: hashPaths(inputs.projectRoot, localPaths) });
  }
  return out;
}

/**
 * At deploy time, the named secrets to adopt (restored from their recovery window) by name, see
 * secret-adoption.ts; offline, none.
 */
async function adoptNamedSecrets(inputs: AwsAppInputs, info: StackInfo): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const live = inputs.live;
  const named = inputs.spec.secrets.flatMap((s) => (s.kind === "named" ? [s] : []));
  if (!live || !named.length) return out;
  const awsConfig = new pulumi.Config("aws");
  const account = live.secretAccount ?? sdkSecretAccount({ region: awsConfig.get("region"), profile: awsConfig.get("profile") });
  for (const s of named) {
    const adoption = await adoptNamedSecret(account, { app: info.app, stack: info.stack, name: s.name }, live.dryRun);
    if (adoption.kind === "adopt") {
      pulumi.log.info(`${formatSource(s.source)}: secret ${s.name} was restored from its recovery window and is adopted with its value`);
      out.set(s.name, adoption.arn);
    } else if (adoption.kind === "warn") {
      pulumi.log.warn(`${formatSource(s.source)}: ${adoption.message}`);
    }
  }
  return out;
}

/** Declares the stack (already checked by awsTarget.validate); returns its outputs. */
export async function createAwsApp(inputs: AwsAppInputs): Promise<Record<string, unknown>> {
  const { spec, config, settings, projectRoot } = inputs;
  const info: StackInfo = { app: spec.app.name, stack: inputs.stack, source: spec.app.source };
  const units = unitsOf(spec);
  const groups = capacityGroupsOf(units);
  const artifact = inputs.artifact;
  // a promoted stack runs the source stack's digests: nothing to bundle or build
  const pinned = artifact ? pinnedImageRefs(artifact, units, inputs.stack, inputs.stackFile) : null;
  const images = pinned ? new Map<string, PreparedImage>() : await prepareImages(inputs, units);
  const endpointUnits = units.filter((u) => u.endpoints.length > 0);
  const serverUnits = units.filter((u) => u.server !== null);
  const gatewayBundle = endpointUnits.length ? await bundleGateway(projectRoot, `${buildDir(inputs)}/gateway`, SWAGGER_FILES) : null;

  const region = aws.getRegionOutput({}).region;
  const network = new Network("gantry-network", info, settings.network);
  const imageSpec = (id: string) => spec.images.find((i) => i.id === id)!;
  const appImages = new Map<string, AppImage>(pinned
    ? [...pinned].map(([id, ref]) => [id, new PinnedImage(`image-${slug(id)}`, info, { spec: imageSpec(id), ref })])
    : [...images.values()].map((p) => [p.spec.id, new BuiltImage(`image-${slug(p.spec.id)}`, info, p)]));
  // warm-pool groups pull the images of their declarations before they are stopped
  const prePull = new Map(groups.filter((g) => g.warmPool).map((g) => [g.key,
    [...new Set(units.filter((u) => u.capacity === g.key).map((u) => u.options.image))].map((id) => appImages.get(id)!.ref)]));
  const capacity = new Capacity(CAPACITY_NAME, info, { network, groups, prePull, declarations: new Map(units.map((u) => [u.id, unitRef(u)])) });
  const state = new CallState(CALL_STATE_NAME, info);
  const adoptArns = await adoptNamedSecrets(inputs, info);
  const secrets = new Map(spec.secrets.map((s) => {
    const label = s.kind === "named" ? s.name : s.id;
    return [s.id, new AppSecret(`secret-${slug(label)}`, info, {
      spec: s, projectRoot, dictValues: inputs.secretValues[s.id],
      configValue: s.kind === "named" ? config.secrets[s.name] : undefined,
      adoptArn: s.kind === "named" ? adoptArns.get(s.name) : undefined,
    })];
  }));
  const privateSubnetCount = settings.network.kind === "existing" ? settings.network.privateSubnetIds.length : 2;
  const volumes = new Map(spec.volumes.map((v) => [v.name, new AppVolume(`volume-${slug(v.name)}`, info, {
    spec: v, network, privateSubnetCount, existingFileSystemId: settings.volumes[v.name]?.fileSystemId,
  })]));
  const dicts = new Map(spec.dicts.map((d) => [d.name, new DictTable(`dict-${slug(d.name)}`, info, d)]));
  const stateQueues = new Map(spec.queues.map((q) => [q.name, new StateQueue(`queue-${slug(q.name)}`, info, q)]));
  const queues = new Map(units.map((u) => [u.id, new FunctionQueue(u.slug, info, unitRef(u), u)]));

  // updateAutoscaler: every task knows every service's scaling target, and may change those only
  const scalingTargets = new Map(units.map((u) => [u.id, scalingResourceId(capacity.cluster.name, u)]));
  const scaling = scalingGrantOf(capacity.cluster, info, units.map((u) => taskFamilyOf(info, u)));
  const wake = wakeTableOf(units);

  const needsToken = units.some((u) => u.endpoints.some((e) => !e.web.public) || (u.server !== null && !u.server.public));
  const token = needsToken ? new WebToken("gantry-web-token", info, config.webToken) : null;
  const api = endpointUnits.length ? new Api("gantry-api", info) : null;
  if (api) {
    const gateway = new WebGateway("gantry-gateway", info, {
      config: gatewayConfig(spec, endpointUnits), bundle: gatewayBundle!, api,
      queues: new Map(endpointUnits.map((u) => [u.id, queues.get(u.id)!])), state, token, logRetentionDays: settings.logRetentionDays,
      wake: {
        targets: new Map(endpointUnits.filter((u) => wake[u.id]).map((u) => [u.id, { resourceId: scalingTargets.get(u.id)!, ...wake[u.id] }])),
        serviceArn: scaling.serviceArn,
      },
    });
    for (const unit of endpointUnits) new WebRoutes(unit.slug, info, unitRef(unit), unit, api, gateway);
  }
  const lb = serverUnits.length ? new LoadBalancer("gantry-lb", info, {
    network, certificateArn: settings.certificateArn, privateServers: serverUnits.some((u) => takesCredentials(u.server!)),
  }) : null;
  const priorities = rulePriorities(serverUnits.map((u) => u.id));
  const webOf = new Map<string, WebAttachment>();
  for (const unit of serverUnits) {
    const route = new ServerRoute(unit.slug, info, unitRef(unit), { unit, network, loadBalancer: lb!, priority: priorities.get(unit.id)! });
    webOf.set(unit.id, { targetGroup: route.targetGroup, loadBalancer: lb!.loadBalancer, securityGroup: lb!.securityGroup, rule: route.rule, pathPrefix: route.pathPrefix });
  }

  for (const unit of units) {
    new FunctionService(unit.slug, info, unitRef(unit), {
      unit, region, logRetentionDays: settings.logRetentionDays, specHash: inputs.specHash,
      cluster: capacity.cluster, capacityProvider: capacity.providers.get(unit.capacity)!, association: capacity.association,
      network, queue: queues.get(unit.id)!, queues, image: appImages.get(unit.options.image)!, secrets, volumes, state,
      dicts, stateQueues, scalingTargets, scaling, wake, web: webOf.get(unit.id) ?? null,
      webToken: unit.server && !unit.server.public ? token : null,
    });
    if (unit.schedule) new Schedule(unit.slug, info, unitRef(unit), unit.name, unit.schedule, queues.get(unit.id)!);
  }

  return {
    app: spec.app.name,
    stack: inputs.stack,
    specHash: inputs.specHash,
    // the policy pack reads the app spec from here during `pulumi preview --policy-pack policy`
    gantrySpec: spec,
    cluster: capacity.cluster.name,
    queueUrls: pulumi.all(Object.fromEntries([...queues].map(([id, q]) => [id, q.queue.url]))),
    endpoints: api ? pulumi.all(Object.fromEntries(endpointUnits.flatMap((u) => u.endpoints.map((e) => [
      `${e.web.method} ${e.path}`, pulumi.interpolate`${api.url}${e.path}`,
    ])))) : {},
    webApps: lb ? pulumi.all(Object.fromEntries(serverUnits.map((u) => [u.id, pulumi.interpolate`${lb.url}${webOf.get(u.id)!.pathPrefix}`]))) : {},
    images: pulumi.all(Object.fromEntries([...appImages].map(([id, img]) => [id, img.ref]))),
    // what a promoted stack was promoted with (gantry:artifact), for review and the records
    // (its sequence is the record gantry deploy checks promotion order against, policy/promote/order.ts)
    ...(artifact ? { artifact: {
      fromStack: artifact.fromStack, specHash: artifact.specHash, planHash: artifact.planHash,
      ...(artifact.sequence !== undefined ? { sequence: artifact.sequence } : {}),
      ...(artifact.commit !== undefined ? { commit: artifact.commit } : {}),
    } } : {}),
    notes: [...new Set([...images.values()].map((p) => p.bundle.note).filter((n): n is string => n !== null))],
  };
}

/** The AWS target: ECS on EC2 with GPU capacity groups, SQS + DynamoDB calls (provider/target.ts). */
export const awsTarget: Target<AwsSettings> = {
  name: "aws",
  readSettings: readAwsSettings,
  validate(spec, settings) {
    const units = unitsOf(spec);
    return validateUnits(spec, units, capacityGroupsOf(units), settings);
  },
  declare: createAwsApp,
  summarize: summarizeAwsPlan,
};
