/**
 * GPU -> EC2 instance type. The GPU type picks the family, the count picks the size: the smallest
 * size with at least that many GPUs. Sizes with one GPU use the smallest (`xlarge`) size; pick
 * `cpu`/`memory` in code to get a bigger task on it, not a bigger instance.
 *
 * Sources (checked against AWS's accelerated-computing instance pages): g4dn (T4), g6 (L4),
 * g5 (A10G), g6e (L40S), p4d (8x A100 40 GB), p4de (8x A100 80 GB), p5 (H100; p5.4xlarge has one),
 * p5e / p5en (8x H200).
 *
 * Network interfaces per type: EC2's `NetworkInfo.MaximumNetworkInterfaces` (the EC2 instance-type
 * pages' "network interfaces" column), as listed in aws/amazon-vpc-resource-controller-k8s
 * `pkg/aws/vpc/limits.go` (generated from DescribeInstanceTypes, March 2026). ECS documents the
 * rule that uses them: each awsvpc task gets its own ENI and the primary interface counts as one
 * (AmazonECS developer guide, "Increasing Amazon ECS Linux container instance network interfaces").
 * Types with several network cards (p4d, p4de, p5.48xlarge, p5e, p5en, g6e.48xlarge) list the total
 * over their cards.
 */
import type { GpuShape, GpuType } from "../../synth/spec.ts";

export interface InstanceSize {
  instanceType: string;
  gpus: number;
  vcpus: number;
  memoryMiB: number;
  /**
   * EC2's maximum network interfaces for the type (all network cards), the primary one included.
   * Every gantry task uses the awsvpc network mode and so takes one ENI of its own: at most
   * `maxNetworkInterfaces - 1` tasks fit on an instance (without ECS ENI trunking, which gantry
   * does not turn on).
   */
  maxNetworkInterfaces: number;
}

const GiB = 1024;

/** Per GPU type, the sizes gantry uses, smallest first. Alternatives are tried in order. */
export const GPU_INSTANCES: Record<Exclude<GpuType, "A100">, InstanceSize[][]> = {
  T4: [
    [{ instanceType: "g4dn.xlarge", gpus: 1, vcpus: 4, memoryMiB: 16 * GiB, maxNetworkInterfaces: 3 }],
    [{ instanceType: "g4dn.12xlarge", gpus: 4, vcpus: 48, memoryMiB: 192 * GiB, maxNetworkInterfaces: 8 }],
    [{ instanceType: "g4dn.metal", gpus: 8, vcpus: 96, memoryMiB: 384 * GiB, maxNetworkInterfaces: 15 }],
  ],
  L4: [
    [{ instanceType: "g6.xlarge", gpus: 1, vcpus: 4, memoryMiB: 16 * GiB, maxNetworkInterfaces: 4 }],
    [{ instanceType: "g6.12xlarge", gpus: 4, vcpus: 48, memoryMiB: 192 * GiB, maxNetworkInterfaces: 8 }],
    [{ instanceType: "g6.48xlarge", gpus: 8, vcpus: 192, memoryMiB: 768 * GiB, maxNetworkInterfaces: 15 }],
  ],
  A10G: [
    [{ instanceType: "g5.xlarge", gpus: 1, vcpus: 4, memoryMiB: 16 * GiB, maxNetworkInterfaces: 4 }],
    [{ instanceType: "g5.12xlarge", gpus: 4, vcpus: 48, memoryMiB: 192 * GiB, maxNetworkInterfaces: 15 }],
    [{ instanceType: "g5.48xlarge", gpus: 8, vcpus: 192, memoryMiB: 768 * GiB, maxNetworkInterfaces: 7 }],
  ],
  L40S: [
    [{ instanceType: "g6e.xlarge", gpus: 1, vcpus: 4, memoryMiB: 32 * GiB, maxNetworkInterfaces: 4 }],
    [{ instanceType: "g6e.12xlarge", gpus: 4, vcpus: 48, memoryMiB: 384 * GiB, maxNetworkInterfaces: 10 }],
    [{ instanceType: "g6e.48xlarge", gpus: 8, vcpus: 192, memoryMiB: 1536 * GiB, maxNetworkInterfaces: 40 }],
  ],
  "A100-40GB": [[{ instanceType: "p4d.24xlarge", gpus: 8, vcpus: 96, memoryMiB: 1152 * GiB, maxNetworkInterfaces: 60 }]],
  "A100-80GB": [[{ instanceType: "p4de.24xlarge", gpus: 8, vcpus: 96, memoryMiB: 1152 * GiB, maxNetworkInterfaces: 60 }]],
  H100: [
    [{ instanceType: "p5.4xlarge", gpus: 1, vcpus: 16, memoryMiB: 256 * GiB, maxNetworkInterfaces: 4 }],
    [{ instanceType: "p5.48xlarge", gpus: 8, vcpus: 192, memoryMiB: 2048 * GiB, maxNetworkInterfaces: 64 }],
  ],
  H200: [[
    { instanceType: "p5en.48xlarge", gpus: 8, vcpus: 192, memoryMiB: 2048 * GiB, maxNetworkInterfaces: 64 },
    { instanceType: "p5e.48xlarge", gpus: 8, vcpus: 192, memoryMiB: 2048 * GiB, maxNetworkInterfaces: 64 },
  ]],
};

