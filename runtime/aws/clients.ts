/**
 * The AWS SDK v3 clients the runtime uses, behind the one method it calls (`send`), so tests can
 * record every command or swap a client for a stand-in. Endpoints come from the SDK's own
 * configuration: `AWS_REGION`, and `AWS_ENDPOINT_URL_SQS` / `_DYNAMODB` / `_S3` for local servers.
 */
import { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";

/** What the runtime needs of a client: `client.send(new XCommand(input))`. */
export interface CommandSender {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  send(command: any): Promise<any>;
}

export interface AwsClients {
  sqs: CommandSender;
  /** a DynamoDB *document* client (Uint8Array <-> B, numbers <-> N) */
  ddb: CommandSender;
  s3: CommandSender;
}

export function createClients(env: NodeJS.ProcessEnv = process.env): AwsClients {
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? "us-east-1";
  const ddb = DynamoDBDocumentClient.from(new DynamoDBClient({ region }), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return {
    sqs: new SQSClient({ region }),
    ddb,
    // a local S3 server answers on one host: path-style addressing
    s3: new S3Client({ region, forcePathStyle: Boolean(env.AWS_ENDPOINT_URL_S3) }),
  };
}

/** The error name the SDK gives a service error (`ConditionalCheckFailedException`, `MessageNotInflight`). */
export function awsErrorName(err: unknown): string {
  return err instanceof Error ? err.name : "";
}
