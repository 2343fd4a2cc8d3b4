/**
 * The AWS side of a container (the `aws` transport of its contract): inputs from the unit's SQS
 * queue with the call state in DynamoDB and S3 (transport.ts), nested calls through the same
 * (invoker.ts), and whole secrets and the web token from Secrets Manager (secrets.ts).
 */
import type { ContainerContract } from "../contract.ts";
import type { ContainerTransport } from "../container/transport.ts";
import { createClients } from "./clients.ts";
import { awsTransportOf, callerConfigOf, workerConfigOf } from "./config.ts";
import { AwsInvoker } from "./invoker.ts";
import { loadSecrets, secretsManagerReader } from "./secrets.ts";
import { TaskProtection, withTaskProtection } from "./task-protection.ts";
import { AwsTransport } from "./transport.ts";

export function awsContainerTransport(contract: ContainerContract): ContainerTransport {
  const aws = awsTransportOf(contract);
  const clients = createClients();
  return {
    async loadSecrets() {
      // Secrets Manager is loaded only when a secret needs it (it is not on the cold-start path)
      return aws.secretArns.length ? loadSecrets(aws.secretArns, await secretsManagerReader()) : [];
    },
    async webTokens() {
      if (!aws.tokenSecretArn) return [];
      const value = await (await secretsManagerReader()).read(aws.tokenSecretArn).catch(() => undefined);
      return value ? [value] : [];
    },
    invoker: () => new AwsInvoker({ config: callerConfigOf(contract), clients, source: contract.unit }),
    worker(log) {
      const transport = new AwsTransport({ config: workerConfigOf(contract), clients, log });
      // a busy task is protected from scale-in (the ECS agent puts ECS_AGENT_URI in every task)
      const agentUri = process.env.ECS_AGENT_URI;
      if (!agentUri) return transport;
      return withTaskProtection(transport, new TaskProtection({ agentUri, inputSeconds: contract.timeout, log: (m) => log.warn(m) }));
    },
  };
}
