/**
 * gantry:aws:Capacity — the ECS cluster and the machines it runs on. For each capacity group (one
 * per GPU shape, with its fallbacks and spot setting, plus CPU groups) a gantry:aws:CapacityGroup:
 * a launch template on the ECS-optimized Amazon Linux 2023 AMI (the GPU variant for GPU groups,
 * resolved from its public SSM parameter at each launch), an Auto Scaling group that starts at
 * zero, and an ECS capacity provider with managed scaling (ECS adds instances when tasks cannot
 * place and removes idle ones), managed termination protection (never terminate an instance with
 * tasks) and managed draining. A fallback list is an ordered preference: the group launches the
 * first instance type AWS has capacity for.
 *
 * Cost: nothing while idle — groups scale to zero. Each running instance bills at its on-demand or
 * spot rate; `maxContainers` bounds the group's `maxSize`.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { sharedOrigin, type ResourceOrigin } from "../source.ts";
import { GantryComponent, type DeclarationRef, type StackInfo } from "./component.ts";
import type { Network } from "./network.ts";
import type { CapacityGroup as GroupSpec } from "./units.ts";

export const GPU_AMI_PARAMETER = "/aws/service/ecs/optimized-ami/amazon-linux-2023/gpu/recommended/image_id";
export const CPU_AMI_PARAMETER = "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id";
/** seconds ECS gives a container between SIGTERM and SIGKILL (also the 2-minute spot notice) */
export const STOP_TIMEOUT_SECONDS = 120;

export interface CapacityInputs {
  network: Network;
  groups: GroupSpec[];
  /** group key -> image refs its warm-pool instances pull at first boot (see ecsAgentConfig) */
  prePull?: Map<string, pulumi.Input<string>[]>;
  /** unit id -> its declaration: a group's resources point at the units it serves */
  declarations: ReadonlyMap<string, DeclarationRef>;
}

export class Capacity extends GantryComponent {
  readonly cluster: aws.ecs.Cluster;
  /** capacity group key -> ECS capacity provider */
  readonly providers = new Map<string, aws.ecs.CapacityProvider>();
  readonly association: aws.ecs.ClusterCapacityProviders;

  constructor(name: string, info: StackInfo, inputs: CapacityInputs, opts?: pulumi.ComponentResourceOptions) {
    super("gantry:aws:Capacity", name, info, null, opts);
    this.cluster = this.createCluster(name);
    const profile = this.createInstanceProfile(name);
    const securityGroup = this.createInstanceSecurityGroup(name, inputs.network);
    for (const group of inputs.groups) {
      const prePull = inputs.prePull?.get(group.key) ?? [];
      const origin = sharedOrigin(group.units.map((id) => inputs.declarations.get(id)!));
      const g = new CapacityGroup(`${name}-${group.slug}`, info, { group, origin, cluster: this.cluster, profile, securityGroup, network: inputs.network, prePull }, { parent: this });
      this.providers.set(group.key, g.provider);
    }
    this.association = this.createAssociation(name);
    this.registerOutputs({ clusterName: this.cluster.name });
  }

  private createCluster(name: string): aws.ecs.Cluster {
    return new aws.ecs.Cluster(name, {
      // Container Insights publishes RunningTaskCount, which backlog-per-task scaling divides by
      settings: [{ name: "containerInsights", value: "enabled" }],
      tags: this.tags,
    }, this.childOpts);
  }

