/**
 * Copies one image, by digest, from one ECR repository into another with the ECR API alone (no
 * Docker): the target then holds the same manifest bytes, so the same `sha256:` digest.
 *
 * PutImage only writes a manifest: ECR refuses one whose layers are not in the target repository
 * (LayersNotFoundException, "the specified layer is not valid for this repository"), and layers
 * are per repository. ECR's blob mounting shares layers only within one registry and only for OCI
 * pushes that ask for it, not through this API. So the blobs a manifest names (config and layers)
 * that the target lacks (BatchCheckLayerAvailability) are copied first: GetDownloadUrlForLayer on
 * the source, then InitiateLayerUpload / UploadLayerPart / CompleteLayerUpload on the target, each
 * blob checked against its digest on the way. An image index (buildx adds one for its provenance
 * attestation) has its child manifests copied first, by digest. Then PutImage of the exact bytes
 * BatchGetImage returned, with the digest for ECR to check. Copying again is a no-op (the target
 * already has the digest: BatchGetImage answers it).
 */
import { createHash } from "node:crypto";
import {
  BatchCheckLayerAvailabilityCommand,
  BatchGetImageCommand,
  CompleteLayerUploadCommand,
  GetDownloadUrlForLayerCommand,
  InitiateLayerUploadCommand,
  PutImageCommand,
  UploadLayerPartCommand,
} from "@aws-sdk/client-ecr";

/** What is used of an ECRClient (`send`), so tests can record every call. */
export interface EcrSend {
  send(command: object): Promise<unknown>;
}

/** A fetch of a presigned layer URL (globalThis.fetch). */
export type FetchLayer = (url: string) => Promise<{ ok: boolean; status: number; body: ReadableStream<Uint8Array> | null }>;

export const MANIFEST_MEDIA_TYPES = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.docker.distribution.manifest.v2+json",
];
const INDEX_TYPES = new Set([MANIFEST_MEDIA_TYPES[0], MANIFEST_MEDIA_TYPES[2]]);

/** UploadLayerPart takes at most 20,971,520 bytes a part (ECR API reference). */
export const MAX_PART = 20 * 1024 * 1024;

export interface RepositoryRef {
  /** the account (ECR registry id) */
  registryId: string;
  repositoryName: string;
}

export interface CopyClients {
  /** a client in the source repository's region (reads only) */
  source: EcrSend;
  /** a client in the target repository's region */
  target: EcrSend;
  fetch: FetchLayer;
}

export class ImageCopyError extends Error {}

export interface CopyReport {
  /** blobs uploaded to the target (digests), in order */
  uploaded: string[];
  /** manifests written with PutImage (digests), children first */
  manifests: string[];
}

const sha256 = (bytes: Uint8Array | string) => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;

interface Descriptor { digest: string; mediaType?: string; size?: number; urls?: string[] }
interface ManifestJson { mediaType?: string; config?: Descriptor; layers?: Descriptor[]; manifests?: Descriptor[] }

/**
 * Copies `digest` from `source` to `target` (both repositories must exist; see ensureRepository),
 * tagging the top manifest with `tag` when given. Throws ImageCopyError naming the image.
 */
export async function copyImage(source: RepositoryRef, target: RepositoryRef, digest: string, tag: string | undefined, clients: CopyClients): Promise<CopyReport> {
  const report: CopyReport = { uploaded: [], manifests: [] };
  await copyManifest(source, target, digest, tag, clients, report);
  return report;
}

async function copyManifest(source: RepositoryRef, target: RepositoryRef, digest: string, tag: string | undefined, clients: CopyClients, report: CopyReport): Promise<void> {
  const where = `${source.registryId}/${source.repositoryName}@${digest}`;
  if (await getManifest(clients.target, target, digest, true)) return; // already copied
  const got = await getManifest(clients.source, source, digest, false);
  if (!got) throw new ImageCopyError(`${where}: not found in the source repository (a lifecycle policy, or the stack's destroy, may have removed it); deploy the source stack again and promote that`);
  const { manifest, mediaType } = got;
  if (sha256(manifest) !== digest) throw new ImageCopyError(`${where}: the manifest ECR returned hashes to ${sha256(manifest)}, not the digest asked for; refusing to write a different image`);
  let parsed: ManifestJson;
  try {
    parsed = JSON.parse(manifest) as ManifestJson;
  } catch {
    throw new ImageCopyError(`${where}: the manifest is not JSON (${mediaType})`);
  }
  if (INDEX_TYPES.has(mediaType)) {
    for (const child of parsed.manifests ?? []) await copyManifest(source, target, child.digest, undefined, clients, report);
  } else {
    const blobs = [...(parsed.config ? [parsed.config] : []), ...(parsed.layers ?? [])];
    const foreign = blobs.filter((b) => b.urls?.length);
    if (foreign.length) throw new ImageCopyError(`${where}: layers served from other URLs (${foreign.map((b) => b.digest).join(", ")}) cannot be copied into ECR`);
    await copyMissingBlobs(source, target, blobs, clients, report, where);
  }
  await clients.target.send(new PutImageCommand({
    registryId: target.registryId,
    repositoryName: target.repositoryName,
    imageManifest: manifest,
    imageManifestMediaType: mediaType,
    imageDigest: digest,
    ...(tag ? { imageTag: tag } : {}),
  })).catch((err: Error) => {
    if (err.name === "ImageAlreadyExistsException") return; // a concurrent copy wrote the same bytes
    throw new ImageCopyError(`${target.registryId}/${target.repositoryName}: PutImage of ${digest} failed: ${err.name}: ${err.message}`);
  });
  report.manifests.push(digest);
}