/** General-purpose sizes for CPU-only declarations (m7i), smallest first. */
export const CPU_INSTANCES: InstanceSize[] = [
  { instanceType: "m7i.large", gpus: 0, vcpus: 2, memoryMiB: 8 * GiB, maxNetworkInterfaces: 3 },
  { instanceType: "m7i.xlarge", gpus: 0, vcpus: 4, memoryMiB: 16 * GiB, maxNetworkInterfaces: 4 },
  { instanceType: "m7i.2xlarge", gpus: 0, vcpus: 8, memoryMiB: 32 * GiB, maxNetworkInterfaces: 4 },
  { instanceType: "m7i.4xlarge", gpus: 0, vcpus: 16, memoryMiB: 64 * GiB, maxNetworkInterfaces: 8 },
  { instanceType: "m7i.8xlarge", gpus: 0, vcpus: 32, memoryMiB: 128 * GiB, maxNetworkInterfaces: 8 },
  { instanceType: "m7i.16xlarge", gpus: 0, vcpus: 64, memoryMiB: 256 * GiB, maxNetworkInterfaces: 15 },
];

function gpuKey(type: GpuType): Exclude<GpuType, "A100"> {
  return type === "A100" ? "A100-40GB" : type;
}

/** The instance types (preferred first) for one GPU shape: the smallest size with `count` GPUs. */
export function instancesForShape(shape: Pick<GpuShape, "type" | "count">): InstanceSize[] {
  const sizes = GPU_INSTANCES[gpuKey(shape.type)];
  const fit = sizes.find((alternatives) => alternatives[0].gpus >= shape.count);
  if (!fit) {
    const most = Math.max(...sizes.map((a) => a[0].gpus));
    throw new Error(`no ${shape.type} instance has ${shape.count} GPUs (at most ${most})`);
  }
  return fit;
}

/** Memory the ECS agent and the OS keep for themselves, so a task sized "all of it" still places. */
export function schedulableMemoryMiB(size: InstanceSize): number {
  return Math.floor(size.memoryMiB * 0.9) - 512;
}

/**
 * The default task size on a GPU instance when code gives no `cpu`/`memory`: the share of the
 * instance that goes with the GPUs asked for.
 */
export function defaultGpuTaskSize(size: InstanceSize, count: number): { cpuUnits: number; memoryMiB: number } {
  const share = count / size.gpus;
  const cpuUnits = Math.max(1024, Math.floor(size.vcpus * share) * 1024 - (share === 1 ? 256 : 0));
  const memoryMiB = Math.max(1024, Math.floor(schedulableMemoryMiB(size) * share));
  return { cpuUnits, memoryMiB };
}

/** The smallest general-purpose size a CPU task fits on. */
export function cpuInstanceFor(cpuUnits: number, memoryMiB: number): InstanceSize {
  const fit = CPU_INSTANCES.find((s) => s.vcpus * 1024 >= cpuUnits && schedulableMemoryMiB(s) >= memoryMiB);
  if (!fit) throw new Error(`no general-purpose instance fits ${cpuUnits / 1024} vCPU and ${memoryMiB} MiB`);
  return fit;
}
