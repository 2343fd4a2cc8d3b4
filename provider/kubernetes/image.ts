/**
 * An app image as pods run it, one of two kinds:
 *
 * - gantry:k8s:Image — an `Image` spec (the same Dockerfile and bundle as on AWS,
 *   provider/aws/dockerfile.ts) built by @pulumi/docker-build and pushed to
 *   `<gantry:kubernetes.registry>/<image id>` with a content tag; pods run `<repo>@sha256:<digest>`,
 *   exactly the bytes that were pushed. Push credentials are the build host's (docker login);
 *   pull credentials are the namespace's `imagePullSecrets` (stack config).
 * - gantry:k8s:PinnedImage — on a stack promoted with `gantry:artifact`: nothing is built; pods run
 *   the digest the source stack deployed, from its registry.
 *
 * Cost: the registry's storage.
 */
import * as dockerBuild from "@pulumi/docker-build";
import * as pulumi from "@pulumi/pulumi";
import type { ImageSpec } from "../../synth/spec.ts";
import type { PreparedImage } from "../aws/index.ts";
import { imageTag } from "../aws/image.ts";
import { KubeComponent, type DeclarationRef, type StackInfo } from "./component.ts";
import { dnsLabel } from "./names.ts";

/** Where images go when `gantry:kubernetes.registry` is not set (a registry on the build host, as kind and minikube use). */
export const DEFAULT_REGISTRY = "localhost:5000";

function imageRef(spec: ImageSpec, info: StackInfo): DeclarationRef {
  return { declaration: `image:${spec.id}`, source: spec.source ?? info.source };
}

/** `<registry>/<app>-<image id>`: one repository per image. */
export function repositoryOf(registry: string, app: string, imageId: string): string {
  return `${registry.replace(/\/+$/, "")}/${dnsLabel(`${app}-${imageId}`)}`;
}

export type AppImage = BuiltImage | PinnedImage;

export class BuiltImage extends KubeComponent {
  /** `<repo>@sha256:<digest>`, what pods run */
  readonly ref: pulumi.Output<string>;

  constructor(name: string, info: StackInfo, inputs: PreparedImage & { repository: string }, opts?: pulumi.ComponentResourceOptions) {
    super("gantry:k8s:Image", name, info, imageRef(inputs.spec, info), opts);
    const tag = imageTag(inputs);
    const image = new dockerBuild.Image(`${name}-build`, {
      tags: [`${inputs.repository}:${tag}`],
      push: true,
      buildOnPreview: false,
      platforms: ["linux/amd64"],
      context: { location: inputs.context, named: { gantry: { location: inputs.bundle.dir } } },
      dockerfile: { inline: inputs.dockerfile },
      labels: { "gantry.image": inputs.spec.id, "gantry.bundle": inputs.bundle.hash.slice(0, 16) },
      cacheFrom: [{ registry: { ref: `${inputs.repository}:cache` } }],
      cacheTo: [{ registry: { ref: `${inputs.repository}:cache`, mode: dockerBuild.CacheMode.Max, imageManifest: true, ociMediaTypes: true } }],
    }, this.childOpts);
    this.ref = pulumi.interpolate`${inputs.repository}@${image.digest}`;
    this.registerOutputs({ ref: this.ref });
  }
}

export class PinnedImage extends KubeComponent {
  readonly ref: pulumi.Output<string>;

  constructor(name: string, info: StackInfo, inputs: { spec: ImageSpec; ref: string }, opts?: pulumi.ComponentResourceOptions) {
    super("gantry:k8s:PinnedImage", name, info, imageRef(inputs.spec, info), opts);
    this.ref = pulumi.output(inputs.ref);
    this.registerOutputs({ ref: this.ref });
  }
}

/** A digest reference (`<repo>[:<tag>]@sha256:<64 hex>`), what a promoted stack may run. */
export function isDigestRef(ref: string): boolean {
  return /^[a-z0-9.-]+(:\d+)?(\/[a-z0-9._-]+)+(:[\w][\w.-]{0,127})?@sha256:[0-9a-f]{64}$/.test(ref);
}
