/**
 * gantry:aws:FunctionService — one function, class or class variant running on ECS: its log group,
 * security group, task roles (gantry:aws:TaskRoles), a task definition (GPU resource requirement,
 * cpu/memory, environment, secrets by `valueFrom` JSON key, EFS volumes through access points
 * with transit encryption and IAM, awslogs, a stop timeout for the graceful drain), an ECS
 * service on its capacity provider, and its autoscaling.
 *
 * Cost: the tasks' share of their instances while running (see gantry:aws:Capacity); CloudWatch
 * Logs ingestion ($0.50/GB) and Container Insights metrics.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { createAutoscaling, serviceNameOf } from "./autoscaling.ts";
import { GantryComponent, type DeclarationRef, type StackInfo } from "./component.ts";
import { MAX_MESSAGE_BYTES, maxReceiveCount, visibilityTimeout, type FunctionQueue } from "./function-queue.ts";
import { STOP_TIMEOUT_SECONDS } from "./gpu-capacity.ts";
import { TaskRoles, type ScalingGrant, type VolumeGrant } from "./iam.ts";
import type { AppImage } from "./image.ts";
import { kebab, slug } from "./names.ts";
import type { Network } from "./network.ts";
import type { AppSecret } from "./secrets.ts";
import { RESULT_TTL_DAYS, type CallState, type DictTable, type StateQueue } from "./state.ts";
import { minContainersOf, type Unit } from "./units.ts";
import { NFS_PORT, type AppVolume } from "./volume.ts";
import type { WebToken } from "./web.ts";

/** The port the runtime serves `webApp` / `webServer` on inside the container (with `/livez`, `/readyz`). */
export const HTTP_PORT = 8000;
/** Where a worker container serves `/livez` and `/readyz` (runtime/container/config.ts DEFAULT_HEALTH_PORT). */
export const HEALTH_PORT = 8081;
export const CONTAINER_NAME = "main";

/** How long `@enter` hooks may take (the runtime's rule: the function's timeout, at least 5 minutes). */
export function setupTimeoutSeconds(unit: Unit): number {
  return Math.max(unit.options.timeout, 300);
}

/** An ECS container health check (seconds; ECS allows interval 5-300, timeout 2-60, retries 1-10, startPeriod 0-300). */
export interface ContainerHealthCheck {
  command: string[];
  interval: number;
  timeout: number;
  retries: number;
  startPeriod: number;
}

/** A check's own budget: starting node and one local request, on a busy instance. */
const HEALTH_CHECK_TIMEOUT = 10;

/**
 * `/livez` from inside the container. The image always has node (it is the entrypoint), not
 * necessarily curl or wget (node's slim images have neither); `http.get` works on every Node
 * version an image may carry, where `fetch` needs 18+.
 *
 * `/livez` answers from the runtime's event loop, so a failing check means the process is hung
 * or its loop is blocked. The timings follow what the declaration may legitimately do:
 * - before `/livez` can answer at all (`startPeriod`, at most 300 s): a worker serves it before
 *   importing the app (60 s for node and the runtime); a webApp after importing it; a webServer
 *   after its own server accepts connections (`startupTimeout`). Whatever exceeds 300 s is added
 *   to the tolerance below;
 * - how long the loop may be busy once up (the tolerance, `(retries - 1) * interval`): a worker
 *   may block it in a synchronous `@enter` or method for its setup budget (the function's
 *   timeout, at least 5 minutes); a web unit must keep answering requests, 60 s.
 * ECS caps the tolerance at 9 x 300 s: a worker whose loop is blocked for 45 minutes is replaced.
 * A task marked unhealthy is stopped (SIGTERM, drain) and replaced by the service.
 */
