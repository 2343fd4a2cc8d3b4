/** Mapping details that need their own app: buffers, schedules on both day fields, existing VPCs, errors. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SynthError } from "../../../provider/errors.ts";
import { app, cls, fn, gpu } from "../fixtures/specs.ts";
import { planOf } from "../plan-view.ts";

const at = (line: number, column = 1) => ({ file: "tests/provider/fixtures/apps/llm/app.ts", line, column });

describe("variations", () => {
  it("bufferContainers adds headroom to the backlog; a cron on both day fields is two schedules", async () => {
    const view = await planOf(app({
      functions: [fn("report", 5, { maxContainers: 2, bufferContainers: 2 }, { schedule: { kind: "cron", expression: "0 9 1 * 1", timezone: "UTC", source: at(5, 30) } })],
    }));
    const metrics = view.inputs("aws:appautoscaling/policy:Policy", { name: "report-backlog" }).targetTrackingScalingPolicyConfiguration.customizedMetricSpecification.metrics;
    assert.equal(metrics[3].expression, "(visible + inflight + IF((visible + inflight) > 0, 2, 0)) / running");
    assert.deepEqual(view.resources("aws:scheduler/schedule:Schedule").map((r) => [r.name, r.inputs.scheduleExpression]), [
      ["report-day-of-month", "cron(0 9 1 * ? *)"],
      ["report-day-of-week", "cron(0 9 ? * MON *)"],
    ]);
  });

  it("an existing VPC from config: no VPC is created, tasks use the given subnets", async () => {
    const view = await planOf(app({ functions: [fn("square", 1)] }), {
      config: { "gantry:network": { vpcId: "vpc-0abc", privateSubnetIds: ["subnet-a", "subnet-b"], publicSubnetIds: ["subnet-p"] } },
    });
    assert.equal(view.resources("aws:ec2/vpc:Vpc").length, 0);
    assert.equal(view.resources("aws:ec2/natGateway:NatGateway").length, 0);
    assert.deepEqual(view.inputs("aws:ecs/service:Service").networkConfiguration.subnets, ["subnet-a", "subnet-b"]);
    assert.equal(view.inputs("aws:ec2/securityGroup:SecurityGroup", { declaration: "square" }).vpcId, "vpc-0abc");
  });

  it("enableMemorySnapshot keeps a stopped warm pool on the group, bounded to what min + buffer need (at least one)", async () => {
    const view = await planOf(app({ classes: [cls("Model", 3, { gpu: gpu("L4"), maxContainers: 1, enableMemorySnapshot: true })] }));
    assert.deepEqual(view.inputs("aws:autoscaling/group:Group").warmPool, { instanceReusePolicy: { reuseOnScaleIn: true }, maxGroupPreparedCapacity: 1, minSize: 0, poolState: "Stopped" });
    // without maxGroupPreparedCapacity AWS keeps max - desired stopped instances, each launched at deploy time
    const busy = await planOf(app({ classes: [cls("Model", 3, { gpu: gpu("L4"), maxContainers: 8, minContainers: 1, bufferContainers: 2, enableMemorySnapshot: true })] }));
    assert.equal(busy.inputs("aws:autoscaling/group:Group").maxSize, 8);
    assert.equal(busy.inputs("aws:autoscaling/group:Group").warmPool.maxGroupPreparedCapacity, 3);
    const userData = Buffer.from(view.inputs("aws:ec2/launchTemplate:LaunchTemplate").userData, "base64").toString();
    assert.match(userData, /ECS_WARM_POOLS_CHECK=true/);
    // the image is pulled before the instance is stopped into the pool, and tasks start from it
    assert.match(userData, /ECS_IMAGE_PULL_BEHAVIOR=prefer-cached/);
    const image = view.inputs("aws:ecs/taskDefinition:TaskDefinition").containerDefinitions;
    const ref = (JSON.parse(image) as Array<{ image: string }>)[0].image;
    assert.match(ref, /@sha256:/);
    assert.ok(userData.includes(`for ref in ${ref}; do`), userData);
    assert.match(userData, /aws ecr get-login-password --region "\$region" \| docker login/);
  });

  it("groups without a warm pool pull nothing at boot", async () => {
    const view = await planOf(app({ classes: [cls("Model", 3, { gpu: gpu("L4"), maxContainers: 1 })] }));
    const userData = Buffer.from(view.inputs("aws:ec2/launchTemplate:LaunchTemplate").userData, "base64").toString();
    assert.doesNotMatch(userData, /docker pull|prefer-cached/);
  });

  it("what AWS cannot run is refused before anything is declared, at the declaration's location", async () => {
    await assert.rejects(
      planOf(app({
        functions: [fn("huge", 7, { gpu: gpu("T4"), memory: 64000, maxContainers: 1 })],
        volumes: [{ name: "old-data", createIfMissing: false, source: at(3) }],
      })),
      (err: unknown) => {
        assert.ok(err instanceof SynthError);
        assert.deepEqual(err.problems, [
          "tests/provider/fixtures/apps/llm/app.ts:7:1: huge: memory 64000 MiB does not fit g4dn.xlarge (at most 14233 MiB for tasks)",
          "tests/provider/fixtures/apps/llm/app.ts:3:1: volume \"old-data\" has createIfMissing: false; set gantry:volumes.old-data.fileSystemId in Pulumi.<stack>.yaml to the existing EFS file system",
        ]);
        return true;
      },
    );
  });

  it("spot with enableMemorySnapshot is refused at the declaration: AWS allows no warm pool on a Spot group", async () => {
    await assert.rejects(
      planOf(app({ functions: [fn("preempt", 5, { gpu: gpu("L4"), maxContainers: 1, spot: true, enableMemorySnapshot: true })] })),
      (err: unknown) => {
        assert.ok(err instanceof SynthError);
        assert.equal(err.problems.length, 1);
        assert.match(err.problems[0], /^tests\/provider\/fixtures\/apps\/llm\/app\.ts:5:1: preempt: spot: true and enableMemorySnapshot: true cannot go together on AWS: memory snapshots are an EC2 Auto Scaling warm pool/);
        return true;
      },
    );
  });

  it("a timeout SQS cannot hide an input for is refused at the declaration (the runtime cannot extend 12 hours)", async () => {
    await assert.rejects(
      planOf(app({ functions: [fn("longJob", 7, { timeout: 43141, maxContainers: 1 }), fn("day", 9, { timeout: 86400, maxContainers: 1 })] })),
      (err: unknown) => {
        assert.ok(err instanceof SynthError);
        assert.deepEqual(err.problems, [
          "tests/provider/fixtures/apps/llm/app.ts:9:1: day: timeout 86400 s is too long for AWS: SQS hides an input from other containers for at most 12 hours after its receive, so a longer attempt would run a second time in parallel; use at most timeout: 43140 (12 h less 60 s to store the outcome), in code or in gantry:overrides, or split the work into calls that checkpoint to a Volume or Dict",
          "tests/provider/fixtures/apps/llm/app.ts:7:1: longJob: timeout 43141 s is too long for AWS: SQS hides an input from other containers for at most 12 hours after its receive, so a longer attempt would run a second time in parallel; use at most timeout: 43140 (12 h less 60 s to store the outcome), in code or in gantry:overrides, or split the work into calls that checkpoint to a Volume or Dict",
        ]);
        return true;
      },
    );
    // the longest accepted timeout fills SQS's 12 hours exactly
    const view = await planOf(app({ functions: [fn("longJob", 7, { timeout: 43140, maxContainers: 1 })] }));
    assert.equal(view.inputs("aws:sqs/queue:Queue", { name: "long-job-queue" }).visibilityTimeoutSeconds, 43200);
  });

  it("a webServer cannot take the port of the container's front door", async () => {
    await assert.rejects(
      planOf(app({ functions: [fn("ui", 9, {}, { web: { kind: "server", port: 8000, startupTimeout: 30, public: true, source: at(9, 30) } })] })),
      (err: unknown) => {
        assert.ok(err instanceof SynthError);
        assert.deepEqual(err.problems, [
          "tests/provider/fixtures/apps/llm/app.ts:9:30: ui: webServer port 8000 is where gantry's front door (bearer auth, /livez, /readyz) listens in the container; start your server on another port, e.g. 8080",
        ]);
        return true;
      },
    );
  });

  it("a webApp on an existing VPC needs two public subnets for its load balancer", async () => {
    await assert.rejects(
      planOf(app({ functions: [fn("ui", 9, {}, { web: { kind: "app", public: true, source: at(9, 30) } })] }), {
        config: { "gantry:network": { vpcId: "vpc-0abc", privateSubnetIds: ["subnet-a", "subnet-b"], publicSubnetIds: ["subnet-p"] } },
      }),
      /app\.ts:9:1: ui needs a load balancer, which needs public subnets in two availability zones/,
    );
  });

  it("an existing file system for createIfMissing: false gets an access point, no new file system", async () => {
    const view = await planOf(app({
      functions: [fn("reader", 3, { volumes: [{ mountPath: "/data", volume: "old-data" }] })],
      volumes: [{ name: "old-data", createIfMissing: false, source: at(2) }],
    }), { config: { "gantry:volumes": { "old-data": { fileSystemId: "fs-0123abcd" } } } });
    assert.equal(view.resources("aws:efs/fileSystem:FileSystem").length, 0);
    assert.equal(view.inputs("aws:efs/accessPoint:AccessPoint").fileSystemId, "fs-0123abcd");
    assert.equal(view.inputs("aws:ecs/taskDefinition:TaskDefinition").volumes[0].efsVolumeConfiguration.fileSystemId, "fs-0123abcd");
  });
});
