/**
 * The Lambda gateway in front of a declaration's web endpoints (API Gateway HTTP API, payload
 * format 2.0): check the bearer token, validate the JSON body against the endpoint's schema (the
 * zod schema from code, carried as JSON Schema and rebuilt with `z.fromJSONSchema`), put the call
 * on the declaration's queue, and wait for its result. A call still running when the synchronous
 * window ends gets `303` to a result URL that waits again, without running the function twice.
 *
 * Wire format (shared with the container runtime's AWS transport):
 * - message: `{ v: 1, kind: "call", callId, function, method, encoding: "json", args | argsKey,
 *   enqueuedAt, source: "web" }` (`argsKey`: S3 key under `inputs/<declaration>/` when the
 *   arguments exceed the queue's size limit);
 * - result: DynamoDB item `{ callId, status: "ok" | "error", encoding, value | resultKey, error }`.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { randomUUID, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { z } from "zod";
import { openApiDocument, type GatewayConfig, type GatewayRoute } from "./routes.ts";

export interface CallResult { status: "ok" | "error"; value: unknown; error: { name: string; message: string } | null }

/** The AWS calls the gateway makes, injectable for tests. */
export interface GatewayDeps {
  config: GatewayConfig;
  maxMessageBytes: number;
  /** how long a request waits for its result before answering 303 */
  syncWindowMs: number;
  token(): Promise<string | null>;
  send(body: string): Promise<void>;
  putInput(key: string, body: string): Promise<void>;
  result(callId: string): Promise<CallResult | null>;
  sleep(ms: number): Promise<void>;
  now(): number;
  newId(): string;
}

type Response = APIGatewayProxyStructuredResultV2;

const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}): Response => ({
  statusCode,
  headers: { "content-type": "application/json", ...headers },
  body: JSON.stringify(body),
});

