/**
 * gantry:aws:Volume — a `Volume.fromName`: an encrypted EFS file system with a mount target in
 * each private subnet, a security group that admits NFS (TCP 2049) only from the services that
 * mount it (their rules are added by each FunctionService), an access point that owns the data
 * directory, and a file system policy that refuses unencrypted connections.
 *
 * The file system is retained when the stack is destroyed (it holds data such as model weights).
 * With `createIfMissing: false`, stack config `gantry:volumes.<name>.fileSystemId` names an
 * existing file system; gantry then only adds an access point to it.
 *
 * Cost: EFS elastic throughput, $0.30/GB-month of storage (us-east-1 standard) plus transfer.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { VolumeSpec } from "../../synth/spec.ts";
import { GantryComponent, type StackInfo } from "./component.ts";
import type { Network } from "./network.ts";

/** The uid/gid the container user runs as (node images' `node` user). */
export const VOLUME_UID = 1000;
export const NFS_PORT = 2049;

export interface VolumeInputs {
  spec: VolumeSpec;
  network: Network;
  privateSubnetCount: number;
  existingFileSystemId: string | undefined;
}

export class AppVolume extends GantryComponent {
  readonly fileSystemId: pulumi.Output<string>;
  readonly fileSystemArn: pulumi.Output<string>;
  readonly accessPoint: aws.efs.AccessPoint;
  /** null for an existing file system (its mount targets keep their own security groups) */
  readonly securityGroup: aws.ec2.SecurityGroup | null;

  constructor(name: string, info: StackInfo, inputs: VolumeInputs, opts?: pulumi.ComponentResourceOptions) {
    super("gantry:aws:Volume", name, info, { declaration: `volume:${inputs.spec.name}`, source: inputs.spec.source }, opts);
    if (inputs.existingFileSystemId) {
      const fs = aws.efs.getFileSystemOutput({ fileSystemId: inputs.existingFileSystemId }, { parent: this });
      this.fileSystemId = fs.fileSystemId;
      this.fileSystemArn = fs.arn;
      this.securityGroup = null;
    } else {
      const fs = this.createFileSystem(name, inputs.spec);
      this.securityGroup = this.createSecurityGroup(name, inputs.network);
      this.createMountTargets(name, fs, inputs);
      this.createPolicy(name, fs);
      this.fileSystemId = fs.id;
      this.fileSystemArn = fs.arn;
    }
    this.accessPoint = this.createAccessPoint(name, inputs.spec);
    this.registerOutputs({ fileSystemId: this.fileSystemId, accessPointId: this.accessPoint.id });
  }

  private createFileSystem(name: string, spec: VolumeSpec): aws.efs.FileSystem {
    return new aws.efs.FileSystem(`${name}-fs`, {
      encrypted: true,
      performanceMode: "generalPurpose",
      throughputMode: "elastic",
      lifecyclePolicies: [{ transitionToIa: "AFTER_30_DAYS" }],
      tags: { ...this.tags, Name: `${spec.name}` },
    }, { ...this.childOpts, retainOnDelete: true });
  }

  private createSecurityGroup(name: string, network: Network): aws.ec2.SecurityGroup {
    return new aws.ec2.SecurityGroup(`${name}-nfs`, {
      vpcId: network.vpcId,
      description: "NFS from the gantry services that mount this volume",
      egress: [],
      tags: { ...this.tags, Name: `${name}-nfs` },
    }, this.childOpts);
  }

  private createMountTargets(name: string, fs: aws.efs.FileSystem, inputs: VolumeInputs): void {
    for (let i = 0; i < inputs.privateSubnetCount; i++) {
      new aws.efs.MountTarget(`${name}-mount-${i + 1}`, {
        fileSystemId: fs.id,
        subnetId: inputs.network.privateSubnetIds.apply((ids) => ids[i]),
        securityGroups: [this.securityGroup!.id],
      }, this.childOpts);
    }
  }

  private createPolicy(name: string, fs: aws.efs.FileSystem): void {
    new aws.efs.FileSystemPolicy(`${name}-tls`, {
      fileSystemId: fs.id,
      policy: pulumi.jsonStringify({
        Version: "2012-10-17",
        Statement: [{
          Sid: "DenyUnencryptedTransport",
          Effect: "Deny",
          Principal: { AWS: "*" },
          Action: "*",
          Resource: fs.arn,
          Condition: { Bool: { "aws:SecureTransport": "false" } },
        }],
      }),
    }, this.childOpts);
  }

  private createAccessPoint(name: string, spec: VolumeSpec): aws.efs.AccessPoint {
    return new aws.efs.AccessPoint(`${name}-ap`, {
      fileSystemId: this.fileSystemId,
      posixUser: { uid: VOLUME_UID, gid: VOLUME_UID },
      rootDirectory: {
        path: `/gantry/${spec.name}`,
        creationInfo: { ownerUid: VOLUME_UID, ownerGid: VOLUME_UID, permissions: "0755" },
      },
      tags: { ...this.tags, Name: spec.name },
    }, this.childOpts);
  }
}
