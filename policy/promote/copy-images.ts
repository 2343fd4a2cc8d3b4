/**
 * Image copy at promotion: every digest of the artifact is copied into a repository of the
 * target stack (`gantry/<app>/<stack>/<image id>`, in the target's account and region, created
 * when missing), and the artifact written to the target names those copies, same digests. The
 * promoted stack then pulls only from its own repositories: the source stack's lifecycle policy
 * (last 20 images), a `pulumi destroy` of it (forceDelete) or its account's repository policy no
 * longer decide whether the target's tasks can start. Across accounts, the promoting role reads
 * the source with a repository policy on it; the target's tasks need nothing from the source.
 *
 * The target repositories live outside the target stack's Pulumi state on purpose: they hold what
 * the stack runs and what a rollback returns to, so a `pulumi destroy` does not take them along,
 * and they have no lifecycle policy (storage: $0.10/GB-month per image kept).
 */
import { CreateRepositoryCommand, DescribeRepositoriesCommand } from "@aws-sdk/client-ecr";
import { slug } from "../../provider/aws/names.ts";
import type { Artifact } from "../../provider/artifact.ts";
import { copyImage, ImageCopyError, type CopyClients, type CopyReport, type EcrSend, type FetchLayer } from "./ecr-copy.ts";

export { ImageCopyError } from "./ecr-copy.ts";

const ECR_REF = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?\/([a-z0-9._/-]+?)(?::([\w][\w.-]{0,127}))?@(sha256:[0-9a-f]{64})$/;

export interface EcrRef {
  registryId: string;
  region: string;
  repositoryName: string;
  tag?: string;
  digest: string;
}

export function parseEcrRef(ref: string): EcrRef | null {
  const m = ECR_REF.exec(ref);
  if (!m) return null;
  const [, registryId, region, , repositoryName, tag, digest] = m;
  return { registryId, region, repositoryName, digest, ...(tag ? { tag } : {}) };
}

/** The target stack's repository for one image. */
export function targetRepositoryName(app: string, stack: string, imageId: string): string {
  return `gantry/${slug(app)}/${slug(stack)}/${slug(imageId)}`;
}

export interface CopyTarget {
  app: string;
  /** the target stack */
  stack: string;
  /** the target stack's region (its aws:region) */
  region: string;
}

export interface CopyDeps {
  /** an ECR client for a region, with the promoting credentials */
  ecr: (region: string) => EcrSend;
  fetch: FetchLayer;
}

export interface CopiedImage {
  id: string;
  from: string;
  to: string;
  report: CopyReport | null;
}

/** The repository `name` in the caller's registry of the client's region, created if missing. */
export async function ensureRepository(client: EcrSend, name: string, tags: Record<string, string>): Promise<{ registryId: string; repositoryUri: string }> {
  try {
    const found = await client.send(new DescribeRepositoriesCommand({ repositoryNames: [name] })) as { repositories?: Array<{ registryId?: string; repositoryUri?: string }> };
    const repo = found.repositories?.[0];
    if (repo?.registryId && repo.repositoryUri) return { registryId: repo.registryId, repositoryUri: repo.repositoryUri };
  } catch (err) {
    if ((err as Error).name !== "RepositoryNotFoundException") throw new ImageCopyError(`DescribeRepositories ${name}: ${(err as Error).name}: ${(err as Error).message}`);
  }
  const created = await client.send(new CreateRepositoryCommand({
    repositoryName: name,
    imageTagMutability: "IMMUTABLE",
    imageScanningConfiguration: { scanOnPush: true },
    encryptionConfiguration: { encryptionType: "AES256" },
    tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
  })).catch((err: Error) => {
    throw new ImageCopyError(`CreateRepository ${name}: ${err.name}: ${err.message}`);
  }) as { repository?: { registryId?: string; repositoryUri?: string } };
  const repo = created.repository;
  if (!repo?.registryId || !repo.repositoryUri) throw new ImageCopyError(`CreateRepository ${name}: no repository in the answer`);
  return { registryId: repo.registryId, repositoryUri: repo.repositoryUri };
}

/**
 * Copies every image of `artifact` into the target's repositories; returns the artifact's
 * `images` as the target runs them (same digests, the target's repositories) and what was done.
 */
export async function copyArtifactImages(artifact: Artifact, target: CopyTarget, deps: CopyDeps): Promise<{ images: Record<string, string>; copied: CopiedImage[] }> {
  const images: Record<string, string> = {};
  const copied: CopiedImage[] = [];
  const targetClient = deps.ecr(target.region);
  for (const id of Object.keys(artifact.images).sort()) {
    const from = artifact.images[id];
    const src = parseEcrRef(from);
    if (!src) throw new ImageCopyError(`image ${id}: "${from}" is not an ECR image reference (<account>.dkr.ecr.<region>.amazonaws.com/<name>@sha256:...)`);
    const name = targetRepositoryName(target.app, target.stack, id);
    const repo = await ensureRepository(targetClient, name, { "gantry:app": target.app, "gantry:stack": target.stack, "gantry:image": id });
    const to = `${repo.repositoryUri}${src.tag ? `:${src.tag}` : ""}@${src.digest}`;
    if (src.registryId === repo.registryId && src.region === target.region && src.repositoryName === name) {
      copied.push({ id, from, to: from, report: null }); // promoted again from its own copy
      images[id] = from;
      continue;
    }
    const clients: CopyClients = { source: deps.ecr(src.region), target: targetClient, fetch: deps.fetch };
    try {
      const report = await copyImage(
        { registryId: src.registryId, repositoryName: src.repositoryName },
        { registryId: repo.registryId, repositoryName: name },
        src.digest, src.tag, clients,
      );
      copied.push({ id, from, to, report });
    } catch (err) {
      if (err instanceof ImageCopyError) throw new ImageCopyError(`image ${id}: ${err.message}`);
      throw err;
    }
    images[id] = to;
  }
  return { images, copied };
}

/** The target stack's region: `aws:region` in its stack file, else AWS_REGION / AWS_DEFAULT_REGION. */
export function targetRegion(stackConfig: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): string | null {
  const configured = stackConfig["aws:region"];
  if (typeof configured === "string" && configured) return configured;
  return env.AWS_REGION || env.AWS_DEFAULT_REGION || null;
}