function tokenMatches(header: string | undefined, token: string | null): boolean {
  if (!token || !header?.startsWith("Bearer ")) return false;
  const given = Buffer.from(header.slice(7));
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const schemas = new Map<GatewayRoute, z.ZodType>();
function schemaOf(route: GatewayRoute): z.ZodType | null {
  if (!route.bodySchema) return null;
  let schema = schemas.get(route);
  if (!schema) {
    schema = z.fromJSONSchema(route.bodySchema as Parameters<typeof z.fromJSONSchema>[0]);
    schemas.set(route, schema);
  }
  return schema;
}

function parseBody(event: APIGatewayProxyEventV2): { ok: true; value: unknown } | { ok: false } {
  if (!event.body) return { ok: true, value: undefined };
  const text = event.isBase64Encoded ? Buffer.from(event.body, "base64").toString("utf8") : event.body;
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

async function waitForResult(deps: GatewayDeps, callId: string, resultPath: string): Promise<Response> {
  const deadline = deps.now() + deps.syncWindowMs;
  let delay = 50;
  for (;;) {
    const result = await deps.result(callId);
    if (result) {
      return result.status === "ok"
        ? json(200, result.value ?? null)
        : json(500, { error: result.error ?? { name: "Error", message: "the call failed" }, callId });
    }
    if (deps.now() + delay > deadline) break;
    await deps.sleep(delay);
    delay = Math.min(delay * 2, 1000);
  }
  return { statusCode: 303, headers: { location: `${resultPath}/${callId}`, "retry-after": "1" }, body: "" };
}

function docsPage(openapiPath: string, title: string): Response {
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body>` +
    `<h1>${title}</h1><p>OpenAPI document: <a href="${openapiPath}">${openapiPath}</a></p>` +
    `<pre id="doc"></pre><script>fetch(${JSON.stringify(openapiPath)},{headers:localStorage.token?{authorization:"Bearer "+localStorage.token}:{}})` +
    `.then(r=>r.json()).then(d=>{document.getElementById("doc").textContent=JSON.stringify(d,null,2)})</script></body></html>`;
  return { statusCode: 200, headers: { "content-type": "text/html; charset=utf-8" }, body: html };
}

export function createHandler(deps: GatewayDeps): (event: APIGatewayProxyEventV2) => Promise<Response> {
  const { config } = deps;
  const allPublic = config.routes.every((r) => r.public);
  const authorized = async (event: APIGatewayProxyEventV2, isPublic: boolean) =>
    isPublic || tokenMatches(event.headers?.authorization ?? event.headers?.Authorization, await deps.token());
  const unauthorized = () => json(401, { error: "missing or wrong bearer token" }, { "www-authenticate": "Bearer" });

  return async (event) => {
    const routeKey = event.routeKey;
    const path = event.rawPath;
    if (config.openapiPath && path === config.openapiPath) {
      if (!(await authorized(event, allPublic))) return unauthorized();
      return json(200, openApiDocument(config, config.declaration));
    }
    if (config.docsPath && path === config.docsPath && config.openapiPath) return docsPage(config.openapiPath, config.declaration);
    if (path.startsWith(`${config.resultPath}/`)) {
      if (!(await authorized(event, allPublic))) return unauthorized();
      const callId = path.slice(config.resultPath.length + 1);
      if (!/^[A-Za-z0-9-]{1,100}$/.test(callId)) return json(404, { error: "no such call" });
      return waitForResult(deps, callId, config.resultPath);
    }
    const route = config.routes.find((r) => r.routeKey === routeKey);
    if (!route) return json(404, { error: `no endpoint ${routeKey}` });
    if (!(await authorized(event, route.public))) return unauthorized();

    let args: unknown[] = [];
    const schema = schemaOf(route);
    if (schema) {
      const body = parseBody(event);
      if (!body.ok) return json(422, { detail: [{ code: "invalid_json", path: [], message: "the body is not valid JSON" }] });
      const checked = schema.safeParse(body.value);
      if (!checked.success) return json(422, { detail: checked.error.issues });
      args = [checked.data];
    } else if (route.takesArgs) {
      const body = parseBody(event);
      if (!body.ok) return json(422, { detail: [{ code: "invalid_json", path: [], message: "the body is not valid JSON" }] });
      args = body.value !== undefined ? [body.value] : [event.queryStringParameters ?? {}];
    }

    const callId = deps.newId();
    const message: Record<string, unknown> = {
      v: 1, kind: "call", callId, function: config.declaration, method: route.method, encoding: "json",
      args, enqueuedAt: deps.now(), source: "web",
    };
    let body = JSON.stringify(message);
    if (Buffer.byteLength(body) > deps.maxMessageBytes - 1024) {
      const key = `inputs/${config.declaration}/${callId}.json`;
      await deps.putInput(key, JSON.stringify(args));
      delete message.args;
      message.argsKey = key;
      body = JSON.stringify(message);
    }
    await deps.send(body);
    return waitForResult(deps, callId, config.resultPath);
  };
}

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

/** The gateway wired to AWS (the Lambda entry). */
function awsDeps(): GatewayDeps {
  const config = JSON.parse(readFileSync(new URL("./routes.json", import.meta.url), "utf8")) as GatewayConfig;
  const sqs = new SQSClient({});
  const ddb = new DynamoDBClient({});
  const s3 = new S3Client({});
  const secrets = new SecretsManagerClient({});
  const bucket = env("GANTRY_PAYLOAD_BUCKET");
  let cachedToken: { value: string | null; at: number } | null = null;
  return {
    config,
    maxMessageBytes: Number(process.env.GANTRY_SQS_MAX_BYTES ?? 262144),
    syncWindowMs: Number(process.env.GANTRY_SYNC_WINDOW_MS ?? 25000),
    async token() {
      const arn = process.env.GANTRY_TOKEN_SECRET_ARN;
      if (!arn) return null;
      if (cachedToken && Date.now() - cachedToken.at < 300_000) return cachedToken.value;
      try {
        const out = await secrets.send(new GetSecretValueCommand({ SecretId: arn }));
        cachedToken = { value: out.SecretString ?? null, at: Date.now() };
      } catch {
        cachedToken = { value: null, at: Date.now() }; // no value set yet: every private request is refused
      }
      return cachedToken.value;
    },
    async send(body) {
      await sqs.send(new SendMessageCommand({ QueueUrl: env("GANTRY_QUEUE_URL"), MessageBody: body }));
    },
    async putInput(key, body) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: "application/json" }));
    },
    async result(callId) {
      const out = await ddb.send(new GetItemCommand({ TableName: env("GANTRY_RESULTS_TABLE"), Key: { callId: { S: callId } }, ConsistentRead: true }));
      const item = out.Item;
      if (!item?.status?.S || item.status.S === "pending") return null;
      let value: unknown = null;
      if (item.resultKey?.S) {
        const obj = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: item.resultKey.S }));
        value = JSON.parse(await obj.Body!.transformToString());
      } else if (item.value?.S) value = JSON.parse(item.value.S);
      const error = item.error?.S ? (JSON.parse(item.error.S) as CallResult["error"]) : null;
      return { status: item.status.S === "ok" ? "ok" : "error", value, error };
    },
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    now: () => Date.now(),
    newId: () => randomUUID(),
  };
}

let live: ((event: APIGatewayProxyEventV2) => Promise<Response>) | null = null;
export const handler = async (event: APIGatewayProxyEventV2): Promise<Response> => {
  live ??= createHandler(awsDeps());
  return live(event);
};
