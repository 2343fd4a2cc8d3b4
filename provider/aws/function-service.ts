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
import { encodeContainerEnv, type ContainerContractInput } from "../../runtime/contract.ts";
import { setupTimeoutSeconds } from "../../runtime/delivery.ts";
import { createAutoscaling, serviceNameOf, type WakeTable } from "./autoscaling.ts";
import { GantryComponent, type DeclarationRef, type StackInfo } from "./component.ts";
import { MAX_MESSAGE_BYTES, maxReceiveCount, visibilityTimeout, type FunctionQueue } from "./function-queue.ts";
import { STOP_TIMEOUT_SECONDS } from "./gpu-capacity.ts";
import { TaskRoles, type ScalingGrant, type VolumeGrant } from "./iam.ts";
import type { AppImage } from "./image.ts";
import { kebab, slug, taskFamilyName } from "./names.ts";
import type { Network } from "./network.ts";
import type { AppSecret } from "./secrets.ts";
import { RESULT_TTL_DAYS, usedBy, type CallState, type DictTable, type StateQueue } from "./state.ts";
import { minContainersOf, type Unit } from "./units.ts";
import { NFS_PORT, type AppVolume } from "./volume.ts";
import type { WebToken } from "./web.ts";

/** The port the runtime serves `webApp` / `webServer` on inside the container (with `/livez`, `/readyz`). */
export const HTTP_PORT = 8000;
/** Where a worker container serves `/livez` and `/readyz` (told to it by its contract). */
export const HEALTH_PORT = 8081;
export const CONTAINER_NAME = "main";

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
 *   may block it in a synchronous `@enter` or method for its setup budget (runtime/delivery.ts
 *   `setupTimeoutSeconds`: the function's timeout); a web unit must keep answering requests, 60 s.
 * ECS caps the tolerance at 9 x 300 s: a worker whose loop is blocked for 45 minutes is replaced.
 * A task marked unhealthy is stopped (SIGTERM, drain) and replaced by the service.
 */
export function healthCheckOf(unit: Unit): ContainerHealthCheck {
  const port = unit.server ? HTTP_PORT : HEALTH_PORT;
  const firstAnswer = unit.server?.kind === "server" ? Math.ceil(unit.server.startupTimeout) + 60 : 60;
  const startPeriod = Math.min(300, firstAnswer);
  const busy = unit.server ? 60 : setupTimeoutSeconds(unit.options);
  const tolerance = Math.max(busy, firstAnswer - startPeriod);
  const clamp = (n: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, n));
  const interval = clamp(Math.ceil(tolerance / 9 / 5) * 5, 30, 300);
  const retries = clamp(Math.ceil(tolerance / interval) + 1, 3, 10);
  const probe = `require("http").get("http://127.0.0.1:${port}/livez",(r)=>process.exit(r.statusCode===200?0:1)).on("error",()=>process.exit(1))`;
  return { command: ["CMD", "node", "-e", probe], interval, timeout: HEALTH_CHECK_TIMEOUT, retries, startPeriod };
}

/** The unit's task definition family (per app and stack: families are account-wide). */
export function taskFamilyOf(info: StackInfo, unit: Unit): string {
  return taskFamilyName(info.app, info.stack, unit.slug);
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
  /** what a caller needs to wake each queue unit from zero (runtime/aws/waker.ts) */
  wake: WakeTable;
  web: WebAttachment | null;
  /** the bearer token of a private webApp / webServer (the container's front door reads it) */
  webToken: WebToken | null;
}

interface KeyValue { name: string; value: string }
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
      // only the Dicts and Queues its code uses (every one when the analysis could not tell)
      dictTableArns: [...i.dicts.values()].filter((d) => usedBy(d.spec, this.unit.name)).map((d) => d.table.arn),
      stateQueueArns: [...i.stateQueues.values()].filter((q) => usedBy(q.spec, this.unit.name)).map((q) => q.queue.arn),
      injectedSecretArns: secrets.filter((s) => s.keys).map((s) => s.secret.arn),
      loadedSecretArns: [...secrets.filter((s) => !s.keys).map((s) => s.secret.arn), ...(i.webToken ? [i.webToken.secret.arn] : [])],
      volumes,
      scaling: i.scaling,
    }, { parent: this });
  }

  /**
   * What the container is told (runtime/contract.ts), with the AWS transport's wiring. Every
   * number the queue was given (visibility, redrive count) is the queue's own, from function-queue.ts.
   */
  private contract(): pulumi.Output<ContainerContractInput> {
    const i = this.inputs;
    const u = this.unit;
    const byName = <T>(map: ReadonlyMap<string, T>, value: (t: T) => pulumi.Input<string>) =>
      Object.fromEntries([...map].map(([key, t]) => [key, value(t)]));
    const secrets = u.options.secrets.map((id) => this.secret(id));
    return pulumi.output({
      app: this.info.app,
      stack: this.info.stack,
      specHash: i.specHash,
      kind: u.kind,
      declaration: u.name,
      unit: u.id,
      timeout: u.options.timeout,
      setupTimeout: setupTimeoutSeconds(u.options),
      retries: u.options.retries,
      maxInputs: u.concurrency.maxInputs,
      batching: u.batching,
      // ECS autoscaling removes idle tasks; a task that exited by itself would just be replaced
      idleExit: null,
      stopTimeout: STOP_TIMEOUT_SECONDS,
      // web units answer /livez on their web port; workers on the health port
      healthPort: u.server ? null : HEALTH_PORT,
      httpPort: u.server ? HTTP_PORT : null,
      volumes: Object.fromEntries(u.options.volumes.map((m) => [m.mountPath, m.volume])),
      transport: {
        kind: "aws" as const,
        queueUrl: i.queue.queue.url,
        dlqUrl: i.queue.deadLetterQueue.url,
        resultsTable: i.state.resultsTable.name,
        bucket: i.state.payloadBucket.bucket,
        maxMessageBytes: MAX_MESSAGE_BYTES,
        visibilityTimeout: visibilityTimeout(u.options.timeout),
        // the queue's redrive count: the runtime re-enqueues a message on its last receive
        maxReceiveCount: maxReceiveCount(u.options.retries),
        resultTtlDays: RESULT_TTL_DAYS,
        queues: byName(i.queues, (q) => q.queue.url),
        dicts: byName(i.dicts, (d) => d.table.name),
        stateQueues: byName(i.stateQueues, (q) => q.queue.url),
        scalingTargets: byName(i.scalingTargets, (target) => target),
        wake: i.wake,
        // secrets without known keys are read whole at start; the others are injected key by key (secretRefs)
        secretArns: secrets.filter((s) => !s.keys).map((s) => s.secret.arn),
        // a private webApp / webServer reads its bearer token from this secret at start (task role)
        ...(i.webToken ? { tokenSecretArn: i.webToken.secret.arn } : {}),
      },
    });
  }

  /** The user's `env`, the SDK's region, and the contract (which wins a name it shares with `env`). */
  private environment(): pulumi.Output<KeyValue[]> {
    return pulumi.all([this.inputs.region, this.contract()]).apply(([region, contract]) => {
      const env: Record<string, string> = { ...this.unit.options.env, AWS_REGION: region, ...encodeContainerEnv(contract) };
      return Object.keys(env).sort().map((name) => ({ name, value: env[name] }));
    });
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

