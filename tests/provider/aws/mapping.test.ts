/**
 * The AWS mapping, one fact a line, on the plan of the fixture app that uses every bullet
 * (tests/provider/fixtures/specs.ts). Inputs are what Pulumi would send to AWS.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { CPU_AMI_PARAMETER, GPU_AMI_PARAMETER } from "../../../provider/aws/gpu-capacity.ts";
import { existsSync } from "node:fs";
import { RUNTIME_ENTRY } from "../../../provider/aws/bundle.ts";
import { renderDockerfile } from "../../../provider/aws/dockerfile.ts";
import { DEFAULT_IMAGE, llmApp, ENTRY } from "../fixtures/specs.ts";
import { planOf, type PlanView } from "../plan-view.ts";

const Q = "aws:sqs/queue:Queue";
const TD = "aws:ecs/taskDefinition:TaskDefinition";
let view: PlanView;

before(async () => {
  view = await planOf(llmApp(), { secretValues: { "dict-1a2b3c": { OPENAI_KEY: "sk-live-123" } } });
});

const container = (declaration: string) => view.json(TD, { declaration }, "containerDefinitions")[0];
const env = (declaration: string) => Object.fromEntries(container(declaration).environment.map((e: { name: string; value: string }) => [e.name, e.value]));

describe("network", () => {
  it("a new VPC with DNS hostnames (EFS mount targets resolve by name)", () => {
    assert.deepEqual(view.inputs("aws:ec2/vpc:Vpc"), { ...view.inputs("aws:ec2/vpc:Vpc"), cidrBlock: "10.0.0.0/16", enableDnsHostnames: true, enableDnsSupport: true });
  });
  it("private subnets in two availability zones, no public IPs", () => {
    const subnets = view.resources("aws:ec2/subnet:Subnet", { name: /private/ }).map((r) => r.inputs as Record<string, unknown>);
    assert.deepEqual(subnets.map((s) => [s.availabilityZone, s.cidrBlock, s.mapPublicIpOnLaunch]), [["us-east-1a", "10.0.32.0/20", false], ["us-east-1b", "10.0.48.0/20", false]]);
  });
  it("one NAT gateway in a public subnet; private routes go through it", () => {
    assert.equal(view.inputs("aws:ec2/natGateway:NatGateway").subnetId, "subnet-gantry-network-public-1");
    assert.deepEqual(view.inputs("aws:ec2/routeTable:RouteTable", { name: "gantry-network-private" }).routes, [{ cidrBlock: "0.0.0.0/0", natGatewayId: "nat-gantry-network-nat" }]);
  });
  it("an S3 gateway endpoint keeps image layer pulls off the NAT", () => {
    assert.equal(view.inputs("aws:ec2/vpcEndpoint:VpcEndpoint").serviceName, "com.amazonaws.us-east-1.s3");
  });
  it("a security group per service", () => {
    for (const d of ["LlamaInference", "EmbeddingService", "square"]) assert.ok(view.resource("aws:ec2/securityGroup:SecurityGroup", { declaration: d }));
  });
});

describe("GPU capacity", () => {
  it("launch templates use the ECS GPU-optimized AL2023 AMI, resolved from SSM at launch", () => {
    assert.equal(view.inputs("aws:ec2/launchTemplate:LaunchTemplate", { name: "gantry-capacity-gpu-a10gx1" }).imageId, `resolve:ssm:${GPU_AMI_PARAMETER}`);
    assert.equal(GPU_AMI_PARAMETER, "/aws/service/ecs/optimized-ami/amazon-linux-2023/gpu/recommended/image_id");
    assert.equal(view.inputs("aws:ec2/launchTemplate:LaunchTemplate", { name: "gantry-capacity-cpu" }).imageId, `resolve:ssm:${CPU_AMI_PARAMETER}`);
  });
  it("instances join the cluster with GPU support on", () => {
    const userData = Buffer.from(view.inputs("aws:ec2/launchTemplate:LaunchTemplate", { name: "gantry-capacity-gpu-a10gx1" }).userData, "base64").toString();
    assert.match(userData, /^ECS_CLUSTER=gantry-capacity$/m);
    assert.match(userData, /^ECS_ENABLE_GPU_SUPPORT=true$/m);
  });
  it("the A10G group is g5.xlarge, starts at zero, and is bounded by maxContainers", () => {
    const asg = view.inputs("aws:autoscaling/group:Group", { name: "gantry-capacity-gpu-a10gx1" });
    assert.equal(asg.minSize, 0);
    assert.equal(asg.maxSize, 5);
    assert.deepEqual(asg.mixedInstancesPolicy.launchTemplate.overrides, [{ instanceType: "g5.xlarge" }]);
    assert.equal(asg.protectFromScaleIn, true);
    assert.ok(asg.tags.some((t: { key: string; value: string }) => t.key === "AmazonECSManaged" && t.value === "true"));
  });
  it("a fallback list is an ordered preference; spot uses spot capacity", () => {
    const asg = view.inputs("aws:autoscaling/group:Group", { name: "gantry-capacity-gpu-h100x8-a100-80gbx8-spot" });
    assert.deepEqual(asg.mixedInstancesPolicy.launchTemplate.overrides, [{ instanceType: "p5.48xlarge" }, { instanceType: "p4de.24xlarge" }]);
    assert.deepEqual(asg.mixedInstancesPolicy.instancesDistribution, {
      onDemandAllocationStrategy: "prioritized", onDemandBaseCapacity: 0, onDemandPercentageAboveBaseCapacity: 0, spotAllocationStrategy: "capacity-optimized-prioritized",
    });
    assert.equal(asg.capacityRebalance, true);
    assert.match(Buffer.from(view.inputs("aws:ec2/launchTemplate:LaunchTemplate", { name: "gantry-capacity-gpu-h100x8-a100-80gbx8-spot" }).userData, "base64").toString(), /^ECS_ENABLE_SPOT_INSTANCE_DRAINING=true$/m);
  });
  it("capacity providers: managed scaling, managed termination protection, managed draining", () => {
    assert.deepEqual(view.inputs("aws:ecs/capacityProvider:CapacityProvider", { name: "gantry-capacity-gpu-a10gx1" }).autoScalingGroupProvider, {
      autoScalingGroupArn: "arn:aws:autoscaling:us-east-1:000000000000:autoScalingGroup:00000000-0000-0000-0000-000000000000:autoScalingGroupName/gantry-capacity-gpu-a10gx1",
      managedDraining: "ENABLED",
      managedScaling: { instanceWarmupPeriod: 300, maximumScalingStepSize: 10, minimumScalingStepSize: 1, status: "ENABLED", targetCapacity: 100 },
      managedTerminationProtection: "ENABLED",
    });
  });
  it("one group per GPU shape, plus a CPU group, all on the cluster", () => {
    assert.deepEqual(view.inputs("aws:ecs/clusterCapacityProviders:ClusterCapacityProviders").capacityProviders, [
      "gantry-capacity-cpu", "gantry-capacity-gpu-a10gx1", "gantry-capacity-gpu-h100x1", "gantry-capacity-gpu-h100x8-a100-80gbx8-spot", "gantry-capacity-gpu-t4x1",
    ]);
    assert.deepEqual(view.inputs("aws:autoscaling/group:Group", { name: "gantry-capacity-cpu" }).mixedInstancesPolicy.launchTemplate.overrides, [{ instanceType: "m7i.large" }]);
  });
  it("the CPU group is sized for awsvpc ENIs: 2 tasks per m7i.large (3 ENIs, one the instance's)", () => {
    // square 100, api 2, health 2, hourly 1, nightly 1 containers: 50 + 1 + 1 + 1 + 1
    assert.equal(view.inputs("aws:autoscaling/group:Group", { name: "gantry-capacity-cpu" }).maxSize, 54);
  });
});

describe("per function / class variant", () => {
  it("a queue whose visibility timeout exceeds the function timeout", () => {
    assert.equal(view.inputs(Q, { declaration: "LlamaInference", name: "llama-inference-queue" }).visibilityTimeoutSeconds, 660);
    assert.equal(view.inputs(Q, { declaration: "square", name: "square-queue" }).visibilityTimeoutSeconds, 120);
  });
  it("a dead-letter queue, with a redrive count (retries + 5) that leaves room for the runtime's retries and crashes", () => {
    assert.deepEqual(JSON.parse(view.inputs(Q, { name: "llama-inference-queue" }).redrivePolicy), {
      deadLetterTargetArn: "arn:aws:sqs:us-east-1:000000000000:llama-inference-dlq", maxReceiveCount: 7,
    });
    assert.equal(view.inputs(Q, { name: "llama-inference-dlq" }).messageRetentionSeconds, 1209600);
  });
  it("a task definition on EC2 with awsvpc, cpu/memory and the GPU as a resource requirement", () => {
    const td = view.inputs(TD, { declaration: "LlamaInference" });
    assert.deepEqual([td.requiresCompatibilities, td.networkMode, td.cpu, td.memory], [["EC2"], "awsvpc", "3840", "14233"]);
    assert.deepEqual(container("LlamaInference").resourceRequirements, [{ type: "GPU", value: "1" }]);
    assert.deepEqual(container("square").resourceRequirements, []);
  });
  it("secrets by valueFrom JSON key", () => {
    assert.deepEqual(container("LlamaInference").secrets, [{ name: "HF_TOKEN", valueFrom: "arn:aws:secretsmanager:us-east-1:000000000000:secret:gantry/llm-demo/dev/huggingface-token-AbCdEf:HF_TOKEN::" }]);
  });
  it("EFS volumes through an access point with transit encryption and IAM", () => {
    assert.deepEqual(view.inputs(TD, { declaration: "LlamaInference" }).volumes, [{
      efsVolumeConfiguration: {
        authorizationConfig: { accessPointId: "fsap-volume-llm-model-weights-ap", iam: "ENABLED" },
        fileSystemId: "fs-volume-llm-model-weights-fs",
        transitEncryption: "ENABLED",
      },
      name: "vol-llm-model-weights",
    }]);
    assert.deepEqual(container("LlamaInference").mountPoints, [{ containerPath: "/models", readOnly: false, sourceVolume: "vol-llm-model-weights" }]);
  });
  it("awslogs into the declaration's log group, with retention", () => {
    assert.deepEqual(container("LlamaInference").logConfiguration, {
      logDriver: "awslogs",
      options: { "awslogs-group": "/gantry/llm-demo/dev/llama-inference", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "llama-inference" },
    });
    assert.equal(view.inputs("aws:cloudwatch/logGroup:LogGroup", { declaration: "LlamaInference" }).retentionInDays, 30);
  });
  it("a stop timeout for the graceful drain", () => assert.equal(container("LlamaInference").stopTimeout, 120));
  it("the runtime's wiring in the environment", () => {
    const e = env("LlamaInference");
    assert.equal(e.GANTRY_QUEUE_URL, "https://sqs.us-east-1.amazonaws.com/000000000000/llama-inference-queue");
    assert.equal(e.GANTRY_MAX_INPUTS, "8");
    assert.equal(e.GANTRY_TARGET_INPUTS, undefined, "the stack scales on targetInputs; the container is not told it");
    assert.equal(e.GANTRY_VARIANT, "LlamaInference");
    assert.equal(env("LlamaInference[gpu=H100]").GANTRY_VARIANT, "LlamaInference[gpu=H100]");
    assert.equal(env("api").GANTRY_SECRET_ARNS, JSON.stringify(["arn:aws:secretsmanager:us-east-1:000000000000:secret:gantry/llm-demo/dev/api-secrets-AbCdEf"]));
  });
  it("an ECS service on its capacity provider, starting at minContainers", () => {
    const svc = view.inputs("aws:ecs/service:Service", { declaration: "LlamaInference" });
    assert.deepEqual(svc.capacityProviderStrategies, [{ base: 0, capacityProvider: "gantry-capacity-gpu-a10gx1", weight: 1 }]);
    assert.equal(svc.desiredCount, 0);
    // named, not auto-named: every task is told every service's name before the services exist
    assert.equal(svc.name, "llama-inference");
    assert.equal(view.inputs("aws:ecs/service:Service", { declaration: "LlamaInference[gpu=H100]" }).name, "llama-inference-gpu-h100");
    assert.equal(svc.networkConfiguration.assignPublicIp, false);
    assert.equal(view.inputs("aws:ecs/service:Service", { declaration: "LlamaInference[gpu=H100]" }).capacityProviderStrategies[0].capacityProvider, "gantry-capacity-gpu-h100x1");
  });
  it("Application Auto Scaling between minContainers and maxContainers", () => {
    const target = view.inputs("aws:appautoscaling/target:Target", { declaration: "LlamaInference" });
    assert.deepEqual([target.minCapacity, target.maxCapacity, target.scalableDimension, target.resourceId], [0, 5, "ecs:service:DesiredCount", "service/gantry-capacity/llama-inference"]);
    assert.equal(view.inputs("aws:appautoscaling/target:Target", { declaration: "square" }).maxCapacity, 100);
  });
  it("target tracking on backlog per task, target = targetInputs, scale-in after scaledownWindow", () => {
    const cfg = view.inputs("aws:appautoscaling/policy:Policy", { name: "llama-inference-backlog" }).targetTrackingScalingPolicyConfiguration;
    assert.equal(cfg.targetValue, 6);
    assert.equal(cfg.scaleInCooldown, 300);
    const metrics = cfg.customizedMetricSpecification.metrics;
    assert.deepEqual(metrics.map((m: { id: string }) => m.id), ["visible", "inflight", "running", "backlog"]);
    assert.equal(metrics[3].expression, "(visible + inflight) / running");
    assert.deepEqual(metrics[0].metricStat.metric, { dimensions: [{ name: "QueueName", value: "llama-inference-queue" }], metricName: "ApproximateNumberOfMessagesVisible", namespace: "AWS/SQS" });
  });
  it("a separate step policy sets exactly one task when inputs wait and nothing runs or is asked for", () => {
    const step = view.inputs("aws:appautoscaling/policy:Policy", { name: "llama-inference-from-zero" });
    // ExactCapacity: the action repeats while the alarm stays in ALARM through a cold start
    assert.deepEqual(step.stepScalingPolicyConfiguration, { adjustmentType: "ExactCapacity", cooldown: 60, metricAggregationType: "Maximum", stepAdjustments: [{ metricIntervalLowerBound: "0", scalingAdjustment: 1 }] });
    const alarm = view.inputs("aws:cloudwatch/metricAlarm:MetricAlarm", { name: "llama-inference-from-zero" });
    assert.deepEqual(alarm.alarmActions, ["arn:aws:autoscaling:us-east-1:000000000000:scalingPolicy:llama-inference-from-zero"]);
    assert.deepEqual(alarm.metricQueries.map((q: { id: string }) => q.id), ["visible", "running", "desired", "idle"]);
    assert.equal(alarm.metricQueries[2].metric.metricName, "DesiredTaskCount");
    assert.equal(alarm.metricQueries[3].expression, "IF(visible > 0 AND FILL(running, 0) == 0 AND FILL(desired, 0) == 0, 1, 0)");
  });
  it("every task is told how to wake each unit that can be at zero, exactly (runtime/aws/waker.ts)", () => {
    const wake = JSON.parse(env("square").GANTRY_WAKE);
    assert.deepEqual(wake, JSON.parse(env("LlamaInference").GANTRY_WAKE), "the same table in every task");
    assert.deepEqual(wake.LlamaInference, { targetInputs: 6, maxContainers: 5 });
    assert.deepEqual(wake.square, { targetInputs: 1, maxContainers: 100 });
    assert.deepEqual(wake.EmbeddingService, { targetInputs: 16, maxContainers: 3 });
    assert.equal(wake.api, undefined, "a webApp behind the load balancer is never at zero");
  });
});

describe("images", () => {
  it("an ECR repository per image: immutable tags, scan on push, a lifecycle policy", () => {
    const repo = view.inputs("aws:ecr/repository:Repository", { name: "image-img-3f2a9c1d0b7e" });
    assert.deepEqual([repo.imageTagMutability, repo.imageScanningConfiguration], ["IMMUTABLE", { scanOnPush: true }]);
    const policy = JSON.parse(view.inputs("aws:ecr/lifecyclePolicy:LifecyclePolicy", { name: "image-img-3f2a9c1d0b7e" }).policy);
    assert.deepEqual(policy.rules.map((r: { selection: unknown }) => r.selection), [
      { countNumber: 7, countType: "sinceImagePushed", countUnit: "days", tagStatus: "untagged" },
      { countNumber: 20, countType: "imageCountMoreThan", tagStatus: "any" },
    ]);
  });
  it("built by docker-build from the deterministic Dockerfile, with an ECR registry cache", () => {
    const build = view.inputs("docker-build:index:Image", { name: "image-img-3f2a9c1d0b7e-build" });
    const spec = llmApp().images.find((i) => i.id === "img-3f2a9c1d0b7e")!;
    assert.equal(build.dockerfile.inline, renderDockerfile(spec, { entry: existsSync(RUNTIME_ENTRY) ? "main.mjs" : "app.mjs" }));
    assert.deepEqual(build.context.named, { gantry: { location: ".gantry/build/llm-demo/dev/img-3f2a9c1d0b7e" } });
    assert.equal(build.push, true);
    assert.equal(build.cacheTo[0].registry.mode, "max");
    assert.equal(build.registries[0].password, "[secret]");
  });
  it("the bundle leaves npmInstall packages external (the image installs them)", () => {
    assert.match(build().dockerfile.inline, /npm install --prefix \/opt\/gantry .* onnxruntime-node@1\.20\.1/);
    function build() { return view.inputs("docker-build:index:Image", { name: "image-img-3f2a9c1d0b7e-build" }); }
  });
  it("task definitions run the pushed image by digest", () => {
    assert.match(container("LlamaInference").image, /^000000000000\.dkr\.ecr\.us-east-1\.amazonaws\.com\/image-img-3f2a9c1d0b7e:[0-9a-f]{16}@sha256:[0-9a-f]{64}$/);
  });
});

describe("volumes", () => {
  it("an encrypted EFS file system, kept when the stack is destroyed", () => {
    assert.equal(view.inputs("aws:efs/fileSystem:FileSystem").encrypted, true);
  });
  it("one mount target per private subnet, behind the volume's NFS security group", () => {
    assert.deepEqual(view.resources("aws:efs/mountTarget:MountTarget").map((r) => [r.inputs.subnetId, r.inputs.securityGroups]), [
      ["subnet-gantry-network-private-1", ["sg-volume-llm-model-weights-nfs"]],
      ["subnet-gantry-network-private-2", ["sg-volume-llm-model-weights-nfs"]],
    ]);
  });
  it("TCP 2049 only from the tasks that mount it", () => {
    const rules = view.resources("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", { name: /-nfs-/ });
    assert.deepEqual(rules.map((r) => [r.declaration, r.inputs.securityGroupId, r.inputs.referencedSecurityGroupId, r.inputs.fromPort, r.inputs.toPort, r.inputs.ipProtocol]), [
      ["LlamaInference[gpu=H100]", "sg-volume-llm-model-weights-nfs", "sg-llama-inference-gpu-h100-tasks", 2049, 2049, "tcp"],
      ["LlamaInference", "sg-volume-llm-model-weights-nfs", "sg-llama-inference-tasks", 2049, 2049, "tcp"],
    ]);
    assert.deepEqual(view.inputs("aws:ec2/securityGroup:SecurityGroup", { name: "volume-llm-model-weights-nfs" }).ingress ?? [], []);
  });
  it("an access point that creates the data directory", () => {
    assert.deepEqual(view.inputs("aws:efs/accessPoint:AccessPoint").rootDirectory, { creationInfo: { ownerGid: 1000, ownerUid: 1000, permissions: "0755" }, path: "/gantry/llm-model-weights" });
  });
  it("refuses connections without TLS", () => {
    assert.deepEqual(JSON.parse(view.inputs("aws:efs/fileSystemPolicy:FileSystemPolicy").policy).Statement[0].Condition, { Bool: { "aws:SecureTransport": "false" } });
  });
});

describe("secrets", () => {
  it("Secret.fromName is a Secrets Manager secret named for the app and stack, with no value from code", () => {
    assert.equal(view.inputs("aws:secretsmanager/secret:Secret", { declaration: "secret:huggingface-token" }).name, "gantry/llm-demo/dev/huggingface-token");
    assert.equal(view.resources("aws:secretsmanager/secretVersion:SecretVersion", { declaration: "secret:huggingface-token" }).length, 0);
  });
  it("Secret.fromDict values become a Pulumi secret; the plan never shows them", () => {
    assert.equal(view.inputs("aws:secretsmanager/secretVersion:SecretVersion", { declaration: "secret:dict-1a2b3c" }).secretString, "[secret]");
    assert.doesNotMatch(JSON.stringify(view.plan), /sk-live-123/);
  });
});

describe("schedules", () => {
  it("cron in AWS's six-field form, in its timezone, no flexible window", () => {
    const s = view.inputs("aws:scheduler/schedule:Schedule", { declaration: "nightly" });
    assert.deepEqual([s.scheduleExpression, s.scheduleExpressionTimezone, s.flexibleTimeWindow], ["cron(0 2 * * ? *)", "Europe/Paris", { mode: "OFF" }]);
  });
  it("targets the function's queue with a retry policy and a dead-letter queue", () => {
    const t = view.inputs("aws:scheduler/schedule:Schedule", { declaration: "nightly" }).target;
    assert.equal(t.arn, "arn:aws:sqs:us-east-1:000000000000:nightly-queue");
    assert.deepEqual(t.retryPolicy, { maximumEventAgeInSeconds: 3600, maximumRetryAttempts: 3 });
    assert.equal(t.deadLetterConfig.arn, "arn:aws:sqs:us-east-1:000000000000:nightly-schedule-dlq");
    assert.equal(JSON.parse(t.input).function, "nightly");
  });
  it("periods are rate()", () => {
    assert.equal(view.inputs("aws:scheduler/schedule:Schedule", { declaration: "hourly" }).scheduleExpression, "rate(1 hour)");
  });
  it("the scheduler role may only send to that function's queue (and the schedule's DLQ)", () => {
    const policy = JSON.parse(view.inputs("aws:iam/rolePolicy:RolePolicy", { name: "nightly-scheduler" }).policy);
    assert.deepEqual(policy.Statement, [{ Action: ["sqs:SendMessage"], Effect: "Allow", Resource: ["arn:aws:sqs:us-east-1:000000000000:nightly-queue", "arn:aws:sqs:us-east-1:000000000000:nightly-schedule-dlq"], Sid: "SendScheduledInputs" }]);
    assert.equal(JSON.parse(view.inputs("aws:iam/role:Role", { name: "nightly-scheduler" }).assumeRolePolicy).Statement[0].Principal.Service, "scheduler.amazonaws.com");
  });
});

describe("results and state", () => {
  it("a DynamoDB table for call results with TTL", () => {
    const t = view.inputs("aws:dynamodb/table:Table", { name: "gantry-state-results" });
    assert.deepEqual([t.hashKey, t.billingMode, t.ttl], ["callId", "PAY_PER_REQUEST", { attributeName: "expiresAt", enabled: true }]);
  });
  it("an S3 bucket for payloads beyond the queue's limit, private and expiring", () => {
    assert.deepEqual(view.inputs("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"), {
      blockPublicAcls: true, blockPublicPolicy: true, bucket: "gantry-state-payloads", ignorePublicAcls: true, restrictPublicBuckets: true,
    });
    assert.equal(view.inputs(Q, { name: "llama-inference-queue" }).maxMessageSize, 1048576);
  });
  it("a DynamoDB table per Dict, an SQS queue per Queue", () => {
    assert.equal(view.inputs("aws:dynamodb/table:Table", { declaration: "dict:counters" }).hashKey, "key");
    assert.ok(view.resource(Q, { declaration: "queue:jobs" }));
  });
});

describe("web", () => {
  it("endpoints behind an HTTP API, routed per declaration to one Lambda gateway", () => {
    assert.equal(view.inputs("aws:apigatewayv2/api:Api").protocolType, "HTTP");
    assert.deepEqual(view.resources("aws:apigatewayv2/route:Route", { declaration: "EmbeddingService" }).map((r) => r.inputs.routeKey).sort(), [
      "ANY /EmbeddingService/embed", "GET /EmbeddingService/embed/docs", "GET /EmbeddingService/embed/openapi.json",
    ]);
    assert.deepEqual(view.resources("aws:apigatewayv2/route:Route", { declaration: "health" }).map((r) => r.inputs.routeKey), ["ANY /health"]);
    assert.equal(view.inputs("aws:apigatewayv2/route:Route", { declaration: null }).routeKey, "ANY /_gantry/{proxy+}");
    const fn = view.inputs("aws:lambda/function:Function");
    assert.deepEqual([fn.runtime, fn.handler, fn.timeout, fn.architectures], ["nodejs24.x", "index.handler", 30, ["arm64"]]);
    assert.deepEqual(view.inputs("aws:apigatewayv2/integration:Integration").payloadFormatVersion, "2.0");
  });
  it("the gateway carries the body's JSON Schema, the route's auth, and the docs assets", () => {
    const code = view.inputs("aws:lambda/function:Function").code["[archive]"];
    const table = JSON.parse(code["routes.json"]["[text]"]);
    assert.deepEqual(table.routes[0].bodySchema.required, ["texts"]);
    assert.equal(table.routes[0].public, false);
    assert.match(code["node_modules/swagger-ui-dist/swagger-ui-bundle.js"].sha256, /^sha256:[0-9a-f]{64}$/);
    assert.equal(view.inputs("aws:lambda/function:Function").environment.variables.GANTRY_TOKEN_SECRET_ARN, "arn:aws:secretsmanager:us-east-1:000000000000:secret:gantry-web-token-secret-AbCdEf");
    // the queue URLs are in the archive's routing table: the environment (4 KB at most) does not grow with the app
    assert.equal(view.inputs("aws:lambda/function:Function").environment.variables.GANTRY_QUEUES, undefined);
    assert.deepEqual(table.queues, {
      EmbeddingService: "https://sqs.us-east-1.amazonaws.com/000000000000/embedding-service-queue",
      health: "https://sqs.us-east-1.amazonaws.com/000000000000/health-queue",
    });
  });
  it("webApp behind an ALB to its ECS service, never scaled to zero", () => {
    assert.deepEqual(view.inputs("aws:lb/listenerRule:ListenerRule", { declaration: "api" }).conditions, [{ pathPattern: { values: ["/api", "/api/*"] } }]);
    const tg = view.inputs("aws:lb/targetGroup:TargetGroup", { declaration: "api" });
    assert.deepEqual([tg.targetType, tg.port, tg.healthCheck.path], ["ip", 8000, "/readyz"]);
    assert.deepEqual(view.inputs("aws:ecs/service:Service", { declaration: "api" }).loadBalancers, [{ containerName: "main", containerPort: 8000, targetGroupArn: "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/api-tg/0000000000000000" }]);
    assert.equal(view.inputs("aws:appautoscaling/target:Target", { declaration: "api" }).minCapacity, 1);
    assert.equal(env("api").GANTRY_HTTP_PORT, "8000");
    assert.equal(env("api").GANTRY_TOKEN_SECRET_ARN, "arn:aws:secretsmanager:us-east-1:000000000000:secret:gantry-web-token-secret-AbCdEf");
  });
  it("without a certificate, a load balancer with a private webApp behind it is internal: no bearer token over plain HTTP", async () => {
    const lb = view.inputs("aws:lb/loadBalancer:LoadBalancer");
    assert.deepEqual([lb.internal, lb.subnets], [true, ["subnet-gantry-network-private-1", "subnet-gantry-network-private-2"]]);
    const tls = await planOf(llmApp(), { secretValues: { "dict-1a2b3c": { OPENAI_KEY: "sk-live-123" } }, config: { "gantry:certificateArn": "arn:aws:acm:us-east-1:000000000000:certificate/abc" } });
    const exposed = tls.inputs("aws:lb/loadBalancer:LoadBalancer");
    assert.deepEqual([exposed.internal, exposed.subnets], [false, ["subnet-gantry-network-public-1", "subnet-gantry-network-public-2"]]);
    assert.equal(tls.inputs("aws:lb/listener:Listener", { name: "gantry-lb-https" }).protocol, "HTTPS");
  });
  it("the load balancer refuses ambiguous request framing (desync) and drops invalid header fields", () => {
    const lb = view.inputs("aws:lb/loadBalancer:LoadBalancer");
    assert.deepEqual([lb.desyncMitigationMode, lb.dropInvalidHeaderFields], ["strictest", true]);
  });
});

describe("source locations and outputs", () => {
  it("every resource of a declaration records where it was declared", () => {
    const llama = view.plan.resources.filter((r) => r.declaration === "LlamaInference");
    assert.ok(llama.length > 15);
    for (const r of llama) assert.deepEqual(r.source, { file: ENTRY, line: 20, column: 1 });
    assert.deepEqual(view.resource("aws:ecs/service:Service", { declaration: "LlamaInference[gpu=H100]" }).source, { file: ENTRY, line: 40, column: 14 });
  });
  it("taggable resources carry the location as the gantry:source tag", () => {
    assert.deepEqual(view.inputs(Q, { name: "llama-inference-queue" }).tags, {
      "gantry:app": "llm-demo", "gantry:declaration": "LlamaInference", "gantry:source": `${ENTRY}:20:1`, "gantry:stack": "dev",
    });
    // tag values only allow letters, digits, spaces and _ . : / = + - @
    assert.equal(view.inputs(Q, { name: "llama-inference-gpu-h100-queue" }).tags["gantry:declaration"], "LlamaInference_gpu=H100_");
  });
  it("shared infrastructure has no declaration", () => {
    assert.equal(view.resource("aws:ecs/cluster:Cluster").declaration, null);
  });
  it("every resource has a source; what the app shares points at new App(…)", () => {
    assert.deepEqual(view.plan.resources.filter((r) => !r.source).map((r) => r.urn), []);
    const app = { file: ENTRY, line: 4, column: 1 };
    for (const type of ["aws:ec2/vpc:Vpc", "aws:ecs/cluster:Cluster", "aws:dynamodb/table:Table", "aws:s3/bucket:Bucket", "aws:lb/loadBalancer:LoadBalancer", "aws:lambda/function:Function", "aws:apigatewayv2/api:Api"]) {
      const r = view.resource(type, { declaration: null });
      assert.deepEqual([r.source, r.serves], [app, undefined], type);
    }
    assert.deepEqual(view.resource("aws:ecs/cluster:Cluster").inputs.tags, { "gantry:app": "llm-demo", "gantry:source": `${ENTRY}:4:1`, "gantry:stack": "dev" });
    // the default image (no Image in code) is the app's
    assert.deepEqual(view.resources("aws:ecr/repository:Repository", { declaration: `image:${DEFAULT_IMAGE}` }).map((r) => r.source), [app, app]);
  });
  it("a capacity group points at the declarations it serves: the first as source, all listed", () => {
    const groups = view.resources("aws:autoscaling/group:Group");
    assert.ok(groups.length >= 2);
    const units = new Map(view.resources("aws:ecs/service:Service").map((s) => [s.declaration, s.source]));
    for (const g of groups) {
      assert.equal(g.declaration, null);
      assert.ok(g.serves && g.serves.length > 0, g.name);
      assert.deepEqual(g.source, units.get(g.serves[0]), g.name);
      for (const id of g.serves) assert.ok(units.has(id), `${g.name} serves ${id}`);
    }
    const cpu = groups.find((g) => g.serves!.length > 1)!;
    assert.ok(cpu, "one group serves several units");
    const tags = Object.fromEntries((cpu.inputs.tags as Array<{ key: string; value: string }>).map((t) => [t.key, t.value]));
    assert.equal(tags["gantry:serves"], cpu.serves!.join(" ").replace(/[^\p{L}\p{N} _.:/=+\-@]/gu, "_"));
  });
  it("outputs: queue URLs, endpoint URLs, image digests, spec hash", () => {
    const o = view.plan.outputs as Record<string, any>;
    assert.equal(o.queueUrls.square, "https://sqs.us-east-1.amazonaws.com/000000000000/square-queue");
    assert.equal(o.endpoints["POST /EmbeddingService/embed"], "https://gantry-api.execute-api.us-east-1.amazonaws.com/EmbeddingService/embed");
    assert.match(o.images["img-3f2a9c1d0b7e"], /@sha256:/);
    assert.equal(o.specHash, view.plan.specHash);
  });
});
