/**
 * The AWS SDK v3 clients the runtime uses, behind the one method it calls (`send`), so tests can
 * record every command or swap a client for a stand-in. Endpoints come from the SDK's own
 * configuration: `AWS_REGION`, and `AWS_ENDPOINT_URL_SQS` / `_DYNAMODB` / `_S3` for local servers.
 */
import { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

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

/**
 * Clients for `env` (default: this process's). With another env than the process's (tests, tools
 * talking to local servers), its endpoints and static credentials are passed explicitly.
 */
export function createClients(env: NodeJS.ProcessEnv = process.env): AwsClients {
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? "us-east-1";
  const own = env === process.env;
  const credentials = !own && env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
    ? { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY }
    : undefined;
  const base = (endpoint: string | undefined) => ({
    region,
    ...(credentials ? { credentials } : {}),
    ...(!own && endpoint ? { endpoint } : {}),
  });
  const ddb = DynamoDBDocumentClient.from(new DynamoDBClient(base(env.AWS_ENDPOINT_URL_DYNAMODB)), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return {
    sqs: new SQSClient(base(env.AWS_ENDPOINT_URL_SQS)),
    ddb,
    // loaded on first use: most calls never need S3, and its client is a third of the SDK code
    // a container would otherwise load at start; a local S3 server needs path-style addressing
    s3: lazySender(async () => {
      const { S3Client } = await loadS3();
      return new S3Client({ ...base(env.AWS_ENDPOINT_URL_S3), forcePathStyle: Boolean(env.AWS_ENDPOINT_URL_S3) });
    }),
  };
}

type S3Module = typeof import("@aws-sdk/client-s3");

/**
 * The S3 SDK, imported on demand. A bundler that splits a CommonJS package into a lazily loaded
 * chunk hands it over as the default export only, so both shapes are accepted.
 */
export async function loadS3(): Promise<S3Module> {
  const m = (await import("@aws-sdk/client-s3")) as S3Module & { default?: S3Module };
  return m.S3Client ? m : m.default!;
}

function lazySender(create: () => Promise<CommandSender>): CommandSender {
  let client: Promise<CommandSender> | null = null;
  return {
    send: async (command) => {
      client ??= create();
      return (await client).send(command);
    },
  };
}

/** The error name the SDK gives a service error (`ConditionalCheckFailedException`, `MessageNotInflight`). */
export function awsErrorName(err: unknown): string {
  return err instanceof Error ? err.name : "";
}
