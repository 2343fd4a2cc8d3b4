/**
 * GPU label profiles: which node labels name a GPU type on a kind of cluster (stack config
 * `gantry:kubernetes.gpuLabels`). A unit's node affinity has one required term per GPU type it
 * accepts (terms are ORed) and a preference weight per type in its order; a GPU type the profile
 * cannot name is a synth error at the declaration (SkyPilot keeps the same kind of per-provider
 * label registry).
 *
 * - karpenter: the well-known labels Karpenter's AWS provider puts on nodes it launches,
 *   `karpenter.k8s.aws/instance-gpu-name` (lowercase GPU name); A100 40 GB and 80 GB share the
 *   name and differ in `karpenter.k8s.aws/instance-gpu-memory` (MiB per GPU). They are known
 *   before a node exists, so Karpenter can launch a node for a pending pod (scale from zero).
 * - gke: `cloud.google.com/gke-accelerator`, which GKE sets on GPU node pools (and node
 *   auto-provisioning reads). GKE offers no A10G and no L40S.
 * - gfd: `nvidia.com/gpu.product` from NVIDIA GPU Feature Discovery (the GPU operator), the
 *   product name nvidia-smi reports with spaces as '-'. Only running nodes carry it, so it fits
 *   fixed node pools, not scale-from-zero provisioning; the values differ between SXM and PCIe
 *   parts, so each type lists both.
 */
import type { GpuShape, GpuType } from "../../synth/spec.ts";

export type GpuLabelProfile = "karpenter" | "gke" | "gfd";

export interface LabelRequirement {
  key: string;
  operator: "In";
  values: string[];
}

interface Profile {
  /** where the values come from, for messages */
  describe: string;
  /** requirements that select nodes with this GPU type; null: the profile cannot name it */
  select(type: Exclude<GpuType, "A100">): LabelRequirement[] | null;
}

const KARPENTER_NAME = "karpenter.k8s.aws/instance-gpu-name";
const KARPENTER_MEMORY = "karpenter.k8s.aws/instance-gpu-memory";
const GKE_ACCELERATOR = "cloud.google.com/gke-accelerator";
const GFD_PRODUCT = "nvidia.com/gpu.product";

const KARPENTER: Record<Exclude<GpuType, "A100">, { name: string; memoryMiB?: number }> = {
  T4: { name: "t4" },
  L4: { name: "l4" },
  A10G: { name: "a10g" },
  L40S: { name: "l40s" },
  "A100-40GB": { name: "a100", memoryMiB: 40960 },
  "A100-80GB": { name: "a100", memoryMiB: 81920 },
  H100: { name: "h100" },
  H200: { name: "h200" },
};

const GKE: Record<Exclude<GpuType, "A100">, string | null> = {
  T4: "nvidia-tesla-t4",
  L4: "nvidia-l4",
  A10G: null,
  L40S: null,
  "A100-40GB": "nvidia-tesla-a100",
  "A100-80GB": "nvidia-a100-80gb",
  H100: "nvidia-h100-80gb",
  H200: "nvidia-h200-141gb",
};

const GFD: Record<Exclude<GpuType, "A100">, string[]> = {
  T4: ["Tesla-T4"],
  L4: ["NVIDIA-L4"],
  A10G: ["NVIDIA-A10G"],
  L40S: ["NVIDIA-L40S"],
  "A100-40GB": ["NVIDIA-A100-SXM4-40GB", "NVIDIA-A100-PCIE-40GB"],
  "A100-80GB": ["NVIDIA-A100-SXM4-80GB", "NVIDIA-A100-80GB-PCIe"],
  H100: ["NVIDIA-H100-80GB-HBM3", "NVIDIA-H100-PCIe"],
  H200: ["NVIDIA-H200"],
};

export const GPU_LABEL_PROFILES: Record<GpuLabelProfile, Profile> = {
  karpenter: {
    describe: `Karpenter's ${KARPENTER_NAME}`,
    select(type) {
      const k = KARPENTER[type];
      const out: LabelRequirement[] = [{ key: KARPENTER_NAME, operator: "In", values: [k.name] }];
      if (k.memoryMiB) out.push({ key: KARPENTER_MEMORY, operator: "In", values: [String(k.memoryMiB)] });
      return out;
    },
  },
  gke: {
    describe: `GKE's ${GKE_ACCELERATOR}`,
    select(type) {
      const v = GKE[type];
      return v ? [{ key: GKE_ACCELERATOR, operator: "In", values: [v] }] : null;
    },
  },
  gfd: {
    describe: `GPU Feature Discovery's ${GFD_PRODUCT}`,
    select(type) {
      return [{ key: GFD_PRODUCT, operator: "In", values: [...GFD[type]] }];
    },
  },
};

/** `A100` means the 40 GB part everywhere (synth/gpu.ts normalizes it; old specs may still say A100). */
function canonical(type: GpuType): Exclude<GpuType, "A100"> {
  return type === "A100" ? "A100-40GB" : type;
}

/** The node requirements for one GPU shape, or null when the profile cannot name its type. */
export function gpuRequirements(profile: GpuLabelProfile, shape: Pick<GpuShape, "type">): LabelRequirement[] | null {
  return GPU_LABEL_PROFILES[profile].select(canonical(shape.type));
}

/** The types a profile can name, for messages. */
export function namedTypes(profile: GpuLabelProfile): string[] {
  return (Object.keys(KARPENTER) as Array<Exclude<GpuType, "A100">>).filter((t) => GPU_LABEL_PROFILES[profile].select(t) !== null);
}

export function profileDescription(profile: GpuLabelProfile): string {
  return GPU_LABEL_PROFILES[profile].describe;
}
