/**
 * Image copy at promotion (policy/promote/ecr-copy.ts, copy-images.ts) against a recording ECR
 * client: every call's command and exact input is asserted. The stand-in keeps manifests and blobs
 * per repository, refuses PutImage when a layer is missing from the target repository (as ECR
 * does) and serves presigned layer URLs through a fake fetch.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { parse } from "yaml";
import type { AppSpec } from "../../../synth/spec.ts";
import { copyArtifactImages, ImageCopyError, parseEcrRef, targetRegion, targetRepositoryName } from "../../../policy/promote/copy-images.ts";
import { MANIFEST_MEDIA_TYPES, type FetchLayer } from "../../../policy/promote/ecr-copy.ts";
import { promote } from "../../../policy/promote/promote.ts";
import { recordDeployment } from "../../../policy/promote/records.ts";
import type { Artifact } from "../../../provider/artifact.ts";
import { cls, gpu, plan, spec } from "../helpers.ts";

const sha = (b: Uint8Array | string) => `sha256:${createHash("sha256").update(b).digest("hex")}`;
const bytes = (s: string) => new TextEncoder().encode(s);

interface Repo { manifests: Map<string, { manifest: string; mediaType: string; tag?: string }>; blobs: Map<string, Uint8Array> }
type Call = [string, Record<string, unknown>];

/** One ECR registry (an account in a region): records every call it gets. */
class RecordingEcr {
  readonly calls: Call[] = [];
  readonly repos = new Map<string, Repo>();
  private uploads = new Map<string, { repo: string; parts: Uint8Array[]; next: number }>();
  constructor(readonly account: string, readonly region: string, private partSize = 4) {}
  repo(name: string): Repo {
    if (!this.repos.has(name)) this.repos.set(name, { manifests: new Map(), blobs: new Map() });
    return this.repos.get(name)!;
  }
  url(name: string) { return `${this.account}.dkr.ecr.${this.region}.amazonaws.com/${name}`; }
  private error(name: string, message: string) { return Object.assign(new Error(message), { name }); }
  async send(command: { input: Record<string, unknown> }): Promise<unknown> {
    const op = command.constructor.name.replace(/Command$/, "");
    const i = command.input as Record<string, any>;
    this.calls.push([op, i]);
    if (i.registryId !== undefined && i.registryId !== this.account) throw this.error("AccessDeniedException", `not ${i.registryId}`);
    const existing = this.repos.get(i.repositoryName ?? i.repositoryNames?.[0]);
    switch (op) {
      case "DescribeRepositories":
        if (!existing) throw this.error("RepositoryNotFoundException", "no such repository");
        return { repositories: [{ registryId: this.account, repositoryUri: this.url(i.repositoryNames[0]) }] };
      case "CreateRepository":
        this.repo(i.repositoryName);
        return { repository: { registryId: this.account, repositoryUri: this.url(i.repositoryName) } };
    }
    if (!existing) throw this.error("RepositoryNotFoundException", `no repository ${i.repositoryName}`);
    switch (op) {
      case "BatchGetImage": {
        const m = existing.manifests.get(i.imageIds[0].imageDigest);
        return m
          ? { images: [{ imageManifest: m.manifest, imageManifestMediaType: m.mediaType }], failures: [] }
          : { images: [], failures: [{ failureCode: "ImageNotFound", failureReason: "Requested image not found" }] };
      }
      case "BatchCheckLayerAvailability":
        return { layers: i.layerDigests.filter((d: string) => existing.blobs.has(d)).map((d: string) => ({ layerDigest: d, layerAvailability: "AVAILABLE" })),
          failures: i.layerDigests.filter((d: string) => !existing.blobs.has(d)).map((d: string) => ({ layerDigest: d, failureCode: "MissingLayerDigest" })) };
      case "GetDownloadUrlForLayer":
        if (!existing.blobs.has(i.layerDigest)) throw this.error("LayersNotFoundException", i.layerDigest);
        return { downloadUrl: `https://s3.example/${this.account}/${i.repositoryName}/${i.layerDigest}`, layerDigest: i.layerDigest };
      case "InitiateLayerUpload": {
        const uploadId = `up-${this.uploads.size + 1}`;
        this.uploads.set(uploadId, { repo: i.repositoryName, parts: [], next: 0 });
        return { uploadId, partSize: this.partSize };
      }
      case "UploadLayerPart": {
        const u = this.uploads.get(i.uploadId)!;
        assert.equal(i.partFirstByte, u.next, "parts in order");
        assert.equal(i.partLastByte - i.partFirstByte + 1, i.layerPartBlob.length);
        u.parts.push(i.layerPartBlob);
        u.next = i.partLastByte + 1;
        return { lastByteReceived: i.partLastByte };
      }
      case "CompleteLayerUpload": {
        const u = this.uploads.get(i.uploadId)!;
        const blob = Buffer.concat(u.parts);
        if (sha(blob) !== i.layerDigests[0]) throw this.error("InvalidLayerException", "digest mismatch");
        existing.blobs.set(i.layerDigests[0], new Uint8Array(blob));
        return { layerDigest: i.layerDigests[0] };
      }
      case "PutImage": {
        if (sha(i.imageManifest) !== i.imageDigest) throw this.error("ImageDigestDoesNotMatchException", "digest");
        const m = JSON.parse(i.imageManifest);
        const needs = m.manifests ? [] : [m.config, ...m.layers].map((d: { digest: string }) => d.digest);
        const missing = needs.filter((d: string) => !existing.blobs.has(d));
        if (missing.length) throw this.error("LayersNotFoundException", `The specified layers ${missing} are not valid for this repository`);
        for (const c of m.manifests ?? []) if (!existing.manifests.has(c.digest)) throw this.error("ReferencedImagesNotFoundException", c.digest);
        existing.manifests.set(i.imageDigest, { manifest: i.imageManifest, mediaType: i.imageManifestMediaType, tag: i.imageTag });
        return { image: { imageId: { imageDigest: i.imageDigest } } };
      }
    }
    throw new Error(`unexpected ${op}`);
  }
}

