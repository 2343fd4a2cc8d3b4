import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CPU_INSTANCES, cpuInstanceFor, defaultGpuTaskSize, instancesForShape } from "../../../provider/aws/gpu-table.ts";
import { capacityGroupsOf, tasksPerInstance, unitsOf } from "../../../provider/aws/units.ts";
import { app, fn, gpu } from "../fixtures/specs.ts";

describe("GPU -> EC2 instance type (the family from the GPU, the size from the count)", () => {
  const table: Array<[string, number, string[]]> = [
    ["T4", 1, ["g4dn.xlarge"]],
    ["T4", 2, ["g4dn.12xlarge"]],
    ["T4", 4, ["g4dn.12xlarge"]],
    ["T4", 8, ["g4dn.metal"]],
    ["L4", 1, ["g6.xlarge"]],
    ["L4", 4, ["g6.12xlarge"]],
    ["L4", 8, ["g6.48xlarge"]],
    ["A10G", 1, ["g5.xlarge"]],
    ["A10G", 3, ["g5.12xlarge"]],
    ["A10G", 8, ["g5.48xlarge"]],
    ["L40S", 1, ["g6e.xlarge"]],
    ["L40S", 4, ["g6e.12xlarge"]],
    ["L40S", 8, ["g6e.48xlarge"]],
    ["A100", 1, ["p4d.24xlarge"]],
    ["A100-40GB", 8, ["p4d.24xlarge"]],
    ["A100-80GB", 1, ["p4de.24xlarge"]],
    ["H100", 1, ["p5.4xlarge"]],
    ["H100", 2, ["p5.48xlarge"]],
    ["H100", 8, ["p5.48xlarge"]],
    ["H200", 1, ["p5en.48xlarge", "p5e.48xlarge"]],
    ["H200", 8, ["p5en.48xlarge", "p5e.48xlarge"]],
  ];
  for (const [type, count, expected] of table) {
    it(`${type} x${count} -> ${expected.join(" > ")}`, () => {
      assert.deepEqual(instancesForShape({ type: type as never, count }).map((i) => i.instanceType), expected);
    });
  }

  it("the default task takes the GPUs' share of the instance, minus what ECS keeps", () => {
    const [g5] = instancesForShape({ type: "A10G", count: 1 });
    assert.deepEqual(defaultGpuTaskSize(g5, 1), { cpuUnits: 3840, memoryMiB: 14233 });
    const [g4dn12] = instancesForShape({ type: "T4", count: 2 });
    assert.deepEqual(defaultGpuTaskSize(g4dn12, 2), { cpuUnits: 24576, memoryMiB: 88217 });
  });

  it("CPU tasks get the smallest m7i size that fits", () => {
    assert.equal(cpuInstanceFor(512, 1024).instanceType, "m7i.large");
    assert.equal(cpuInstanceFor(4096, 8192).instanceType, "m7i.xlarge");
    assert.equal(cpuInstanceFor(4096, 20000).instanceType, "m7i.2xlarge");
  });

  it("a fallback list becomes one group whose instance types are in preference order", () => {
    const spec = app({ functions: [fn("train", 1, { gpu: gpu("H100", 8, [{ type: "A100-80GB", count: 8, memoryGb: 80 }, { type: "A100-40GB", count: 8, memoryGb: 40 }]), maxContainers: 2, spot: true })] });
    const [group] = capacityGroupsOf(unitsOf(spec));
    assert.equal(group.key, "gpu-h100x8-a100-80gbx8-a100-40gbx8-spot");
    assert.deepEqual(group.instances.map((i) => i.instanceType), ["p5.48xlarge", "p4de.24xlarge", "p4d.24xlarge"]);
    assert.equal(group.maxInstances, 2);
  });

  it("group size bounds GPU spend: maxContainers tasks of `count` GPUs, packed per instance", () => {
    const spec = app({ functions: [fn("a", 1, { gpu: gpu("T4", 2), maxContainers: 5 }), fn("b", 2, { gpu: gpu("T4", 2), maxContainers: 1 })] });
    const [group] = capacityGroupsOf(unitsOf(spec));
    // g4dn.12xlarge holds two 2-GPU tasks: ceil(5/2) + ceil(1/2)
    assert.equal(group.maxInstances, 4);
  });
});

describe("packing: how many tasks ECS places on one instance", () => {
  const cpu = (type: string) => CPU_INSTANCES.find((i) => i.instanceType === type)!;
  const small = { cpuUnits: 512, memoryMiB: 1024, gpus: 0 };

  it("every awsvpc task takes an ENI and the primary one is the instance's: m7i.large (3 ENIs) holds 2", () => {
    assert.equal(cpu("m7i.large").maxNetworkInterfaces, 3);
    // 4 would fit by CPU (2 vCPU / 0.5) and 6 by memory
    assert.equal(tasksPerInstance(cpu("m7i.large"), small), 2);
    assert.equal(tasksPerInstance(cpu("m7i.2xlarge"), small), 3, "4 ENIs, though 16 fit by CPU");
    assert.equal(tasksPerInstance(cpu("m7i.16xlarge"), small), 14, "15 ENIs");
  });

  it("CPU and memory still bind first where they are smaller", () => {
    assert.equal(tasksPerInstance(cpu("m7i.large"), { cpuUnits: 2048, memoryMiB: 4096, gpus: 0 }), 1);
    assert.equal(tasksPerInstance(cpu("m7i.4xlarge"), { cpuUnits: 4096, memoryMiB: 8192, gpus: 0 }), 4, "CPU: 16 / 4; ENIs would allow 7");
  });

  it("GPU tasks: the GPUs bind, the ENIs of GPU instances leave room", () => {
    const [p4d] = instancesForShape({ type: "A100-40GB", count: 8 });
    assert.equal(tasksPerInstance(p4d, { ...defaultGpuTaskSize(p4d, 1), gpus: 1 }), 8);
    const [g5] = instancesForShape({ type: "A10G", count: 1 });
    assert.equal(g5.maxNetworkInterfaces, 4);
    assert.equal(tasksPerInstance(g5, { ...defaultGpuTaskSize(g5, 1), gpus: 1 }), 1);
  });

  it("every instance of the table has at least one ENI for a task", () => {
    const all = [...CPU_INSTANCES, ...["T4", "L4", "A10G", "L40S", "A100-40GB", "A100-80GB", "H100", "H200"].flatMap((type) => [1, 8].flatMap((count) => instancesForShape({ type: type as never, count })))];
    for (const size of all) assert.ok(size.maxNetworkInterfaces >= 2, size.instanceType);
  });

  it("a CPU group is sized for the ENI limit: 100 small tasks need 50 m7i.large", () => {
    const spec = app({ functions: [fn("hello", 1, {})] });
    const [group] = capacityGroupsOf(unitsOf(spec));
    assert.deepEqual([group.key, group.instances[0].instanceType, group.maxInstances], ["cpu", "m7i.large", 50]);
  });
});
