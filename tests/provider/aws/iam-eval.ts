/**
 * A small IAM identity-policy evaluator for tests, and the IAM requests the SDK commands the
 * runtime sends stand for. It implements what gantry's policies use, with IAM's rules
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):
 * - an explicit Deny wins, else some Allow must match, else the request is denied;
 * - Action and Resource: `*` any run of characters, `?` any one, case-insensitive for actions;
 * - Condition: every operator block must hold, every key in it, a key's values OR'ed;
 *   StringEquals / StringLike, their `IfExists` forms (true when the key is absent), and the
 *   `ForAllValues:` (every request value matches some pattern; true when the key is absent or
 *   empty) and `ForAnyValue:` (some request value matches) set operators. An operator it does not
 *   know makes it throw, never guess.
 */

export interface Statement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface Policy {
  Statement: Statement[];
}

export interface Request {
  action: string;
  resource: string;
  /** condition keys of the request: `dynamodb:LeadingKeys`, `aws:ResourceTag/gantry:app`, … */
  context?: Record<string, string | string[]>;
}

const list = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

/** IAM's wildcard match: `*` any run of characters (`/` and `:` included), `?` any one. */
export function wildcard(pattern: string, value: string, ignoreCase = false): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\/]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${source}$`, ignoreCase ? "is" : "s").test(value);
}

function conditionHolds(operator: string, key: string, wanted: string[], context: Request["context"] = {}): boolean {
  const present = Object.hasOwn(context, key);
  const values = present ? list(context[key]) : [];
  const [set, base] = operator.includes(":") ? operator.split(":") as [string, string] : [null, operator];
  const ifExists = base.endsWith("IfExists");
  const op = ifExists ? base.slice(0, -"IfExists".length) : base;
  const one = (value: string) => wanted.some((w) => (op === "StringEquals" ? w === value : op === "StringLike" ? wildcard(w, value) : unknown(operator)));
  if (op !== "StringEquals" && op !== "StringLike") unknown(operator);
  if (set === "ForAllValues") return values.every(one);
  if (set === "ForAnyValue") return values.some(one);
  if (set !== null) unknown(operator);
  if (!present) return ifExists;
  if (values.length !== 1) throw new Error(`${operator} on ${key}: a single-valued operator given ${values.length} values`);
  return one(values[0]);
}

function unknown(operator: string): never {
  throw new Error(`the test evaluator does not implement the condition operator ${operator}`);
}

function statementMatches(s: Statement, r: Request): boolean {
  if (!list(s.Action).some((a) => wildcard(a, r.action, true))) return false;
  if (!list(s.Resource).some((p) => wildcard(p, r.resource))) return false;
  return Object.entries(s.Condition ?? {}).every(([operator, keys]) =>
    Object.entries(keys).every(([key, wanted]) => conditionHolds(operator, key, list(wanted), r.context)));
}

export type Decision = "allowed" | "explicitly denied" | "implicitly denied";

export function evaluate(policies: Policy | Policy[], r: Request): Decision {
  const statements = list(policies).flatMap((p) => p.Statement);
  if (statements.some((s) => s.Effect === "Deny" && statementMatches(s, r))) return "explicitly denied";
  return statements.some((s) => s.Effect === "Allow" && statementMatches(s, r)) ? "allowed" : "implicitly denied";
}

export const allows = (policies: Policy | Policy[], r: Request): boolean => evaluate(policies, r) === "allowed";

export interface AwsPlace {
  region: string;
  account: string;
  /** tags of the resource a command is sent to, as `aws:ResourceTag/<k>` context */
  tags?: Record<string, string>;
}

/**
 * The IAM requests one SDK command is authorized as (`command`: the command class's name, with or
 * without `Command`; DynamoDB commands in their document-client form). Throws for a command it
 * has no mapping for, so a test cannot pass by skipping one.
 */
export function requestsOf(command: string, input: Record<string, any>, place: AwsPlace): Request[] {
  const name = command.replace(/Command$/, "");
  const { region, account } = place;
  const tags = Object.fromEntries(Object.entries(place.tags ?? {}).map(([k, v]) => [`aws:ResourceTag/${k}`, v]));
  const table = (t: string) => `arn:aws:dynamodb:${region}:${account}:table/${t}`;
  const queue = (url: string) => `arn:aws:sqs:${region}:${account}:${new URL(url).pathname.split("/").pop()}`;
  const object = () => `arn:aws:s3:::${input.Bucket}/${input.Key}`;
  const item = (action: string, key: Record<string, unknown>) =>
    [{ action, resource: table(input.TableName), context: { ...tags, "dynamodb:LeadingKeys": [String(Object.values(key)[0])] } }];
  switch (name) {
    case "Get": return item("dynamodb:GetItem", input.Key);
    case "Put": return item("dynamodb:PutItem", { k: input.Item.callId ?? input.Item.key });
    case "Update": return item("dynamodb:UpdateItem", input.Key);
    case "Delete": return item("dynamodb:DeleteItem", input.Key);
    case "BatchGet": return Object.entries(input.RequestItems as Record<string, { Keys: Array<Record<string, unknown>> }>).map(([t, r]) => ({
      action: "dynamodb:BatchGetItem", resource: table(t), context: { ...tags, "dynamodb:LeadingKeys": r.Keys.map((k) => String(Object.values(k)[0])) },
    }));
    case "Scan": return [{ action: "dynamodb:Scan", resource: table(input.TableName), context: tags }];
    case "DescribeTable": return [{ action: "dynamodb:DescribeTable", resource: table(input.TableName), context: tags }];
    case "SendMessage":
    case "SendMessageBatch": return [{ action: "sqs:SendMessage", resource: queue(input.QueueUrl), context: tags }];
    case "ReceiveMessage": return [{ action: "sqs:ReceiveMessage", resource: queue(input.QueueUrl), context: tags }];
    case "DeleteMessage":
    case "DeleteMessageBatch": return [{ action: "sqs:DeleteMessage", resource: queue(input.QueueUrl), context: tags }];
    case "ChangeMessageVisibility":
    case "ChangeMessageVisibilityBatch": return [{ action: "sqs:ChangeMessageVisibility", resource: queue(input.QueueUrl), context: tags }];
    case "GetQueueAttributes": return [{ action: "sqs:GetQueueAttributes", resource: queue(input.QueueUrl), context: tags }];
    case "PutObject": return [{ action: "s3:PutObject", resource: object() }];
    case "GetObject": return [{ action: "s3:GetObject", resource: object() }];
    case "DeleteObject": return [{ action: "s3:DeleteObject", resource: object() }];
    case "DescribeTaskDefinition": return [{ action: "ecs:DescribeTaskDefinition", resource: "*" }];
    case "DescribeServices": return [{ action: "ecs:DescribeServices", resource: `arn:aws:ecs:${region}:${account}:service/${input.cluster}/${input.services?.[0]}`, context: tags }];
    case "UpdateService": return [{ action: "ecs:UpdateService", resource: `arn:aws:ecs:${region}:${account}:service/${input.cluster}/${input.service}`, context: tags }];
    default: throw new Error(`no IAM mapping for ${command}`);
  }
}
