/**
 * Least privilege of the call state, proved on the plan: the policies `gantry synth` plans for a
 * fixture app (../fixtures/apps/scope: `caller` calls `blob`, `other` runs on a schedule, `hook`
 * is a web endpoint, the Dict `ledger` is used by `caller` through a helper, `notes` by `other`)
 * are evaluated with an IAM evaluator (iam-eval.ts), not read as strings:
 * - a declaration reaches the results, inputs and result objects of the calls made to it and of
 *   the calls it made, and of no other call; the Dicts and Queues its code uses, and no other;
 * - the gateway reaches its own calls to the units with endpoints; a schedule's call is the
 *   scheduled function's to record;
 * - every command the runtime really sends (a worker and a caller over dynalite, s3rver and the
 *   SQS stand-in: large arguments and results, retries, a cancel, a Dict) is allowed by the plan's
 *   policy of the role that sends it, and the same commands sent by another declaration's role
 *   are denied.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { analyzeApp } from "../../../synth/index.ts";
import type { AppSpec } from "../../../synth/spec.ts";
import { planOf, type PlanView } from "../plan-view.ts";
import { allows, evaluate, requestsOf, type Policy, type Request } from "./iam-eval.ts";
import { keyName, newCallId, parseCallId, scheduleCallId, unitOfKeyName } from "../../../runtime/aws/call-keys.ts";
import { AwsInvoker } from "../../../runtime/aws/invoker.ts";
import { scheduleMessage } from "../../../provider/aws/schedule.ts";
import { callerPolicy } from "../../../provider/aws/caller-policy.ts";
import { unitsOf } from "../../../provider/aws/units.ts";
import { parseMessage } from "../../../runtime/aws/wire.ts";
import { startLocalAws, BUCKET, RESULTS_TABLE, type LocalAws } from "../../runtime/aws/fixtures/local-aws.ts";
import { startWorker, type WorkerRun } from "../../runtime/aws/fixtures/worker-harness.ts";
import { Recorder, type Recorded } from "../../runtime/aws/fixtures/recorder.ts";
import { eventually } from "../../runtime/aws/fixtures/fleet.ts";
import { GetCommand } from "@aws-sdk/lib-dynamodb";

const FIXTURE = fileURLToPath(new URL("../fixtures/apps/scope/app.ts", import.meta.url));
const ACCOUNT = "000000000000";
const REGION = "us-east-1";

let spec: AppSpec;
let view: PlanView;
before(async () => {
  const analysis = analyzeApp(FIXTURE);
  assert.deepEqual(analysis.diagnostics, []);
  spec = analysis.spec!;
  view = await planOf(spec);
});

const policy = (role: string): Policy => JSON.parse(view.inputs("aws:iam/rolePolicy:RolePolicy", { name: role }).policy as string);
const tableArn = (logical: string) => `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${logical}`;
const results = () => tableArn(view.resource("aws:dynamodb/table:Table", { name: /results/ }).name);
const dict = (name: string) => tableArn(view.resource("aws:dynamodb/table:Table", { declaration: `dict:${name}` }).name);
const bucket = () => `arn:aws:s3:::${view.resource("aws:s3/bucket:Bucket", { name: /payloads/ }).name}`;

/** Whether `role` may act on the results item keyed `callId` (several ids: one BatchGetItem). */
const onItem = (role: string, action: string, ...callIds: string[]) =>
  allows(policy(role), { action: `dynamodb:${action}`, resource: results(), context: { "dynamodb:LeadingKeys": callIds } });
const onObject = (role: string, action: string, key: string) => allows(policy(role), { action: `s3:${action}`, resource: `${bucket()}/${key}` });

const ITEM_WRITES = ["PutItem", "UpdateItem"];
const ITEM_READS = ["GetItem", "BatchGetItem"];