/** The manifest of `digest` in `repo`, or null when it is not there. */
async function getManifest(client: EcrSend, repo: RepositoryRef, digest: string, missingIsFine: boolean): Promise<{ manifest: string; mediaType: string } | null> {
  let out: { images?: Array<{ imageManifest?: string; imageManifestMediaType?: string }>; failures?: Array<{ failureCode?: string; failureReason?: string }> };
  try {
    out = await client.send(new BatchGetImageCommand({
      registryId: repo.registryId,
      repositoryName: repo.repositoryName,
      imageIds: [{ imageDigest: digest }],
      acceptedMediaTypes: MANIFEST_MEDIA_TYPES, // as stored: a conversion would change the digest
    })) as typeof out;
  } catch (err) {
    throw new ImageCopyError(`${repo.registryId}/${repo.repositoryName}: BatchGetImage of ${digest} failed: ${(err as Error).name}: ${(err as Error).message}${(err as Error).name === "AccessDeniedException" ? " (across accounts, the source repository's policy must allow ecr:BatchGetImage and ecr:GetDownloadUrlForLayer to the promoting role)" : ""}`);
  }
  const image = out.images?.[0];
  if (image?.imageManifest) {
    const mediaType = image.imageManifestMediaType ?? (JSON.parse(image.imageManifest) as ManifestJson).mediaType;
    if (!mediaType) throw new ImageCopyError(`${repo.registryId}/${repo.repositoryName}@${digest}: the manifest has no media type`);
    return { manifest: image.imageManifest, mediaType };
  }
  const failure = out.failures?.[0];
  if (failure && failure.failureCode !== "ImageNotFound") {
    throw new ImageCopyError(`${repo.registryId}/${repo.repositoryName}@${digest}: ${failure.failureCode}: ${failure.failureReason ?? ""}`.trimEnd());
  }
  if (!missingIsFine && !failure) throw new ImageCopyError(`${repo.registryId}/${repo.repositoryName}@${digest}: BatchGetImage returned neither the image nor a failure`);
  return null;
}

async function copyMissingBlobs(source: RepositoryRef, target: RepositoryRef, blobs: Descriptor[], clients: CopyClients, report: CopyReport, where: string): Promise<void> {
  if (!blobs.length) return;
  const unique = [...new Map(blobs.map((b) => [b.digest, b])).values()];
  const check = await clients.target.send(new BatchCheckLayerAvailabilityCommand({
    registryId: target.registryId,
    repositoryName: target.repositoryName,
    layerDigests: unique.map((b) => b.digest),
  })) as { layers?: Array<{ layerDigest?: string; layerAvailability?: string }> };
  const present = new Set((check.layers ?? []).filter((l) => l.layerAvailability === "AVAILABLE").map((l) => l.layerDigest));
  for (const blob of unique) {
    if (present.has(blob.digest)) continue;
    await copyBlob(source, target, blob, clients, where);
    report.uploaded.push(blob.digest);
  }
}

async function copyBlob(source: RepositoryRef, target: RepositoryRef, blob: Descriptor, clients: CopyClients, where: string): Promise<void> {
  const { downloadUrl } = await clients.source.send(new GetDownloadUrlForLayerCommand({
    registryId: source.registryId, repositoryName: source.repositoryName, layerDigest: blob.digest,
  })) as { downloadUrl?: string };
  if (!downloadUrl) throw new ImageCopyError(`${where}: no download URL for layer ${blob.digest}`);
  const response = await clients.fetch(downloadUrl);
  if (!response.ok || !response.body) throw new ImageCopyError(`${where}: downloading layer ${blob.digest} failed (HTTP ${response.status})`);

  const { uploadId, partSize } = await clients.target.send(new InitiateLayerUploadCommand({
    registryId: target.registryId, repositoryName: target.repositoryName,
  })) as { uploadId?: string; partSize?: number };
  if (!uploadId) throw new ImageCopyError(`${target.registryId}/${target.repositoryName}: InitiateLayerUpload returned no upload id`);
  const part = Math.min(partSize && partSize > 0 ? partSize : MAX_PART, MAX_PART);

  // streamed: a layer can be gigabytes; one part in memory at a time
  const hash = createHash("sha256");
  let offset = 0;
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  const upload = async (bytes: Uint8Array) => {
    await clients.target.send(new UploadLayerPartCommand({
      registryId: target.registryId, repositoryName: target.repositoryName, uploadId,
      partFirstByte: offset, partLastByte: offset + bytes.length - 1, layerPartBlob: bytes,
    }));
    offset += bytes.length;
  };
  const takePart = (): Uint8Array => {
    const all = Buffer.concat(pending);
    const head = all.subarray(0, part);
    const rest = all.subarray(part);
    pending = rest.length ? [rest] : [];
    pendingBytes = rest.length;
    return new Uint8Array(head);
  };
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    hash.update(value);
    pending.push(value);
    pendingBytes += value.length;
    while (pendingBytes >= part) await upload(takePart());
  }
  if (pendingBytes > 0) await upload(takePart());
  const got = `sha256:${hash.digest("hex")}`;
  if (got !== blob.digest) throw new ImageCopyError(`${where}: layer ${blob.digest} downloaded as ${got} (${offset} bytes); not completing the upload`);
  if (blob.size !== undefined && blob.size !== offset) throw new ImageCopyError(`${where}: layer ${blob.digest} is ${offset} bytes, the manifest says ${blob.size}`);
  await clients.target.send(new CompleteLayerUploadCommand({
    registryId: target.registryId, repositoryName: target.repositoryName, uploadId, layerDigests: [blob.digest],
  })).catch((err: Error) => {
    if (err.name === "LayerAlreadyExistsException") return;
    throw new ImageCopyError(`${target.registryId}/${target.repositoryName}: CompleteLayerUpload of ${blob.digest} failed: ${err.name}: ${err.message}`);
  });
}
