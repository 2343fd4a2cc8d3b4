/**
 * An app image as task definitions run it, one of two kinds:
 *
 * - gantry:aws:Image — an `Image` spec built and pushed to its own ECR repository (immutable tags,
 *   scan on push, lifecycle policy) by @pulumi/docker-build, with the layer cache in a second,
 *   mutable repository. The tag is a hash of everything that goes into the image (Dockerfile, app
 *   bundle, local files), and task definitions use the pushed `tag@digest`, so a deploy runs
 *   exactly the bytes that were built.
 * - gantry:aws:PinnedImage — on a stack promoted with `gantry:artifact`: nothing is built; task
 *   definitions run the digest the source stack deployed, from the source stack's repository.
 *
 * Cost: ECR storage, $0.10/GB-month; the lifecycle policy keeps the last 20 images (which also
 * bounds how long a digest promoted from that repository stays pullable).
 */
import * as aws from "@pulumi/aws";
import * as dockerBuild from "@pulumi/docker-build";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import type { ImageSpec } from "../../synth/spec.ts";
import type { Bundle } from "./bundle.ts";
import { GantryComponent, type DeclarationRef, type StackInfo } from "./component.ts";

export const KEEP_IMAGES = 20;

export interface ImageInputs {
  spec: ImageSpec;
  dockerfile: string;
  bundle: Bundle;
  /** build context of the user's files, relative to the project root */
  context: string;
  /** hash of the local files the image copies in */
  localFilesHash: string;
}

/** The content tag: changes exactly when the image's inputs do. */
export function imageTag(inputs: Pick<ImageInputs, "dockerfile" | "bundle" | "localFilesHash">): string {
  return createHash("sha256").update(inputs.dockerfile).update("\0").update(inputs.bundle.hash).update("\0").update(inputs.localFilesHash).digest("hex").slice(0, 16);
}

/** An image's declaration; the default image (no `Image` in code) is the app's, at `new App(…)`. */
function imageRef(spec: ImageSpec, info: StackInfo): DeclarationRef {
  return { declaration: `image:${spec.id}`, source: spec.source ?? info.source };
}

/** What task definitions and roles need of an image, built or pinned. */
export type AppImage = BuiltImage | PinnedImage;

const ECR_REF = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?\/([a-z0-9._\/-]+?)(?::[\w][\w.-]{0,127})?@sha256:[0-9a-f]{64}$/;

/** The ARN of the ECR repository an image reference points into, or null for another registry. */
export function ecrRepositoryArn(ref: string): string | null {
  const m = ECR_REF.exec(ref);
  if (!m) return null;
  const [, account, region, china, repository] = m;
  return `arn:${china ? "aws-cn" : "aws"}:ecr:${region}:${account}:repository/${repository}`;
}

export class BuiltImage extends GantryComponent {
  readonly repository: aws.ecr.Repository;
  /** `<repo>:<tag>@sha256:<digest>`, what task definitions run */
  readonly ref: pulumi.Output<string>;
  readonly digest: pulumi.Output<string>;

  constructor(name: string, info: StackInfo, inputs: ImageInputs, opts?: pulumi.ComponentResourceOptions) {
    const ref = imageRef(inputs.spec, info);
    super("gantry:aws:Image", name, info, ref, opts);
    this.repository = this.createRepository(name);
    const cache = this.createCacheRepository(name);
    this.createLifecyclePolicy(name);
    const image = this.createImage(name, inputs, cache);
    this.ref = image.ref;
    this.digest = image.digest;
    this.registerOutputs({ repositoryUrl: this.repository.repositoryUrl, ref: this.ref, digest: this.digest });
  }

  private createRepository(name: string): aws.ecr.Repository {
    return new aws.ecr.Repository(name, {
      imageTagMutability: "IMMUTABLE",
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfigurations: [{ encryptionType: "AES256" }],
      forceDelete: true,
      tags: this.tags,
    }, this.childOpts);
  }