describe("results: a declaration reaches the calls made to it and the calls it made", () => {
  const toBlob = () => newCallId("blob", "caller");
  const otherCall = () => scheduleCallId("other", "2026-12-07T23:00:00Z");

  it("the callee claims, counts and ends a call made to it; the caller cannot write a result, only cancel (UpdateItem)", () => {
    const id = toBlob();
    for (const a of [...ITEM_READS, ...ITEM_WRITES]) assert.ok(onItem("blob-task", a, id), `blob ${a}`);
    for (const a of [...ITEM_READS, "UpdateItem"]) assert.ok(onItem("caller-task", a, id), `caller ${a}`);
    assert.ok(!onItem("caller-task", "PutItem", id), "the caller cannot put a result");
  });

  it("another declaration cannot read or write it", () => {
    const id = toBlob();
    for (const role of ["other-task", "hook-task", "svc-task"]) {
      for (const a of [...ITEM_READS, ...ITEM_WRITES, "DeleteItem"]) assert.ok(!onItem(role, a, id), `${role} ${a}`);
    }
  });

  it("the caller cannot reach another declaration's calls, nor calls others made to its callee", () => {
    for (const id of [otherCall(), newCallId("blob", "other"), newCallId("blob", "@web"), newCallId("svc", "hook"), newCallId("Svc", "hook")]) {
      for (const a of [...ITEM_READS, ...ITEM_WRITES]) assert.ok(!onItem("caller-task", a, id), `caller ${a} ${id}`);
    }
    // the callee handles every call made to it, and nothing it did not receive
    assert.ok(onItem("blob-task", "PutItem", newCallId("blob", "other")));
    assert.ok(!onItem("blob-task", "PutItem", newCallId("caller", "blob")), "blob cannot end calls made to caller");
  });

  it("a batch read is allowed only when every key in it is (ForAllValues)", () => {
    assert.ok(onItem("caller-task", "BatchGetItem", toBlob(), toBlob(), newCallId("Svc", "caller")));
    assert.ok(!onItem("caller-task", "BatchGetItem", toBlob(), otherCall()));
  });

  it("ids of the old form, or naming nobody, are nobody's", () => {
    for (const id of ["fc-3f2a", "sched-other-2026-12-07T23:00:00Z", "blob"]) {
      for (const role of ["blob-task", "caller-task", "other-task", "svc-task"]) {
        for (const a of ["GetItem", "PutItem", "UpdateItem"]) assert.ok(!onItem(role, a, id), `${role} ${a} ${id}`);
      }
    }
  });

  it("a schedule's call is the scheduled function's to record, whatever time the Scheduler fills in", () => {
    const message = parseMessage(scheduleMessage("other").replaceAll("<aws.scheduler.scheduled-time>", "2026-12-07T23:00:00Z"));
    assert.equal(message.callId, otherCall());
    for (const a of [...ITEM_READS, ...ITEM_WRITES]) assert.ok(onItem("other-task", a, message.callId), a);
    for (const role of ["caller-task", "blob-task", "hook-task"]) assert.ok(!onItem(role, "GetItem", message.callId), role);
  });

  it("the web gateway reads its own calls to units with endpoints, nothing else", () => {
    assert.ok(onItem("gantry-gateway", "GetItem", newCallId("hook", "@web")));
    assert.ok(onItem("gantry-gateway", "BatchGetItem", newCallId("hook", "@web"), newCallId("hook", "@web")));
    for (const id of [newCallId("hook", "caller"), newCallId("blob", "@web"), toBlob()]) assert.ok(!onItem("gantry-gateway", "GetItem", id), id);
    assert.ok(!onItem("gantry-gateway", "PutItem", newCallId("hook", "@web")));
    assert.ok(onItem("hook-task", "PutItem", newCallId("hook", "@web")), "the endpoint's worker ends the gateway's call");
  });

  it("a Function.fromName caller (--caller-policy) reaches the external calls of its function only", () => {
    const units = unitsOf(spec);
    const ext = callerPolicy({ app: spec.app.name, stack: "dev", units, unit: units.find((u) => u.id === "blob")!, region: REGION, account: ACCOUNT });
    const tags = view.inputs("aws:dynamodb/table:Table", { name: /results/ }).tags as Record<string, string>;
    const table = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${view.resource("aws:dynamodb/table:Table", { name: /results/ }).name}-1a2b3c4`;
    const context = (id: string) => ({ "dynamodb:LeadingKeys": [id], ...Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:ResourceTag/${k}`, v])) });
    assert.ok(allows(ext, { action: "dynamodb:GetItem", resource: table, context: context(newCallId("blob", "@ext")) }));
    for (const id of [toBlob(), newCallId("Svc", "@ext"), newCallId("blob", "@web")]) {
      assert.ok(!allows(ext, { action: "dynamodb:GetItem", resource: table, context: context(id) }), id);
    }
  });
});