export function healthCheckOf(unit: Unit): ContainerHealthCheck {
  const port = unit.server ? HTTP_PORT : HEALTH_PORT;
  const firstAnswer = unit.server?.kind === "server" ? Math.ceil(unit.server.startupTimeout) + 60 : 60;
  const startPeriod = Math.min(300, firstAnswer);
  const busy = unit.server ? 60 : setupTimeoutSeconds(unit);
  const tolerance = Math.max(busy, firstAnswer - startPeriod);
  const clamp = (n: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, n));
  const interval = clamp(Math.ceil(tolerance / 9 / 5) * 5, 30, 300);
  const retries = clamp(Math.ceil(tolerance / interval) + 1, 3, 10);
  const probe = `require("http").get("http://127.0.0.1:${port}/livez",(r)=>process.exit(r.statusCode===200?0:1)).on("error",()=>process.exit(1))`;
  return { command: ["CMD", "node", "-e", probe], interval, timeout: HEALTH_CHECK_TIMEOUT, retries, startPeriod };
}

/** The unit's task definition family (per app and stack: families are account-wide). */
export function taskFamilyOf(info: StackInfo, unit: Unit): string {
  return `${kebab(info.app)}-${kebab(info.stack)}-${unit.slug}`;
}

export interface WebAttachment {
  targetGroup: aws.lb.TargetGroup;
  loadBalancer: aws.lb.LoadBalancer;
  securityGroup: aws.ec2.SecurityGroup;
  /** the listener rule that forwards to the target group */
  rule: aws.lb.ListenerRule;
  pathPrefix: string;
}

export interface FunctionServiceInputs {
  unit: Unit;
  region: pulumi.Output<string>;
  logRetentionDays: number;
  specHash: string;
  cluster: aws.ecs.Cluster;
  capacityProvider: aws.ecs.CapacityProvider;
  association: aws.ecs.ClusterCapacityProviders;
  network: Network;
  queue: FunctionQueue;
  /** every unit's queue, by unit id (the `.remote()` targets) */
  queues: ReadonlyMap<string, FunctionQueue>;
  image: AppImage;
  secrets: ReadonlyMap<string, AppSecret>;
  volumes: ReadonlyMap<string, AppVolume>;
  state: CallState;
  dicts: ReadonlyMap<string, DictTable>;
  stateQueues: ReadonlyMap<string, StateQueue>;
  /** every unit's service as Application Auto Scaling names it, by unit id (`updateAutoscaler`'s targets) */
  scalingTargets: ReadonlyMap<string, pulumi.Input<string>>;
  /** what `updateAutoscaler` may change (the same for every unit of the app) */
  scaling: ScalingGrant;
  web: WebAttachment | null;
  /** the bearer token of a private webApp / webServer (the container's front door reads it) */
  webToken: WebToken | null;
}

interface KeyValue { name: string; value: pulumi.Input<string> }
interface SecretRef { name: string; valueFrom: pulumi.Input<string> }

export class FunctionService extends GantryComponent {
  readonly service: aws.ecs.Service;
  readonly taskDefinition: aws.ecs.TaskDefinition;
  readonly securityGroup: aws.ec2.SecurityGroup;
  readonly roles: TaskRoles;
  private readonly ref: DeclarationRef;

  constructor(name: string, private readonly info: StackInfo, ref: DeclarationRef, private readonly inputs: FunctionServiceInputs, opts?: pulumi.ComponentResourceOptions) {
    super("gantry:aws:FunctionService", name, info, ref, opts);
    this.ref = ref;
    const logGroup = this.createLogGroup(name);
    this.securityGroup = this.createSecurityGroup(name);
    this.createVolumeAccess(name);
    this.createWebAccess(name);
    this.roles = this.createRoles(name, logGroup);
    this.taskDefinition = this.createTaskDefinition(name, logGroup);
    this.service = this.createService(name);
    this.createScaling(name);
    this.registerOutputs({ serviceName: this.service.name, taskDefinition: this.taskDefinition.arn });
  }

  private get unit(): Unit {
    return this.inputs.unit;
  }

  private createLogGroup(name: string): aws.cloudwatch.LogGroup {
    return new aws.cloudwatch.LogGroup(`${name}-logs`, {
      name: `/gantry/${kebab(this.info.app)}/${kebab(this.info.stack)}/${this.unit.slug}`,
      retentionInDays: this.inputs.logRetentionDays,
      tags: this.tags,
    }, this.childOpts);
  }