  private createInstanceProfile(name: string): aws.iam.InstanceProfile {
    const role = new aws.iam.Role(`${name}-instance`, {
      description: "gantry: ECS container instances (register with the cluster, pull images)",
      assumeRolePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }] }),
      tags: this.tags,
    }, this.childOpts);
    new aws.iam.RolePolicyAttachment(`${name}-instance-ecs`, {
      role: role.name,
      policyArn: "arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role",
    }, this.childOpts);
    new aws.iam.RolePolicyAttachment(`${name}-instance-ssm`, {
      role: role.name,
      policyArn: "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
    }, this.childOpts);
    return new aws.iam.InstanceProfile(`${name}-instance`, { role: role.name, tags: this.tags }, this.childOpts);
  }

  /** Instances need no inbound traffic: tasks use their own network interfaces (awsvpc). */
  private createInstanceSecurityGroup(name: string, network: Network): aws.ec2.SecurityGroup {
    return new aws.ec2.SecurityGroup(`${name}-instances`, {
      vpcId: network.vpcId,
      description: "gantry container instances: egress only",
      egress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"], description: "all egress" }],
      tags: { ...this.tags, Name: `${name}-instances` },
    }, this.childOpts);
  }

  private createAssociation(name: string): aws.ecs.ClusterCapacityProviders {
    return new aws.ecs.ClusterCapacityProviders(name, {
      clusterName: this.cluster.name,
      capacityProviders: [...this.providers.values()].map((p) => p.name),
      // every service names its provider; nothing should fall back to a default
      defaultCapacityProviderStrategies: [],
    }, this.childOpts);
  }
}

interface GroupInputs {
  group: GroupSpec;
  /** the units the group serves, the first one's location as its source */
  origin: ResourceOrigin;
  cluster: aws.ecs.Cluster;
  profile: aws.iam.InstanceProfile;
  securityGroup: aws.ec2.SecurityGroup;
  network: Network;
  prePull: pulumi.Input<string>[];
}

/**
 * The instance's boot script: the ECS agent's settings (/etc/ecs/ecs.config) and, for a warm-pool
 * group (`enableMemorySnapshot`), a pull of the group's images. User data runs once, at the first
 * boot, before the instance is stopped into the warm pool; an instance that leaves the pool then
 * starts its tasks from the cached image (`prefer-cached`; refs are pinned by digest, so the cache
 * cannot be stale).
 */
export function ecsAgentConfig(clusterName: string, group: Pick<GroupSpec, "gpu" | "spot" | "warmPool">, prePullImages: string[] = []): string {
  const lines = [
    `ECS_CLUSTER=${clusterName}`,
    `ECS_CONTAINER_STOP_TIMEOUT=${STOP_TIMEOUT_SECONDS}s`,
    // tasks in awsvpc mode must not borrow the instance role
    "ECS_AWSVPC_BLOCK_IMDS=true",
    "ECS_ENABLE_CONTAINER_METADATA=true",
  ];
  if (group.gpu) lines.push("ECS_ENABLE_GPU_SUPPORT=true");
  if (group.spot) lines.push("ECS_ENABLE_SPOT_INSTANCE_DRAINING=true");
  if (group.warmPool) lines.push("ECS_WARM_POOLS_CHECK=true", "ECS_IMAGE_PULL_BEHAVIOR=prefer-cached");
  const config = `#!/bin/bash\ncat >> /etc/ecs/ecs.config <<'EOF'\n${lines.join("\n")}\nEOF\n`;
  if (!group.warmPool || prePullImages.length === 0) return config;
  // registry host: <account>.dkr.ecr.<region>.amazonaws.com; a failed pull only costs the warm start
  // the ECS AMIs are built on AL2023 minimal, which has no AWS CLI: install it from the AL2023 repo
  return `${config}systemctl start docker
command -v aws >/dev/null || dnf install -y -q awscli-2
for ref in ${[...prePullImages].sort().join(" ")}; do
  registry="\${ref%%/*}"; region="$(echo "$registry" | cut -d. -f4)"
  aws ecr get-login-password --region "$region" | docker login --username AWS --password-stdin "$registry" \\
    && docker pull "$ref" || echo "gantry: warm-pool pre-pull of $ref failed" >&2
done
`;
}

export class CapacityGroup extends GantryComponent {
  readonly provider: aws.ecs.CapacityProvider;

