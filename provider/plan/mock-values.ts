/**
 * What the mock "cloud" answers when the offline plan runs the program: deterministic stand-ins
 * for the values AWS computes (ids, ARNs, URLs, digests). They are derived from the logical names
 * only, in account 000000000000, so the same code always gives the same plan and a reader can
 * still see which resource an ARN points at.
 */
import type * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";

type MockCallArgs = pulumi.runtime.MockCallArgs;
type MockResourceArgs = pulumi.runtime.MockResourceArgs;
type MockResourceResult = pulumi.runtime.MockResourceResult;

export const MOCK_ACCOUNT = "000000000000";

const sha = (text: string) => createHash("sha256").update(text).digest("hex");

/** Physical ids by resource type: readable, prefixed the way AWS prefixes them. */
const ID_PREFIX: Record<string, string> = {
  "aws:ec2/vpc:Vpc": "vpc-",
  "aws:ec2/subnet:Subnet": "subnet-",
  "aws:ec2/securityGroup:SecurityGroup": "sg-",
  "aws:ec2/internetGateway:InternetGateway": "igw-",
  "aws:ec2/natGateway:NatGateway": "nat-",
  "aws:ec2/eip:Eip": "eipalloc-",
  "aws:ec2/routeTable:RouteTable": "rtb-",
  "aws:ec2/vpcEndpoint:VpcEndpoint": "vpce-",
  "aws:ec2/launchTemplate:LaunchTemplate": "lt-",
  "aws:efs/fileSystem:FileSystem": "fs-",
  "aws:efs/accessPoint:AccessPoint": "fsap-",
  "aws:efs/mountTarget:MountTarget": "fsmt-",
  "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "sgr-",
};

function arnFor(type: string, name: string, id: string, region: string): string {
  const a = `${region}:${MOCK_ACCOUNT}`;
  switch (type) {
    case "aws:sqs/queue:Queue": return `arn:aws:sqs:${a}:${name}`;
    case "aws:s3/bucket:Bucket": return `arn:aws:s3:::${name}`;
    case "aws:iam/role:Role": return `arn:aws:iam::${MOCK_ACCOUNT}:role/${name}`;
    case "aws:iam/instanceProfile:InstanceProfile": return `arn:aws:iam::${MOCK_ACCOUNT}:instance-profile/${name}`;
    case "aws:secretsmanager/secret:Secret": return `arn:aws:secretsmanager:${a}:secret:${name}-AbCdEf`;
    case "aws:cloudwatch/logGroup:LogGroup": return `arn:aws:logs:${a}:log-group:${name}`;
    case "aws:lambda/function:Function": return `arn:aws:lambda:${a}:function:${name}`;
    case "aws:dynamodb/table:Table": return `arn:aws:dynamodb:${a}:table/${name}`;
    case "aws:ecr/repository:Repository": return `arn:aws:ecr:${a}:repository/${name}`;
    case "aws:ecs/cluster:Cluster": return `arn:aws:ecs:${a}:cluster/${name}`;
    case "aws:ecs/capacityProvider:CapacityProvider": return `arn:aws:ecs:${a}:capacity-provider/${name}`;
    case "aws:ecs/service:Service": return `arn:aws:ecs:${a}:service/${name}`;
    case "aws:efs/fileSystem:FileSystem": return `arn:aws:elasticfilesystem:${a}:file-system/${id}`;
    case "aws:efs/accessPoint:AccessPoint": return `arn:aws:elasticfilesystem:${a}:access-point/${id}`;
    case "aws:autoscaling/group:Group": return `arn:aws:autoscaling:${a}:autoScalingGroup:00000000-0000-0000-0000-000000000000:autoScalingGroupName/${name}`;
    case "aws:lb/loadBalancer:LoadBalancer": return `arn:aws:elasticloadbalancing:${a}:loadbalancer/app/${name}/0000000000000000`;
    case "aws:lb/targetGroup:TargetGroup": return `arn:aws:elasticloadbalancing:${a}:targetgroup/${name}/0000000000000000`;
    case "aws:lb/listener:Listener": return `arn:aws:elasticloadbalancing:${a}:listener/app/${name}/0000000000000000`;
    case "aws:appautoscaling/policy:Policy": return `arn:aws:autoscaling:${a}:scalingPolicy:${name}`;
    case "aws:scheduler/schedule:Schedule": return `arn:aws:scheduler:${a}:schedule/default/${name}`;
    default: {
      const [pkg, mod] = type.split(":");
      const service = (mod ?? "").split("/")[0];
      return `arn:aws:${pkg === "aws" ? service : pkg}:${a}:${id}`;
    }
  }
}