/** A fetch for the recording registries' presigned URLs; `corrupt` flips a byte of one blob. */
function fetchFrom(registries: RecordingEcr[], corrupt?: string): FetchLayer & { urls: string[] } {
  const urls: string[] = [];
  const f = async (url: string) => {
    urls.push(url);
    const [, account, ...rest] = new URL(url).pathname.split("/");
    const digest = rest.pop()!;
    const blob = registries.find((r) => r.account === account)!.repo(rest.join("/")).blobs.get(digest)!;
    const body = digest === corrupt ? blob.map((b, i) => (i === 0 ? b ^ 1 : b)) : blob;
    // two chunks, to exercise re-chunking into parts
    return { ok: true, status: 200, body: new ReadableStream<Uint8Array>({ start(c) { c.enqueue(body.slice(0, 3)); c.enqueue(body.slice(3)); c.close(); } }) };
  };
  return Object.assign(f, { urls });
}

// a staging image: config + two layers, as docker-build pushes it
const CONFIG = bytes('{"architecture":"amd64","os":"linux"}');
const BASE = bytes("base-layer-bytes-0123456789"); // 27 bytes: parts of 4
const APP = bytes("app-layer");
const SOURCE_REPO = "image-img-default-1a2b3c4";
function manifestOf(config: Uint8Array, layers: Uint8Array[]): string {
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: sha(config), size: config.length },
    layers: layers.map((l) => ({ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: sha(l), size: l.length })),
  });
}
const MANIFEST = manifestOf(CONFIG, [BASE, APP]);
const DIGEST = sha(MANIFEST);

function staging(): RecordingEcr {
  const s = new RecordingEcr("111111111111", "us-east-1");
  const repo = s.repo(SOURCE_REPO);
  for (const b of [CONFIG, BASE, APP]) repo.blobs.set(sha(b), b);
  repo.manifests.set(DIGEST, { manifest: MANIFEST, mediaType: "application/vnd.oci.image.manifest.v1+json", tag: "0123456789abcdef" });
  return s;
}
const artifact = (images: Record<string, string>): Artifact => ({ fromStack: "staging", app: "llm", specHash: `sha256:${"9".repeat(64)}`, planHash: `sha256:${"8".repeat(64)}`, images, sequence: 4 });
const stagingRef = `111111111111.dkr.ecr.us-east-1.amazonaws.com/${SOURCE_REPO}:0123456789abcdef@${DIGEST}`;

test("refs, repository names and the target region", () => {
  assert.deepEqual(parseEcrRef(stagingRef), { registryId: "111111111111", region: "us-east-1", repositoryName: SOURCE_REPO, tag: "0123456789abcdef", digest: DIGEST });
  assert.deepEqual(parseEcrRef(`111111111111.dkr.ecr.cn-north-1.amazonaws.com.cn/a/b@${DIGEST}`), { registryId: "111111111111", region: "cn-north-1", repositoryName: "a/b", digest: DIGEST });
  assert.equal(parseEcrRef(`ghcr.io/acme/x@${DIGEST}`), null);
  assert.equal(targetRepositoryName("LLM Demo", "Prod", "img-default"), "gantry/llm-demo/prod/img-default");
  assert.equal(targetRegion({ "aws:region": "eu-west-1" }, { AWS_REGION: "us-east-1" }), "eu-west-1");
  assert.equal(targetRegion({}, { AWS_DEFAULT_REGION: "us-west-2" }), "us-west-2");
  assert.equal(targetRegion({}, {}), null);
});