  private createSecurityGroup(name: string): aws.ec2.SecurityGroup {
    return new aws.ec2.SecurityGroup(`${name}-tasks`, {
      vpcId: this.inputs.network.vpcId,
      description: `gantry tasks of ${this.unit.slug}`,
      egress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"], description: "all egress" }],
      tags: { ...this.tags, Name: `${name}-tasks` },
    }, this.childOpts);
  }

  /** NFS into each volume this declaration mounts, from this service's tasks only. */
  private createVolumeAccess(name: string): void {
    for (const mount of this.unit.options.volumes) {
      const volume = this.volume(mount.volume);
      if (!volume.securityGroup) continue;
      new aws.vpc.SecurityGroupIngressRule(`${name}-nfs-${slug(mount.volume)}`, {
        securityGroupId: volume.securityGroup.id,
        referencedSecurityGroupId: this.securityGroup.id,
        ipProtocol: "tcp",
        fromPort: NFS_PORT,
        toPort: NFS_PORT,
        description: `NFS from ${this.unit.slug}`,
        tags: this.tags,
      }, this.childOpts);
    }
  }

  /** The load balancer reaches the container port, nothing else does. */
  private createWebAccess(name: string): void {
    const web = this.inputs.web;
    if (!web) return;
    new aws.vpc.SecurityGroupIngressRule(`${name}-http`, {
      securityGroupId: this.securityGroup.id,
      referencedSecurityGroupId: web.securityGroup.id,
      ipProtocol: "tcp",
      fromPort: HTTP_PORT,
      toPort: HTTP_PORT,
      description: "HTTP from the load balancer",
      tags: this.tags,
    }, this.childOpts);
  }

  private volume(name: string): AppVolume {
    const volume = this.inputs.volumes.get(name);
    if (!volume) throw new Error(`volume "${name}" is not declared`);
    return volume;
  }

  private secret(id: string): AppSecret {
    const secret = this.inputs.secrets.get(id);
    if (!secret) throw new Error(`secret "${id}" is not declared`);
    return secret;
  }

  private createRoles(name: string, logGroup: aws.cloudwatch.LogGroup): TaskRoles {
    const i = this.inputs;
    const secrets = this.unit.options.secrets.map((id) => this.secret(id));
    const volumes: VolumeGrant[] = this.unit.options.volumes.map((m) => {
      const v = this.volume(m.volume);
      return { fileSystemArn: v.fileSystemArn, accessPointArn: v.accessPoint.arn, readOnly: false };
    });
    return new TaskRoles(name, this.info, this.ref, {
      declaration: this.unit.id,
      logGroupArn: logGroup.arn,
      repositoryArn: i.image.repository.arn,
      ownQueueArn: i.queue.queue.arn,
      ownDlqArn: i.queue.deadLetterQueue.arn,
      callableQueueArns: [...i.queues.values()].map((q) => q.queue.arn),
      resultsTableArn: i.state.resultsTable.arn,
      bucketArn: i.state.payloadBucket.arn,
      dictTableArns: [...i.dicts.values()].map((d) => d.table.arn),
      stateQueueArns: [...i.stateQueues.values()].map((q) => q.queue.arn),
      injectedSecretArns: secrets.filter((s) => s.keys).map((s) => s.secret.arn),
      loadedSecretArns: [...secrets.filter((s) => !s.keys).map((s) => s.secret.arn), ...(i.webToken ? [i.webToken.secret.arn] : [])],
      volumes,
      scaling: i.scaling,
    }, { parent: this });
  }