/** Outputs beyond the inputs that the program reads from each resource type. */
function extraOutputs(type: string, name: string, inputs: Record<string, any>, arn: string, id: string, region: string): Record<string, unknown> {
  switch (type) {
    case "aws:sqs/queue:Queue": return { url: `https://sqs.${region}.amazonaws.com/${MOCK_ACCOUNT}/${name}` };
    case "aws:s3/bucket:Bucket": return { bucket: name };
    case "aws:ecr/repository:Repository": return { repositoryUrl: `${MOCK_ACCOUNT}.dkr.ecr.${region}.amazonaws.com/${name}`, registryId: MOCK_ACCOUNT };
    case "aws:lambda/function:Function": return { invokeArn: `arn:aws:apigateway:${region}:lambda:path/2015-03-31/functions/${arn}/invocations` };
    case "aws:apigatewayv2/api:Api": return { apiEndpoint: `https://${id}.execute-api.${region}.amazonaws.com`, executionArn: `arn:aws:execute-api:${region}:${MOCK_ACCOUNT}:${id}` };
    case "aws:lb/loadBalancer:LoadBalancer": return { dnsName: `${name}.${region}.elb.amazonaws.com`, arnSuffix: `app/${name}/0000000000000000` };
    case "aws:lb/targetGroup:TargetGroup": return { arnSuffix: `targetgroup/${name}/0000000000000000` };
    case "aws:ecs/taskDefinition:TaskDefinition": return { revision: 1, arnWithoutRevision: arn.replace(/:1$/, "") };
    case "aws:efs/fileSystem:FileSystem": return { dnsName: `${id}.efs.${region}.amazonaws.com` };
    case "docker-build:index:Image": {
      const digest = `sha256:${sha(JSON.stringify([inputs.dockerfile, inputs.tags, inputs.labels]))}`;
      const tag = Array.isArray(inputs.tags) && typeof inputs.tags[0] === "string" ? inputs.tags[0] : name;
      return { digest, ref: `${tag}@${digest}`, contextHash: sha(JSON.stringify(inputs.context ?? null)) };
    }
    default: return {};
  }
}

export function mockResource(args: MockResourceArgs, region: string): MockResourceResult {
  const inputs = (args.inputs ?? {}) as Record<string, any>;
  const type = args.type;
  if (!args.custom) return { id: undefined, state: {} };
  const physical: string = type === "aws:s3/bucket:Bucket" ? (inputs.bucket ?? args.name)
    : type === "aws:ecs/taskDefinition:TaskDefinition" ? inputs.family
      : (typeof inputs.name === "string" ? inputs.name : args.name);
  const prefix = ID_PREFIX[type];
  const id = prefix ? `${prefix}${args.name}` : physical;
  let arn = arnFor(type, physical, id, region);
  if (type === "aws:ecs/taskDefinition:TaskDefinition") arn = `arn:aws:ecs:${region}:${MOCK_ACCOUNT}:task-definition/${physical}:1`;
  return {
    id,
    state: { ...inputs, id, arn, name: physical, ...extraOutputs(type, physical, inputs, arn, id, region) },
  };
}

/** Provider functions (invokes) the program calls. An unknown one is an error, so none slips by. */
export function mockCall(args: MockCallArgs, region: string): Record<string, unknown> {
  switch (args.token) {
    case "aws:index/getRegion:getRegion":
      return { id: region, name: region, region, description: region, endpoint: `ec2.${region}.amazonaws.com` };
    case "aws:index/getAvailabilityZones:getAvailabilityZones":
      return { id: region, names: ["a", "b", "c"].map((z) => `${region}${z}`), zoneIds: [1, 2, 3].map((n) => `use1-az${n}`), state: "available" };
    case "aws:index/getCallerIdentity:getCallerIdentity":
      return { id: MOCK_ACCOUNT, accountId: MOCK_ACCOUNT, arn: `arn:aws:iam::${MOCK_ACCOUNT}:user/gantry-plan`, userId: "AIDAMOCK" };
    case "aws:ecr/getAuthorizationToken:getAuthorizationToken":
      return { id: region, userName: "AWS", password: "mock-ecr-password", authorizationToken: "bW9jaw==", proxyEndpoint: `https://${MOCK_ACCOUNT}.dkr.ecr.${region}.amazonaws.com`, expiresAt: "1970-01-01T00:00:00Z", region };
    case "aws:efs/getFileSystem:getFileSystem": {
      const fsId = String(args.inputs.fileSystemId);
      return { id: fsId, fileSystemId: fsId, arn: `arn:aws:elasticfilesystem:${region}:${MOCK_ACCOUNT}:file-system/${fsId}`, dnsName: `${fsId}.efs.${region}.amazonaws.com` };
    }
    default:
      throw new Error(`the offline plan has no mock for the provider function ${args.token}`);
  }
}