describe("payload objects: inputs written by the caller for the callee, results written by the callee for the caller", () => {
  const id = newCallId("blob", "caller");
  const input = `inputs/caller/blob/${id}`;
  const result = `results/blob/caller/${id}/1-d1`;

  it("caller writes the input, blob reads and deletes it; blob writes the result, caller reads it", () => {
    assert.ok(onObject("caller-task", "PutObject", input));
    assert.ok(onObject("blob-task", "GetObject", input) && onObject("blob-task", "DeleteObject", input));
    assert.ok(onObject("blob-task", "PutObject", result));
    assert.ok(onObject("caller-task", "GetObject", result));
  });

  it("neither can do the other's half, and no third declaration can do either", () => {
    assert.ok(!onObject("caller-task", "PutObject", result), "the caller cannot forge a result");
    assert.ok(!onObject("blob-task", "PutObject", input), "the callee cannot rewrite its input");
    assert.ok(!onObject("caller-task", "DeleteObject", input));
    for (const role of ["other-task", "hook-task", "svc-task", "gantry-gateway"]) {
      for (const [a, key] of [["GetObject", input], ["PutObject", input], ["DeleteObject", input], ["GetObject", result], ["PutObject", result]] as const) {
        assert.ok(!onObject(role, a, key), `${role} ${a} ${key}`);
      }
    }
  });

  it("the caller cannot read inputs or results of others' calls to its callee", () => {
    const theirs = newCallId("blob", "other");
    assert.ok(!onObject("caller-task", "GetObject", `inputs/other/blob/${theirs}`));
    assert.ok(!onObject("caller-task", "GetObject", `results/blob/other/${theirs}/1-d1`));
    assert.ok(!onObject("caller-task", "PutObject", `inputs/other/blob/${theirs}`));
  });
});

describe("Dicts and Queues: only the declarations whose code uses them", () => {
  it("the analysis ties each use to its declarations (through a helper in another file too)", () => {
    assert.deepEqual(spec.dicts.map((d) => [d.name, d.usedBy]), [["ledger", ["caller"]], ["notes", ["other"]]]);
    assert.deepEqual(spec.queues.map((q) => [q.name, q.usedBy]), [["jobs", ["other"]]]);
  });

  it("caller reaches ledger and not notes; other reaches notes and not ledger; the rest neither", () => {
    const on = (role: string, action: string, table: string) => allows(policy(role), { action: `dynamodb:${action}`, resource: table, context: { "dynamodb:LeadingKeys": ["k"] } });
    for (const a of ["GetItem", "PutItem", "UpdateItem", "DeleteItem", "Scan"]) {
      assert.ok(on("caller-task", a, dict("ledger")), `caller ${a} ledger`);
      assert.ok(on("other-task", a, dict("notes")), `other ${a} notes`);
      assert.ok(!on("caller-task", a, dict("notes")), `caller ${a} notes`);
      assert.ok(!on("other-task", a, dict("ledger")), `other ${a} ledger`);
      for (const role of ["blob-task", "hook-task", "svc-task", "gantry-gateway"]) {
        assert.ok(!on(role, a, dict("ledger")) && !on(role, a, dict("notes")), `${role} ${a}`);
      }
    }
    const jobs = `arn:aws:sqs:${REGION}:${ACCOUNT}:${view.resource("aws:sqs/queue:Queue", { declaration: "queue:jobs" }).name}`;
    assert.ok(allows(policy("other-task"), { action: "sqs:SendMessage", resource: jobs }));
    assert.ok(!allows(policy("caller-task"), { action: "sqs:SendMessage", resource: jobs }));
  });

  it("a Dict used outside any declaration's code, or in a file imported as a namespace, is every declaration's (the analysis never narrows a use it cannot place)", () => {
    const loose = analyzeApp(fileURLToPath(new URL("../fixtures/apps/scope/loose-app.ts", import.meta.url)));
    assert.deepEqual(loose.diagnostics, []);
    assert.deepEqual(loose.spec!.dicts.map((d) => [d.name, d.usedBy]), [["everywhere", undefined], ["inner", ["b"]], ["tally", undefined], ["unused", []]]);
  });
});

