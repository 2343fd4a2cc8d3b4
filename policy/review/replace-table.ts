/**
 * When two offline plans differ, nothing says whether AWS can update a resource in place. This
 * table holds the top-level properties whose change replaces the resource (the provider's
 * "ForceNew" fields) for the types gantry creates; a `pulumi preview` is authoritative and its
 * `replace` steps are used as they are.
 */
const ALL_BUT_TAGS = "*";

const REPLACES: Record<string, readonly string[]> = {
  // task definitions are immutable: every change registers a new revision
  "aws:ecs/taskDefinition:TaskDefinition": [ALL_BUT_TAGS],
  "aws:ecs/service:Service": ["name", "cluster", "launchType", "schedulingStrategy"],
  "aws:ecs/cluster:Cluster": ["name"],
  "aws:ecs/capacityProvider:CapacityProvider": ["name"],
  "aws:sqs/queue:Queue": ["name", "namePrefix", "fifoQueue"],
  "aws:efs/fileSystem:FileSystem": ["encrypted", "kmsKeyId", "performanceMode", "creationToken", "availabilityZoneName"],
  "aws:efs/accessPoint:AccessPoint": ["fileSystemId", "posixUser", "rootDirectory"],
  "aws:efs/mountTarget:MountTarget": ["fileSystemId", "subnetId", "ipAddress"],
  "aws:ecr/repository:Repository": ["name"],
  "aws:dynamodb/table:Table": ["name", "hashKey", "rangeKey"],
  "aws:iam/role:Role": ["name", "namePrefix", "path"],
  "aws:iam/rolePolicy:RolePolicy": ["name", "namePrefix", "role"],
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment": ["role", "policyArn"],
  "aws:ec2/launchTemplate:LaunchTemplate": ["name", "namePrefix"],
  "aws:autoscaling/group:Group": ["name", "namePrefix"],
  "aws:secretsmanager/secret:Secret": ["name", "namePrefix"],
  "aws:s3/bucket:Bucket": ["bucket", "bucketPrefix"],
  "aws:s3/bucketV2:BucketV2": ["bucket", "bucketPrefix"],
  "aws:lambda/function:Function": ["name", "packageType"],
  "aws:cloudwatch/logGroup:LogGroup": ["name", "namePrefix"],
  "aws:scheduler/schedule:Schedule": ["name", "namePrefix"],
  "aws:ec2/securityGroup:SecurityGroup": ["name", "namePrefix", "vpcId", "description"],
  "aws:apigatewayv2/api:Api": ["protocolType"],
  "aws:lb/loadBalancer:LoadBalancer": ["name", "namePrefix", "internal", "loadBalancerType"],
  "aws:appautoscaling/target:Target": ["resourceId", "scalableDimension", "serviceNamespace"],
  "aws:appautoscaling/policy:Policy": ["name", "resourceId", "scalableDimension", "serviceNamespace"],
};

/** Does a change at `path` (top-level key first) replace a resource of `type`? */
export function replacesOnChange(type: string, path: string): boolean {
  const fields = REPLACES[type];
  if (!fields) return false;
  const top = path.split(/[.[]/)[0];
  if (fields.includes(ALL_BUT_TAGS)) return top !== "tags" && top !== "tagsAll";
  return fields.includes(top);
}
