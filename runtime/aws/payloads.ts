/**
 * The payload bucket: arguments too large for a queue message (`inputs/<caller>/<callee>/<callId>`)
 * and results too large for a results-table item (`results/<callee>/<caller>/<callId>/<delivery>`),
 * keyed so IAM can give each side only its own (call-keys.ts). The stack
 * expires both prefixes after the results' TTL. The S3 SDK is imported on first use (cold start).
 */
import { loadS3, type CommandSender } from "./clients.ts";

export class PayloadStore {
  constructor(private readonly s3: CommandSender, readonly bucket: string) {}

  async put(key: string, body: Uint8Array | string): Promise<void> {
    const { PutObjectCommand } = await loadS3();
    await this.s3.send(new PutObjectCommand({
      Bucket: this.bucket,
      Key: key,
      Body: body,
      ContentType: typeof body === "string" ? "application/json" : "application/octet-stream",
    }));
  }

  async get(key: string): Promise<Uint8Array> {
    const { GetObjectCommand } = await loadS3();
    const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    return (await out.Body.transformToByteArray()) as Uint8Array;
  }

  async delete(key: string): Promise<void> {
    const { DeleteObjectCommand } = await loadS3();
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }
}