describe("key names", () => {
  it("unit ids with separators or wildcards (a variant's JSON) get names with neither, one to one", () => {
    const variant = 'Model[gpu={"count":2,"type":"A100"}]';
    const name = keyName(variant);
    assert.doesNotMatch(name, /[:*?/$@]/);
    assert.notEqual(keyName("a:b"), keyName("a~3Ab"));
    const id = newCallId(variant, "caller");
    assert.deepEqual({ ...parseCallId(id), local: undefined }, { callee: name, caller: "caller", local: undefined });
  });

  it("a key name gives back its unit id (FunctionCall.fromId finds the unit in the id)", () => {
    for (const unit of ['Model[gpu={"count":2,"type":"A100"}]', "embed", "a~3Ab", "a:b", "ünïcode/模型", "x*y?$z@"]) {
      assert.equal(unitOfKeyName(keyName(unit)), unit);
      assert.equal(unitOfKeyName(parseCallId(newCallId(unit, "@ext"))!.callee), unit);
    }
  });
});

describe("what the runtime sends is what the plan allows, for the role that sends it", () => {
  let aws: LocalAws;
  const runs: WorkerRun[] = [];
  before(async () => {
    aws = await startLocalAws();
  });
  after(async () => {
    for (const w of runs) await w.stop();
    await aws?.stop();
  });

  /** The requests of a command, on the plan's ARNs instead of the local servers' names. */
  function planRequestsOf(service: string, action: string, input: Record<string, any>, names: Record<string, string>): Array<{ r: Request; what: string }> {
    return requestsOf(action, input, { region: REGION, account: ACCOUNT }).map((r) => {
      let resource = r.resource
        .replace(`:table/${RESULTS_TABLE}`, results().slice(results().indexOf(":table/")))
        .replace(`arn:aws:s3:::${BUCKET}/`, `${bucket()}/`);
      for (const [local, plan] of Object.entries(names)) if (resource.endsWith(local)) resource = plan;
      return { r: { ...r, resource }, what: `${service} ${action} ${resource} ${JSON.stringify(r.context?.["dynamodb:LeadingKeys"] ?? "")}` };
    });
  }

  function planRequests(log: Recorded[], queues: Record<string, string>, dicts: Record<string, string>): Array<{ r: Request; what: string }> {
    return log.flatMap((entry) => planRequestsOf(entry.service, entry.action, entry.input, { ...queues, ...dicts }));
  }

  /** A client that refuses, as AWS would (AccessDeniedException), what the plan's policy of `role` does not allow. */
  const enforced = (role: string, service: string, client: { send(c: any): Promise<any> }) => ({
    async send(command: { input: Record<string, any>; constructor: { name: string } }) {
      for (const { r, what } of planRequestsOf(service, command.constructor.name, command.input, {})) {
        if (!allows(policy(role), r)) throw Object.assign(new Error(`User: ${role} is not authorized to perform: ${r.action} (${what})`), { name: "AccessDeniedException" });
      }
      return client.send(command);
    },
  });

  const queueArn = (logical: string) => `arn:aws:sqs:${REGION}:${ACCOUNT}:${logical}`;
  const localName = (url: string) => new URL(url).pathname.split("/").pop()!;

  it("a worker (large inputs and results, retries, a cancel) and its caller (with a Dict): every request allowed; as another role, denied", async () => {
    const blob = await startWorker(aws, { kind: "function", name: "blob", resultInlineBytes: 1024 });
    const svc = await startWorker(aws, { kind: "class", name: "Svc", retries: { maxRetries: 2, initialDelay: 0 }, cancelPollMs: 200 });
    runs.push(blob, svc);
    const ledger = await aws.createDictTable("scope-ledger");
    const rec = new Recorder();
    // each worker has its own SQS stand-in: the caller's SQS client routes by queue URL
    const sqs = { send: (command: { input: { QueueUrl?: string } }) => (command.input.QueueUrl === blob.queueUrl ? blob.standIn : svc.standIn).send(command as never) };
    const caller = new AwsInvoker({
      config: { caller: "caller", queues: { blob: blob.queueUrl, Svc: svc.queueUrl }, resultsTable: RESULTS_TABLE, bucket: BUCKET, maxMessageBytes: 4096, resultTtlDays: 7, dicts: { ledger } },
      clients: { sqs: rec.wrap("sqs", sqs), ddb: rec.wrap("ddb", aws.clients.ddb), s3: rec.wrap("s3", aws.clients.s3) },
      waker: null,
    });

    const out = (await caller.remote({ app: "scope-demo", name: "blob" }, [new Uint8Array(8000), 5000])) as Uint8Array;
    assert.equal(out.byteLength, 5000);
    assert.equal(await caller.remote({ app: "scope-demo", name: "Svc", method: "failTimes" }, ["scope", 2]), 3);
    const held = await caller.spawn({ app: "scope-demo", name: "Svc", method: "hold" }, [2000]);
    await eventually(() => svc.rec.calls("Update", "ddb").some((u) => u.input.Key.callId === held), "the held call to start");
    await caller.cancel(held);
    await assert.rejects(caller.result(held, {}), (e: Error) => e.name === "InputCancelledError");
    await caller.dict("ledger").put("last", 5);
    assert.deepEqual(await caller.dict("ledger").get("last"), { found: true, value: 5 });
    await eventually(() => blob.rec.calls("DeleteObject", "s3").length === 1, "the input object to be removed");
    await eventually(() => svc.rec.calls("BatchGet", "ddb").length > 0, "a cancellation poll");

    const queues = {
      [localName(blob.queueUrl)]: queueArn("blob-queue"), [localName(blob.dlqUrl)]: queueArn("blob-dlq"),
      [localName(svc.queueUrl)]: queueArn("svc-queue"), [localName(svc.dlqUrl)]: queueArn("svc-dlq"),
    };
    const dicts = { [`:table/${ledger}`]: dict("ledger") };
    const sent = {
      "blob-task": planRequests(blob.rec.log, queues, dicts),
      "svc-task": planRequests(svc.rec.log, queues, dicts),
      "caller-task": planRequests(rec.log, queues, dicts),
    };
    const actions = (role: keyof typeof sent) => new Set(sent[role].map((x) => x.r.action));
    for (const a of ["dynamodb:UpdateItem", "dynamodb:PutItem", "s3:GetObject", "s3:DeleteObject", "s3:PutObject", "sqs:ReceiveMessage", "sqs:DeleteMessage"]) assert.ok(actions("blob-task").has(a), `blob sent ${a}`);
    for (const a of ["dynamodb:BatchGetItem", "sqs:ChangeMessageVisibility"]) assert.ok(actions("svc-task").has(a), `Svc sent ${a}`);
    for (const a of ["sqs:SendMessage", "s3:PutObject", "s3:GetObject", "dynamodb:UpdateItem", "dynamodb:PutItem"]) assert.ok(actions("caller-task").has(a), `caller sent ${a}`);
    assert.ok(actions("caller-task").has("dynamodb:BatchGetItem") || actions("caller-task").has("dynamodb:GetItem"));

    for (const [role, requests] of Object.entries(sent)) {
      for (const { r, what } of requests) assert.equal(evaluate(policy(role), r), "allowed", `${role}: ${what}`);
    }
    // the same call-state requests from another declaration's role: refused, every one
    for (const [role, requests] of Object.entries(sent)) {
      const callState = requests.filter(({ r }) => r.resource === results() || r.resource.startsWith(`${bucket()}/`) || r.resource === dict("ledger"));
      assert.ok(callState.length > 0);
      for (const { r, what } of callState) assert.notEqual(evaluate(policy("other-task"), r), "allowed", `other-task as ${role}: ${what}`);
    }
  });
  it("under the plan's policy enforced on every DynamoDB and S3 command, a call of the new form runs and one of the old form is dead-lettered, never retried forever", async () => {
    const w = await startWorker(aws, { kind: "class", name: "Svc", guard: (service, client) => (service === "sqs" ? client : enforced("svc-task", service, client)) });
    runs.push(w);
    const fresh = newCallId("Svc", "caller");
    for (const callId of ["fc-before-the-upgrade", fresh]) {
      await w.standIn.handle("SendMessage", { QueueUrl: w.queueUrl, MessageBody: JSON.stringify({ v: 1, kind: "call", callId, function: "Svc", method: "work", encoding: "json", args: [4], enqueuedAt: Date.now() }) });
    }
    await eventually(async () => (await aws.clients.ddb.send(new GetCommand({ TableName: RESULTS_TABLE, Key: { callId: fresh }, ConsistentRead: true }))).Item?.status === "ok", "the new call's result");
    await eventually(() => w.transport.stats.deadLettered === 1, "the old call to be dead-lettered");
    const dlq = w.standIn.queueNamed(localName(w.dlqUrl));
    assert.equal(JSON.parse(dlq.messages[0].body).callId, "fc-before-the-upgrade");
    assert.match(dlq.messages[0].attributes["gantry.error"].StringValue!, /does not name Svc as its callee/);
    assert.ok(w.rec.log.some((e) => e.error?.name === "AccessDeniedException"), "the claim of the old call was refused");
    assert.equal((await aws.clients.ddb.send(new GetCommand({ TableName: RESULTS_TABLE, Key: { callId: "fc-before-the-upgrade" }, ConsistentRead: true }))).Item, undefined);
  });
  it("a caller under its role's policy: its own calls resolve, a call another declaration made is refused with a clear error, and does not hold up the others", async () => {
    const w = await startWorker(aws, { kind: "class", name: "Svc" });
    runs.push(w);
    const caller = new AwsInvoker({
      config: { caller: "caller", queues: { Svc: w.queueUrl }, resultsTable: RESULTS_TABLE, bucket: BUCKET, maxMessageBytes: 262_144, resultTtlDays: 7 },
      clients: { sqs: w.standIn, ddb: enforced("caller-task", "ddb", aws.clients.ddb), s3: enforced("caller-task", "s3", aws.clients.s3) },
      waker: null,
    });
    // a call `other` made (as its worker would find it: another declaration's item)
    const theirs = newCallId("Svc", "other");
    await w.invoker.enqueue({ app: "scope-demo", name: "Svc", method: "work" }, [1], "test", theirs);
    const mine = caller.map({ app: "scope-demo", name: "Svc", method: "work" }, (async function* () { for (const x of [1, 2, 3]) yield [x]; })(), { returnExceptions: false, orderOutputs: true });
    const [refused, got] = await Promise.allSettled([caller.result(theirs, {}), (async () => { const out: unknown[] = []; for await (const v of mine) out.push(v); return out; })()]);
    assert.equal(refused.status, "rejected");
    assert.match(((refused as PromiseRejectedResult).reason as Error).message, new RegExp(`call ${theirs}: this process may not read its result`));
    assert.deepEqual((got as PromiseFulfilledResult<unknown[]>).value, [10, 20, 30]);
    await assert.rejects(caller.cancel(theirs), /may not cancel it/);
  });
});