  /** What the runtime reads at start (see runtime/container): the AWS transport's wiring. */
  private environment(): KeyValue[] {
    const i = this.inputs;
    const u = this.unit;
    const asJson = (entries: Array<[string, pulumi.Input<string>]>) =>
      pulumi.all(entries.map(([k, v]) => pulumi.all([k, v]))).apply((pairs) => JSON.stringify(Object.fromEntries(pairs)));
    const env: Record<string, pulumi.Input<string>> = {
      ...u.options.env,
      AWS_REGION: i.region,
      GANTRY_APP: this.info.app,
      GANTRY_STACK: this.info.stack,
      GANTRY_TRANSPORT: "aws",
      GANTRY_KIND: u.kind,
      GANTRY_DECLARATION: u.name,
      GANTRY_VARIANT: u.id,
      GANTRY_SPEC_HASH: i.specHash,
      GANTRY_QUEUE_URL: i.queue.queue.url,
      GANTRY_DLQ_URL: i.queue.deadLetterQueue.url,
      GANTRY_RESULTS_TABLE: i.state.resultsTable.name,
      GANTRY_PAYLOAD_BUCKET: i.state.payloadBucket.bucket,
      GANTRY_SQS_MAX_BYTES: String(MAX_MESSAGE_BYTES),
      GANTRY_TIMEOUT: String(u.options.timeout),
      GANTRY_VISIBILITY_TIMEOUT: String(visibilityTimeout(u.options.timeout)),
      GANTRY_RETRIES: JSON.stringify(u.options.retries),
      // the queue's redrive count: the runtime re-enqueues a message on its last receive
      GANTRY_MAX_RECEIVE_COUNT: String(maxReceiveCount(u.options.retries)),
      GANTRY_RESULT_TTL_DAYS: String(RESULT_TTL_DAYS),
      GANTRY_SETUP_TIMEOUT: String(setupTimeoutSeconds(u)),
      GANTRY_MAX_INPUTS: String(u.concurrency.maxInputs),
      GANTRY_TARGET_INPUTS: String(u.concurrency.targetInputs),
      GANTRY_BATCHING: JSON.stringify(u.batching),
      GANTRY_SCALEDOWN_WINDOW: String(u.options.scaledownWindow),
      // ECS autoscaling removes idle tasks; a task that exited by itself would just be replaced
      GANTRY_IDLE_EXIT: "false",
      GANTRY_STOP_TIMEOUT: String(STOP_TIMEOUT_SECONDS),
      GANTRY_MEMORY_SNAPSHOT: String(u.options.enableMemorySnapshot),
      GANTRY_QUEUES: asJson([...i.queues.entries()].map(([id, q]) => [id, q.queue.url])),
      GANTRY_DICTS: asJson([...i.dicts.entries()].map(([n, d]) => [n, d.table.name])),
      GANTRY_STATE_QUEUES: asJson([...i.stateQueues.entries()].map(([n, q]) => [n, q.queue.url])),
      GANTRY_SCALING_TARGETS: asJson([...i.scalingTargets.entries()]),
      GANTRY_VOLUMES: JSON.stringify(Object.fromEntries(u.options.volumes.map((m) => [m.mountPath, m.volume]))),
      GANTRY_SECRET_ARNS: pulumi.all(u.options.secrets.map((id) => this.secret(id)).filter((s) => !s.keys).map((s) => s.secret.arn)).apply((arns) => JSON.stringify(arns)),
    };
    // web units answer /livez on their web port; workers on the health port
    if (u.server) env.GANTRY_HTTP_PORT = String(HTTP_PORT);
    else env.GANTRY_HEALTH_PORT = String(HEALTH_PORT);
    // a private webApp / webServer reads its bearer token from this secret at start (task role)
    if (i.webToken) env.GANTRY_TOKEN_SECRET_ARN = i.webToken.secret.arn;
    return Object.keys(env).sort().map((name) => ({ name, value: env[name] }));
  }

  /** One variable per known key, `valueFrom: <secret arn>:<KEY>::`; a later secret wins a key. */
  private secretRefs(): SecretRef[] {
    const byKey = new Map<string, pulumi.Input<string>>();
    for (const id of this.unit.options.secrets) {
      const s = this.secret(id);
      for (const key of s.keys ?? []) byKey.set(key, pulumi.interpolate`${s.secret.arn}:${key}::`);
    }
    return [...byKey.keys()].sort().map((name) => ({ name, valueFrom: byKey.get(name)! }));
  }