  /** Build cache entries are overwritten on every build, which an immutable repository refuses. */
  private createCacheRepository(name: string): aws.ecr.Repository {
    return new aws.ecr.Repository(`${name}-cache`, {
      imageTagMutability: "MUTABLE",
      encryptionConfigurations: [{ encryptionType: "AES256" }],
      forceDelete: true,
      tags: this.tags,
    }, this.childOpts);
  }

  private createLifecyclePolicy(name: string): void {
    new aws.ecr.LifecyclePolicy(name, {
      repository: this.repository.name,
      policy: JSON.stringify({
        rules: [
          {
            rulePriority: 1,
            description: "drop untagged images after 7 days",
            selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: 7 },
            action: { type: "expire" },
          },
          {
            rulePriority: 2,
            description: `keep the last ${KEEP_IMAGES} images`,
            selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: KEEP_IMAGES },
            action: { type: "expire" },
          },
        ],
      }),
    }, this.childOpts);
  }

  private createImage(name: string, inputs: ImageInputs, cache: aws.ecr.Repository): dockerBuild.Image {
    const auth = aws.ecr.getAuthorizationTokenOutput({ registryId: this.repository.registryId }, { parent: this });
    const tag = imageTag(inputs);
    const cacheRef = pulumi.interpolate`${cache.repositoryUrl}:${inputs.spec.id}`;
    return new dockerBuild.Image(`${name}-build`, {
      tags: [pulumi.interpolate`${this.repository.repositoryUrl}:${tag}`],
      push: true,
      buildOnPreview: false,
      platforms: ["linux/amd64"],
      context: { location: inputs.context, named: { gantry: { location: inputs.bundle.dir } } },
      dockerfile: { inline: inputs.dockerfile },
      labels: { "gantry.image": inputs.spec.id, "gantry.bundle": inputs.bundle.hash.slice(0, 16) },
      registries: [{
        address: this.repository.repositoryUrl.apply((url) => url.split("/")[0]),
        username: auth.userName,
        password: pulumi.secret(auth.password),
      }],
      cacheFrom: [{ registry: { ref: cacheRef } }],
      cacheTo: [{ registry: { ref: cacheRef, mode: dockerBuild.CacheMode.Max, imageManifest: true, ociMediaTypes: true } }],
    }, this.childOpts);
  }
}

export interface PinnedImageInputs {
  spec: ImageSpec;
  /** `<repo>[:<tag>]@sha256:<digest>` from the artifact; an ECR repository (see ecrRepositoryArn) */
  ref: string;
}

/**
 * A digest another stack deployed (`gantry:artifact`): declares no cloud resource. The execution
 * role may pull from the repository the ref names: the stack's own copy (`gantry promote` copies
 * images into `gantry/<app>/<stack>/<image id>`, policy/promote/copy-images.ts), or with
 * `--no-copy-images` the source stack's, whose policy must then admit this account.
 */
export class PinnedImage extends GantryComponent {
  /** the repository the digest lives in (the source stack's), by reference only */
  readonly repository: { readonly arn: pulumi.Output<string> };
  readonly ref: pulumi.Output<string>;
  readonly digest: pulumi.Output<string>;

  constructor(name: string, info: StackInfo, inputs: PinnedImageInputs, opts?: pulumi.ComponentResourceOptions) {
    const ref = imageRef(inputs.spec, info);
    super("gantry:aws:PinnedImage", name, info, ref, opts);
    const arn = ecrRepositoryArn(inputs.ref);
    if (!arn) throw new Error(`${inputs.ref} is not an image in an ECR repository`);
    this.repository = { arn: pulumi.output(arn) };
    this.ref = pulumi.output(inputs.ref);
    this.digest = pulumi.output(inputs.ref.slice(inputs.ref.lastIndexOf("@") + 1));
    this.registerOutputs({ repositoryArn: this.repository.arn, ref: this.ref, digest: this.digest });
  }
}
