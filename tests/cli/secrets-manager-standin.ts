/**
 * A tiny AWS Secrets Manager stand-in for tests: the awsJson1_1 protocol (POST /, header
 * `X-Amz-Target: secretsmanager.<Operation>`, JSON bodies) for DescribeSecret and PutSecretValue,
 * over in-memory secrets. It records every request (operation, parsed body, the signature's
 * credential scope) so tests can assert exactly what the CLI sent. Point the AWS SDK at it with
 * `AWS_ENDPOINT_URL_SECRETS_MANAGER=<url>`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface StandinSecret {
  name: string;
  tags: Record<string, string>;
  /** the current value, if one was ever put */
  value?: string;
  /** epoch seconds: scheduled for deletion */
  deletedDate?: number;
}

export interface RecordedRequest {
  operation: string;
  body: Record<string, unknown>;
  /** `<date>/<region>/<service>/aws4_request` from the SigV4 Authorization header */
  scope: string | undefined;
}

interface Stored extends StandinSecret {
  arn: string;
  versions: Array<{ id: string; stages: string[] }>;
}

export class SecretsManagerStandin {
  readonly requests: RecordedRequest[] = [];
  /** operation -> an error to answer with instead ({ __type, message }) */
  readonly failures = new Map<string, { type: string; message: string; status?: number }>();
  private readonly secrets: Stored[] = [];
  private server: Server | undefined;
  private versionCount = 0;
  url = "";

  add(secret: StandinSecret): string {
    const arn = `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${secret.name}-AbCdEf`;
    const stored: Stored = { ...secret, arn, versions: [] };
    if (secret.value !== undefined) stored.versions.push({ id: this.nextVersion(), stages: ["AWSCURRENT"] });
    this.secrets.push(stored);
    return arn;
  }

  /** The stored secret (its current value included), by name. */
  get(name: string): StandinSecret & { arn: string; versions: Array<{ id: string; stages: string[] }> } | undefined {
    return this.secrets.find((s) => s.name === name);
  }

  reset(): void {
    this.requests.length = 0;
    this.secrets.length = 0;
    this.failures.clear();
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((ok) => this.server!.listen(0, "127.0.0.1", ok));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((ok, fail) => this.server?.close((err) => (err ? fail(err) : ok())) ?? ok());
  }

  private nextVersion(): string {
    this.versionCount += 1;
    return `00000000-0000-4000-8000-${String(this.versionCount).padStart(12, "0")}`;
  }

  private find(id: unknown): Stored | undefined {
    return this.secrets.find((s) => s.arn === id || s.name === id);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const target = String(req.headers["x-amz-target"] ?? "");
    const operation = target.replace(/^secretsmanager\./, "");
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as Record<string, unknown>;
    const scope = /Credential=[^/]+\/([^,]+)/.exec(String(req.headers.authorization ?? ""))?.[1];
    this.requests.push({ operation, body, scope });

    const reply = (status: number, payload: unknown) => {
      res.writeHead(status, { "content-type": "application/x-amz-json-1.1" });
      res.end(JSON.stringify(payload));
    };
    const error = (type: string, message: string, status = 400) => reply(status, { __type: type, message });

    const failure = this.failures.get(operation);
    if (failure) return error(failure.type, failure.message, failure.status);
    if (req.method !== "POST" || !target.startsWith("secretsmanager.")) return error("UnknownOperationException", `not a Secrets Manager call: ${target}`);

    switch (operation) {
      case "DescribeSecret": {
        const s = this.find(body.SecretId);
        if (!s) return error("ResourceNotFoundException", "Secrets Manager can't find the specified secret.");
        return reply(200, {
          ARN: s.arn,
          Name: s.name,
          Tags: Object.entries(s.tags).map(([Key, Value]) => ({ Key, Value })),
          VersionIdsToStages: Object.fromEntries(s.versions.map((v) => [v.id, v.stages])),
          ...(s.deletedDate !== undefined ? { DeletedDate: s.deletedDate } : {}),
        });
      }
      case "PutSecretValue": {
        const s = this.find(body.SecretId);
        if (!s) return error("ResourceNotFoundException", "Secrets Manager can't find the specified secret.");
        if (s.deletedDate !== undefined) return error("InvalidRequestException", "You can't perform this operation on the secret because it was marked for deletion.");
        for (const v of s.versions) v.stages = v.stages.includes("AWSCURRENT") ? ["AWSPREVIOUS"] : [];
        const id = this.nextVersion();
        s.versions.push({ id, stages: ["AWSCURRENT"] });
        s.value = String(body.SecretString);
        return reply(200, { ARN: s.arn, Name: s.name, VersionId: id, VersionStages: ["AWSCURRENT"] });
      }
      default:
        return error("UnknownOperationException", `the stand-in does not implement ${operation}`);
    }
  }
}