  private createTaskDefinition(name: string, logGroup: aws.cloudwatch.LogGroup): aws.ecs.TaskDefinition {
    const u = this.unit;
    const volumes = u.options.volumes.map((m) => {
      const v = this.volume(m.volume);
      return {
        name: `vol-${slug(m.volume)}`,
        efsVolumeConfiguration: {
          fileSystemId: v.fileSystemId,
          transitEncryption: "ENABLED",
          authorizationConfig: { accessPointId: v.accessPoint.id, iam: "ENABLED" },
        },
      };
    });
    const container = {
      name: CONTAINER_NAME,
      image: this.inputs.image.ref,
      essential: true,
      environment: this.environment(),
      secrets: this.secretRefs(),
      mountPoints: u.options.volumes.map((m) => ({ sourceVolume: `vol-${slug(m.volume)}`, containerPath: m.mountPath, readOnly: false })),
      resourceRequirements: u.task.gpus > 0 ? [{ type: "GPU", value: String(u.task.gpus) }] : [],
      portMappings: u.server ? [{ containerPort: HTTP_PORT, protocol: "tcp", name: "http" }] : [],
      logConfiguration: {
        logDriver: "awslogs",
        options: { "awslogs-group": logGroup.name, "awslogs-region": this.inputs.region, "awslogs-stream-prefix": u.slug },
      },
      healthCheck: healthCheckOf(u),
      stopTimeout: STOP_TIMEOUT_SECONDS,
      linuxParameters: { initProcessEnabled: true },
      ulimits: [{ name: "nofile", softLimit: 65536, hardLimit: 65536 }],
    };
    return new aws.ecs.TaskDefinition(`${name}-task`, {
      family: taskFamilyOf(this.info, u),
      requiresCompatibilities: ["EC2"],
      networkMode: "awsvpc",
      cpu: String(u.task.cpuUnits),
      memory: String(u.task.memoryMiB),
      executionRoleArn: this.roles.executionRole.arn,
      taskRoleArn: this.roles.taskRole.arn,
      containerDefinitions: pulumi.jsonStringify([container]),
      volumes,
      tags: this.tags,
    }, this.childOpts);
  }

  private createService(name: string): aws.ecs.Service {
    const i = this.inputs;
    const u = this.unit;
    const web = i.web;
    return new aws.ecs.Service(`${name}-service`, {
      // fixed, so every task can be told every service's scaling target (autoscaling.ts)
      name: serviceNameOf(u),
      cluster: i.cluster.arn,
      taskDefinition: this.taskDefinition.arn,
      desiredCount: minContainersOf(u),
      capacityProviderStrategies: [{ capacityProvider: i.capacityProvider.name, weight: 1, base: 0 }],
      networkConfiguration: { subnets: i.network.privateSubnetIds, securityGroups: [this.securityGroup.id], assignPublicIp: false },
      // workers drain on SIGTERM; starting the new task first would need GPU headroom maxContainers forbids
      deploymentMinimumHealthyPercent: web ? 50 : 0,
      deploymentMaximumPercent: web ? 200 : 100,
      deploymentCircuitBreaker: { enable: true, rollback: true },
      enableEcsManagedTags: true,
      propagateTags: "SERVICE",
      waitForSteadyState: false,
      ...(web ? {
        loadBalancers: [{ targetGroupArn: web.targetGroup.arn, containerName: CONTAINER_NAME, containerPort: HTTP_PORT }],
        healthCheckGracePeriodSeconds: Math.ceil((u.server?.kind === "server" ? u.server.startupTimeout : 5) + 60),
      } : {}),
      tags: this.tags,
    }, {
      ...this.childOpts,
      // autoscaling owns the count after the first deploy
      ignoreChanges: ["desiredCount"],
      // a fixed name cannot be held by the old and the new service at once
      deleteBeforeReplace: true,
      dependsOn: [i.association, ...(web ? [web.rule] : [])],
    });
  }

  private createScaling(name: string): void {
    const web = this.inputs.web;
    createAutoscaling(name, {
      unit: this.unit,
      clusterName: this.inputs.cluster.name,
      serviceName: this.service.name,
      queueName: this.inputs.queue.queue.name,
      albResourceLabel: web ? pulumi.interpolate`${web.loadBalancer.arnSuffix}/${web.targetGroup.arnSuffix}` : null,
      tags: this.tags,
      opts: this.childOpts,
    });
  }
}