test("copies into prod's own repository across accounts and regions: exact calls, same digest", async () => {
  const src = staging();
  const prod = new RecordingEcr("222222222222", "eu-west-1");
  // prod's repository exists and already holds the base layer (an earlier promotion)
  const name = "gantry/llm/prod/img-default";
  prod.repo(name).blobs.set(sha(BASE), BASE);
  const fetch = fetchFrom([src, prod]);
  const ecr = (region: string) => (region === "us-east-1" ? src : region === "eu-west-1" ? prod : assert.fail(region));

  const { images, copied } = await copyArtifactImages(artifact({ "img-default": stagingRef }), { app: "llm", stack: "prod", region: "eu-west-1" }, { ecr, fetch });

  const copy = `222222222222.dkr.ecr.eu-west-1.amazonaws.com/${name}:0123456789abcdef@${DIGEST}`;
  assert.deepEqual(images, { "img-default": copy });
  assert.deepEqual(copied[0].report, { uploaded: [sha(CONFIG), sha(APP)], manifests: [DIGEST] });
  assert.deepEqual(src.calls, [
    ["BatchGetImage", { registryId: "111111111111", repositoryName: SOURCE_REPO, imageIds: [{ imageDigest: DIGEST }], acceptedMediaTypes: MANIFEST_MEDIA_TYPES }],
    ["GetDownloadUrlForLayer", { registryId: "111111111111", repositoryName: SOURCE_REPO, layerDigest: sha(CONFIG) }],
    ["GetDownloadUrlForLayer", { registryId: "111111111111", repositoryName: SOURCE_REPO, layerDigest: sha(APP) }],
  ], "the source is only read");
  const target = { registryId: "222222222222", repositoryName: name };
  const parts = (blob: Uint8Array, uploadId: string) => {
    const out: Call[] = [];
    for (let at = 0; at < blob.length; at += 4) {
      const part = blob.slice(at, at + 4);
      out.push(["UploadLayerPart", { ...target, uploadId, partFirstByte: at, partLastByte: at + part.length - 1, layerPartBlob: part }]);
    }
    return out;
  };
  assert.deepEqual(prod.calls, [
    ["DescribeRepositories", { repositoryNames: [name] }],
    ["BatchGetImage", { ...target, imageIds: [{ imageDigest: DIGEST }], acceptedMediaTypes: MANIFEST_MEDIA_TYPES }],
    ["BatchCheckLayerAvailability", { ...target, layerDigests: [sha(CONFIG), sha(BASE), sha(APP)] }],
    ["InitiateLayerUpload", target],
    ...parts(CONFIG, "up-1"),
    ["CompleteLayerUpload", { ...target, uploadId: "up-1", layerDigests: [sha(CONFIG)] }],
    ["InitiateLayerUpload", target],
    ...parts(APP, "up-2"),
    ["CompleteLayerUpload", { ...target, uploadId: "up-2", layerDigests: [sha(APP)] }],
    ["PutImage", { ...target, imageManifest: MANIFEST, imageManifestMediaType: "application/vnd.oci.image.manifest.v1+json", imageDigest: DIGEST, imageTag: "0123456789abcdef" }],
  ]);
  assert.equal(prod.repo(name).manifests.get(DIGEST)?.manifest, MANIFEST, "byte-identical manifest: the same digest");
  assert.deepEqual(fetch.urls, [`https://s3.example/111111111111/${SOURCE_REPO}/${sha(CONFIG)}`, `https://s3.example/111111111111/${SOURCE_REPO}/${sha(APP)}`]);

  // again: the digest is there, nothing is read or written
  src.calls.length = 0;
  prod.calls.length = 0;
  const again = await copyArtifactImages(artifact({ "img-default": stagingRef }), { app: "llm", stack: "prod", region: "eu-west-1" }, { ecr, fetch });
  assert.deepEqual(again.images, images);
  assert.deepEqual(src.calls, []);
  assert.deepEqual(prod.calls.map((c) => c[0]), ["DescribeRepositories", "BatchGetImage"]);
  // promoting from the copy itself (a chain prod -> prod-eu would copy; the same repository does not)
  prod.calls.length = 0;
  const self = await copyArtifactImages(artifact({ "img-default": copy }), { app: "llm", stack: "prod", region: "eu-west-1" }, { ecr, fetch });
  assert.deepEqual([self.images["img-default"], self.copied[0].report], [copy, null]);
});