  constructor(name: string, info: StackInfo, inputs: GroupInputs, opts?: pulumi.ComponentResourceOptions) {
    super("gantry:aws:CapacityGroup", name, info, inputs.origin, opts);
    const template = this.createLaunchTemplate(name, inputs);
    const asg = this.createAutoScalingGroup(name, inputs, template);
    this.provider = this.createCapacityProvider(name, asg);
    this.registerOutputs({ provider: this.provider.name, autoScalingGroup: asg.name });
  }

  private createLaunchTemplate(name: string, { group, cluster, profile, securityGroup, prePull }: GroupInputs): aws.ec2.LaunchTemplate {
    const userData = pulumi.all([cluster.name, ...prePull]).apply(([clusterName, ...refs]) =>
      Buffer.from(ecsAgentConfig(clusterName, group, refs)).toString("base64"));
    return new aws.ec2.LaunchTemplate(name, {
      description: `gantry ${group.key}: ${group.instances.map((i) => i.instanceType).join(", ")}`,
      imageId: `resolve:ssm:${group.gpu ? GPU_AMI_PARAMETER : CPU_AMI_PARAMETER}`,
      iamInstanceProfile: { arn: profile.arn },
      vpcSecurityGroupIds: [securityGroup.id],
      userData,
      metadataOptions: { httpTokens: "required", httpEndpoint: "enabled", httpPutResponseHopLimit: 2 },
      blockDeviceMappings: [{
        deviceName: "/dev/xvda",
        // GPU images (CUDA, torch) are large; the root volume also holds the image cache
        ebs: { volumeSize: group.gpu ? 200 : 50, volumeType: "gp3", encrypted: "true", deleteOnTermination: "true" },
      }],
      tagSpecifications: [
        { resourceType: "instance", tags: { ...this.tags, Name: name } },
        { resourceType: "volume", tags: this.tags },
      ],
      tags: this.tags,
    }, this.childOpts);
  }

  private createAutoScalingGroup(name: string, { group, network }: GroupInputs, template: aws.ec2.LaunchTemplate): aws.autoscaling.Group {
    return new aws.autoscaling.Group(name, {
      minSize: 0,
      maxSize: group.maxInstances,
      // ECS managed termination protection requires scale-in protection on the group
      protectFromScaleIn: true,
      vpcZoneIdentifiers: network.privateSubnetIds,
      capacityRebalance: group.spot,
      healthCheckType: "EC2",
      mixedInstancesPolicy: {
        launchTemplate: {
          launchTemplateSpecification: { launchTemplateId: template.id, version: "$Latest" },
          overrides: group.instances.map((i) => ({ instanceType: i.instanceType })),
        },
        instancesDistribution: {
          onDemandBaseCapacity: 0,
          onDemandPercentageAboveBaseCapacity: group.spot ? 0 : 100,
          // the overrides are an ordered preference (fallback list)
          onDemandAllocationStrategy: "prioritized",
          spotAllocationStrategy: "capacity-optimized-prioritized",
        },
      },
      ...(group.warmPool ? {
        warmPool: {
          poolState: "Stopped", minSize: 0, instanceReusePolicy: { reuseOnScaleIn: true },
          // bounded: by default the pool would hold max - desired stopped instances (units.ts)
          maxGroupPreparedCapacity: group.preparedInstances,
        },
      } : {}),
      // ECS adds AmazonECSManaged itself; declaring it keeps Pulumi from removing it
      tags: this.asgTags({ AmazonECSManaged: "true", Name: name }),
    }, { ...this.childOpts, ignoreChanges: ["desiredCapacity"] });
  }

  private createCapacityProvider(name: string, asg: aws.autoscaling.Group): aws.ecs.CapacityProvider {
    return new aws.ecs.CapacityProvider(name, {
      autoScalingGroupProvider: {
        autoScalingGroupArn: asg.arn,
        managedScaling: {
          status: "ENABLED",
          targetCapacity: 100,
          minimumScalingStepSize: 1,
          maximumScalingStepSize: 10,
          instanceWarmupPeriod: 300,
        },
        managedTerminationProtection: "ENABLED",
        managedDraining: "ENABLED",
      },
      tags: this.tags,
    }, this.childOpts);
  }
}
