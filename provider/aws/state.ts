/**
 * gantry:aws:State — what calls share: a DynamoDB table for call results (expired by TTL), an S3
 * bucket for arguments and results beyond the queue's size limit (expired by lifecycle, after the
 * dead-letter queue's retention), and
 * gantry:aws:Dict / gantry:aws:StateQueue for each `Dict.fromName` / `Queue.fromName`.
 *
 * Results-table keys and bucket layout (IAM scopes both per declaration, runtime/aws/call-keys.ts):
 * items keyed `<callee>:<caller>:<id>`; `inputs/<caller>/<callee>/<callId>` written by the caller,
 * read by the callee; `results/<callee>/<caller>/<callId>/…` written by the callee, read by the caller.
 *
 * Cost: on-demand DynamoDB and S3 cost nothing at rest beyond storage.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { StateSpec } from "../../synth/spec.ts";
import { GantryComponent, type StackInfo } from "./component.ts";
import { payloadBucketName, resultsTableName } from "./names.ts";
import { DLQ_RETENTION_SECONDS } from "./function-queue.ts";

/** Results are kept this long (the results table's TTL; the containers get it as GANTRY_RESULT_TTL_DAYS). */
export const RESULT_TTL_DAYS = 7;
/**
 * Large payloads are kept at least as long as the dead-letter queue keeps messages (14 days): a
 * dead-lettered message names its arguments by S3 key, and redriving it after a fix must find
 * them. Results get the same, which also outlasts their table item (DynamoDB deletes expired
 * items only some time after their TTL).
 */
export const PAYLOAD_EXPIRY_DAYS = Math.max(RESULT_TTL_DAYS, Math.ceil(DLQ_RETENTION_SECONDS / 86400));

export class CallState extends GantryComponent {
  readonly resultsTable: aws.dynamodb.Table;
  readonly payloadBucket: aws.s3.Bucket;

  constructor(name: string, info: StackInfo, opts?: pulumi.ComponentResourceOptions) {
    super("gantry:aws:State", name, info, null, opts);
    this.resultsTable = this.createResultsTable(name);
    this.payloadBucket = this.createPayloadBucket(name);
    this.registerOutputs({ resultsTable: this.resultsTable.name, payloadBucket: this.payloadBucket.bucket });
  }

  private createResultsTable(name: string): aws.dynamodb.Table {
    return new aws.dynamodb.Table(resultsTableName(name), {
      billingMode: "PAY_PER_REQUEST",
      hashKey: "callId",
      attributes: [{ name: "callId", type: "S" }],
      ttl: { attributeName: "expiresAt", enabled: true },
      serverSideEncryption: { enabled: true },
      pointInTimeRecovery: { enabled: false },
      tags: this.tags,
    }, this.childOpts);
  }

  private createPayloadBucket(name: string): aws.s3.Bucket {
    const bucket = new aws.s3.Bucket(payloadBucketName(name), { forceDestroy: true, tags: this.tags }, this.childOpts);
    new aws.s3.BucketPublicAccessBlock(`${name}-payloads`, {
      bucket: bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    }, this.childOpts);
    new aws.s3.BucketServerSideEncryptionConfiguration(`${name}-payloads`, {
      bucket: bucket.id,
      rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
    }, this.childOpts);
    new aws.s3.BucketLifecycleConfiguration(`${name}-payloads`, {
      bucket: bucket.id,
      rules: ["inputs/", "results/"].map((prefix) => ({
        id: `expire-${prefix.replace("/", "")}`,
        status: "Enabled",
        filter: { prefix },
        expiration: { days: PAYLOAD_EXPIRY_DAYS },
      })),
    }, this.childOpts);
    return bucket;
  }
}

/**
 * Whether `declaration`'s role gets a Dict or Queue: when the analysis tied every use of it to
 * declarations (`usedBy`), only theirs; else every declaration's.
 */
export function usedBy(spec: Pick<StateSpec, "usedBy">, declaration: string): boolean {
  return spec.usedBy === undefined || spec.usedBy.includes(declaration);
}

/** A `Dict.fromName`: a DynamoDB table keyed by the (serialized) key. */
export class DictTable extends GantryComponent {
  readonly table: aws.dynamodb.Table;

  constructor(name: string, info: StackInfo, readonly spec: StateSpec, opts?: pulumi.ComponentResourceOptions) {
    super("gantry:aws:Dict", name, info, { declaration: `dict:${spec.name}`, source: spec.source }, opts);
    this.table = new aws.dynamodb.Table(`${name}-table`, {
      billingMode: "PAY_PER_REQUEST",
      hashKey: "key",
      attributes: [{ name: "key", type: "S" }],
      serverSideEncryption: { enabled: true },
      tags: this.tags,
    }, { ...this.childOpts, retainOnDelete: !spec.createIfMissing });
    this.registerOutputs({ table: this.table.name });
  }
}

/** A `Queue.fromName`: a standard SQS queue. */
export class StateQueue extends GantryComponent {
  readonly queue: aws.sqs.Queue;

  constructor(name: string, info: StackInfo, readonly spec: StateSpec, opts?: pulumi.ComponentResourceOptions) {
    super("gantry:aws:StateQueue", name, info, { declaration: `queue:${spec.name}`, source: spec.source }, opts);
    this.queue = new aws.sqs.Queue(`${name}-queue`, {
      messageRetentionSeconds: 1209600,
      receiveWaitTimeSeconds: 20,
      sqsManagedSseEnabled: true,
      tags: this.tags,
    }, this.childOpts);
    this.registerOutputs({ url: this.queue.url });
  }
}