test("a new target repository is created immutable, scanned, encrypted and tagged", async () => {
  const src = staging();
  // prod in staging's account and region: one registry, one client
  const shared = new RecordingEcr("111111111111", "us-east-1");
  shared.repos.set(SOURCE_REPO, src.repo(SOURCE_REPO));
  await copyArtifactImages(artifact({ "img-default": stagingRef }), { app: "llm", stack: "prod", region: "us-east-1" }, { ecr: () => shared, fetch: fetchFrom([shared]) });
  assert.deepEqual(shared.calls[1], ["CreateRepository", {
    repositoryName: "gantry/llm/prod/img-default",
    imageTagMutability: "IMMUTABLE",
    imageScanningConfiguration: { scanOnPush: true },
    encryptionConfiguration: { encryptionType: "AES256" },
    tags: [{ Key: "gantry:app", Value: "llm" }, { Key: "gantry:stack", Value: "prod" }, { Key: "gantry:image", Value: "img-default" }],
  }]);
  // same registry: ECR's API still needs the layers in the new repository (no blob mount through it)
  assert.deepEqual(shared.calls.filter((c) => c[0] === "CompleteLayerUpload").map((c) => (c[1].layerDigests as string[])[0]), [sha(CONFIG), sha(BASE), sha(APP)]);
});

test("an image index (buildx's provenance) has its child manifests copied first, untagged", async () => {
  const src = staging();
  const attestation = bytes('{"_type":"https://in-toto.io/Statement/v0.1"}');
  const attConfig = bytes("{}");
  src.repo(SOURCE_REPO).blobs.set(sha(attestation), attestation);
  src.repo(SOURCE_REPO).blobs.set(sha(attConfig), attConfig);
  const attManifest = manifestOf(attConfig, [attestation]);
  src.repo(SOURCE_REPO).manifests.set(sha(attManifest), { manifest: attManifest, mediaType: "application/vnd.oci.image.manifest.v1+json" });
  const index = JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: [
    { mediaType: "application/vnd.oci.image.manifest.v1+json", digest: DIGEST, size: MANIFEST.length, platform: { architecture: "amd64", os: "linux" } },
    { mediaType: "application/vnd.oci.image.manifest.v1+json", digest: sha(attManifest), size: attManifest.length, annotations: { "vnd.docker.reference.type": "attestation-manifest" } },
  ] });
  src.repo(SOURCE_REPO).manifests.set(sha(index), { manifest: index, mediaType: "application/vnd.oci.image.index.v1+json" });
  const prod = new RecordingEcr("222222222222", "us-east-1");
  prod.repo("gantry/llm/prod/img-default");
  const ref = `111111111111.dkr.ecr.us-east-1.amazonaws.com/${SOURCE_REPO}:t1@${sha(index)}`;
  // both accounts in one region: one client, the registry id picks the account
  const byAccount = { send: (c: { input: { registryId?: string } }) => (c.input.registryId === "111111111111" ? src : prod).send(c) };
  const { copied } = await copyArtifactImages(artifact({ "img-default": ref }), { app: "llm", stack: "prod", region: "us-east-1" },
    { ecr: () => byAccount, fetch: fetchFrom([src]) });
  assert.deepEqual(copied[0].report!.manifests, [DIGEST, sha(attManifest), sha(index)]);
  const puts = prod.calls.filter((c) => c[0] === "PutImage").map((c) => [c[1].imageDigest, c[1].imageTag]);
  assert.deepEqual(puts, [[DIGEST, undefined], [sha(attManifest), undefined], [sha(index), "t1"]]);
});

