/**
 * What an AWS failure means for the person running a tool (gantry redrive / stop / start,
 * `Function.fromName(..., { stack })`): no credentials, credentials AWS refuses, or a missing
 * permission, named as the IAM action and resource that failed, never a stack trace.
 */

/** A failure the caller can act on; its message says what to do. */
export class AwsAccessError extends Error {
  override name = "AwsAccessError";
  constructor(message: string, readonly reason: "credentials" | "denied" | "region" | "missing") {
    super(message);
  }
}

const CREDENTIALS = "AWS credentials come from the default chain: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE (aws configure, aws sso login), or an instance/task role";
const DENIED = new Set(["AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError", "NotAuthorized"]);
const REJECTED = new Set(["UnrecognizedClientException", "InvalidClientTokenId", "InvalidSignatureException", "SignatureDoesNotMatch", "ExpiredToken", "ExpiredTokenException", "InvalidAccessKeyId"]);

/**
 * The AwsAccessError `err` stands for, when it is one; `action` is the IAM action of the call that
 * failed (`sqs:ReceiveMessage`), `resource` what it was called on.
 */
export function accessErrorOf(err: unknown, action: string, resource?: string): AwsAccessError | null {
  if (!(err instanceof Error)) return null;
  const name = err.name;
  const on = resource ? ` on ${resource}` : "";
  if (name === "CredentialsProviderError" || /could not load credentials/i.test(err.message)) {
    return new AwsAccessError(`no AWS credentials found (needed for ${action}${on}). ${CREDENTIALS}`, "credentials");
  }
  if (/region is missing/i.test(err.message)) {
    return new AwsAccessError("no AWS region: set AWS_REGION (or a region in your AWS profile), or pass --region", "region");
  }
  if (REJECTED.has(name)) {
    return new AwsAccessError(`AWS rejected the credentials (${name}: ${err.message}) while calling ${action}${on}. ${CREDENTIALS}`, "credentials");
  }
  if (DENIED.has(name) || /not authorized to perform/i.test(err.message)) {
    return new AwsAccessError(`permission missing: the caller may not call ${action}${on}; grant ${action} to it (AWS said: ${err.message})`, "denied");
  }
  return null;
}

/** Runs one AWS call; a credentials or permission failure becomes an AwsAccessError naming `action`. */
export async function attempt<T>(action: string, resource: string | undefined, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw accessErrorOf(err, action, resource) ?? err;
  }
}
