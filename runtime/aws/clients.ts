/**
 * The AWS SDK v3 clients the runtime uses, behind the one method it calls (`send`), so tests can
 * record every command or swap a client for a stand-in. Endpoints come from the SDK's own
 * configuration: `AWS_REGION`, and `AWS_ENDPOINT_URL_SQS` / `_DYNAMODB` / `_S3` for local servers.
 *
 * Only the SQS client is loaded at start (the first thing a worker does is a long poll). DynamoDB
 * is loaded while that poll is in flight (`warmUp`), S3 and Application Auto Scaling on first use:
 * parsing the SDK is most of a container's start-up time.
 */
import { SQSClient } from "@aws-sdk/client-sqs";

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
  /** Application Auto Scaling (`updateAutoscaler`); loaded on first use */
  autoscaling?: CommandSender;
  /** ECS (waking a unit from zero, runtime/aws/waker.ts); loaded on first use when absent */
  ecs?: CommandSender;
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
  return {
    sqs: new SQSClient(base(env.AWS_ENDPOINT_URL_SQS)),
    ddb: lazySender(async () => {
      const [{ DynamoDBClient }, { DynamoDBDocumentClient }] = await Promise.all([loadDynamoDb(), loadDocumentClient()]);
      return DynamoDBDocumentClient.from(new DynamoDBClient(base(env.AWS_ENDPOINT_URL_DYNAMODB)), {
        marshallOptions: { removeUndefinedValues: true },
      });
    }),
    // loaded on first use: most calls never need S3, and its client is a third of the SDK code
    // a container would otherwise load at start; a local S3 server needs path-style addressing
    s3: lazySender(async () => {
      const { S3Client } = await loadS3();
      return new S3Client({ ...base(env.AWS_ENDPOINT_URL_S3), forcePathStyle: Boolean(env.AWS_ENDPOINT_URL_S3) });
    }),
    autoscaling: lazySender(async () => {
      const { ApplicationAutoScalingClient } = await loadAutoscaling();
      return new ApplicationAutoScalingClient(base(env.AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING));
    }),
  };
}

/**
 * A bundler that splits a CommonJS package into a lazily loaded chunk hands it over as the default
 * export only (esbuild does), so both shapes are accepted.
 */
function commonJs<T extends object>(m: T & { default?: T }, probe: keyof T): T {
  return m[probe] ? m : m.default!;
}

export const loadS3 = async () => commonJs(await import("@aws-sdk/client-s3"), "S3Client");
export const loadDocumentClient = async () => commonJs(await import("@aws-sdk/lib-dynamodb"), "DynamoDBDocumentClient");
export const loadAutoscaling = async () => commonJs(await import("@aws-sdk/client-application-auto-scaling"), "ApplicationAutoScalingClient");
const loadDynamoDb = async () => commonJs(await import("@aws-sdk/client-dynamodb"), "DynamoDBClient");

/** Starts loading what the first input will need, while the first long poll waits. */
export function warmUp(): void {
  void loadDocumentClient().catch(() => {});
  void loadDynamoDb().catch(() => {});
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