test("refusals: a removed source image, a corrupted layer, a manifest that is not the digest", async () => {
  const target = { app: "llm", stack: "prod", region: "eu-west-1" };
  const prodOf = () => { const p = new RecordingEcr("222222222222", "eu-west-1"); p.repo("gantry/llm/prod/img-default"); return p; };
  // staging's lifecycle policy removed the digest
  const gone = staging();
  gone.repo(SOURCE_REPO).manifests.clear();
  let prod = prodOf();
  await assert.rejects(
    copyArtifactImages(artifact({ "img-default": stagingRef }), target, { ecr: (r) => (r === "us-east-1" ? gone : prod), fetch: fetchFrom([gone]) }),
    (e: Error) => e instanceof ImageCopyError && /^image img-default: 111111111111\/image-img-default-1a2b3c4@sha256:[0-9a-f]{64}: not found in the source repository \(a lifecycle policy/.test(e.message),
  );
  // a layer that does not hash to its digest: the upload is never completed, no manifest written
  const src = staging();
  prod = prodOf();
  await assert.rejects(
    copyArtifactImages(artifact({ "img-default": stagingRef }), target, { ecr: (r) => (r === "us-east-1" ? src : prod), fetch: fetchFrom([src], sha(APP)) }),
    new RegExp(`layer ${sha(APP)} downloaded as sha256:[0-9a-f]{64} \\(9 bytes\\); not completing the upload`),
  );
  assert.deepEqual(prod.calls.filter((c) => c[0] === "CompleteLayerUpload").map((c) => (c[1].layerDigests as string[])[0]), [sha(CONFIG), sha(BASE)], "the good layers only");
  assert.ok(!prod.calls.some((c) => c[0] === "PutImage"));
  // ECR handed back other bytes than the digest (a converted manifest): refused before any write
  const converted = staging();
  converted.repo(SOURCE_REPO).manifests.set(DIGEST, { manifest: MANIFEST.replace(`"schemaVersion":2`, `"schemaVersion": 2`), mediaType: "application/vnd.oci.image.manifest.v1+json" });
  prod = prodOf();
  await assert.rejects(
    copyArtifactImages(artifact({ "img-default": stagingRef }), target, { ecr: (r) => (r === "us-east-1" ? converted : prod), fetch: fetchFrom([converted]) }),
    /the manifest ECR returned hashes to sha256:[0-9a-f]{64}, not the digest asked for/,
  );
  assert.deepEqual(prod.calls.map((c) => c[0]), ["DescribeRepositories", "BatchGetImage"]);
  await assert.rejects(
    copyArtifactImages(artifact({ "img-default": `docker.io/library/node@${DIGEST}` }), target, { ecr: () => prod, fetch: fetchFrom([]) }),
    /image img-default: "docker\.io\/library\/node@sha256:[0-9a-f]{64}" is not an ECR image reference/,
  );
});

test("promote(): the target's stack file names the copies (same digests); a dry run copies nothing", async () => {
  const appSpec = (): AppSpec => spec({ name: "llm", classes: [cls("LlamaInference", 17, { gpu: gpu("A10G"), maxContainers: 5, timeout: 600 })] });
  const root = mkdtempSync(join(tmpdir(), "gantry-copy-"));
  writeFileSync(join(root, "Pulumi.staging.yaml"), "config:\n  gantry:app: app.ts\n");
  writeFileSync(join(root, "Pulumi.prod.yaml"), "config:\n  aws:region: eu-west-1\n");
  recordDeployment(root, "staging", plan(appSpec(), [], "staging"), { "img-default": stagingRef }, "2026-12-04T10:00:00Z", { sequence: 4 });
  const src = staging();
  const prod = new RecordingEcr("222222222222", "eu-west-1");
  const seen: Array<{ stack: string; targetFile: string | null }> = [];
  const copyImages = async (a: Artifact, t: { stack: string; targetFile: string | null }) => {
    seen.push(t);
    return (await copyArtifactImages(a, { app: a.app, stack: t.stack, region: "eu-west-1" }, { ecr: (r) => (r === "us-east-1" ? src : prod), fetch: fetchFrom([src]) })).images;
  };
  const analyze = async () => ({ spec: appSpec(), errors: [] });
  await promote({ root, from: "staging", to: "prod", analyze, copyImages, dryRun: true });
  assert.deepEqual([seen, prod.calls], [[], []]);
  const result = await promote({ root, from: "staging", to: "prod", analyze, copyImages });
  const copy = `222222222222.dkr.ecr.eu-west-1.amazonaws.com/gantry/llm/prod/img-default:0123456789abcdef@${DIGEST}`;
  assert.deepEqual(seen, [{ stack: "prod", targetFile: join(root, "Pulumi.prod.yaml") }]);
  assert.deepEqual(result.copiedFrom, { "img-default": stagingRef });
  const written = parse(readFileSync(join(root, "Pulumi.prod.yaml"), "utf8")).config["gantry:artifact"];
  assert.deepEqual([written.images, written.sequence, written.fromStack], [{ "img-default": copy }, 4, "staging"]);
  // a copier that changed a digest is a bug, and nothing is written
  await assert.rejects(promote({ root, from: "staging", to: "prod", analyze, copyImages: async () => ({ "img-default": `${copy.split("@")[0]}@sha256:${"0".repeat(64)}` }) }), /other images or digests/);
});
