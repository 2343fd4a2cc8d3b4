/**
 * Call ids and payload keys that name who may touch them, so IAM can scope the call state by key
 * (provider/aws/iam.ts):
 *
 *   call id        `<callee>:<caller>:<local>`            e.g. `square:main:fc-3f2a…`
 *   input object   `inputs/<caller>/<callee>/<call id>`   written by the caller, read by the callee
 *   result object  `results/<callee>/<caller>/<call id>/<delivery>`  written by the callee, read by the caller
 *
 * The results table's partition key is the call id, so `dynamodb:LeadingKeys` `<self>:*` is "calls
 * made to me" (the worker claims and ends them) and `*:<self>:*` is "calls I made" (I wait for
 * them and may cancel them). Each object key starts with its writer, so every write is an exact
 * prefix (`results/<self>/*`); a reader's pattern has a wildcard before its own name
 * (`inputs/*\/<self>/*`), which matches no other object because names hold no `/`. In the same
 * way `*:<self>:*` matches no other call id because names hold no `:` (a schedule's local part,
 * an ISO time, does; no unit is named like its `00` or `2026-12-07T23`).
 *
 * Names in keys are `keyName(unit)`: unit ids may hold `:`, `*`, `?`, `/` or `$` (a variant id
 * carries JSON: `Model[gpu={"count":2,"type":"A100"}]`), which would be separators or IAM
 * wildcards; they are escaped as `~XX` (UTF-8 bytes, hex), `~` itself included, so the mapping is
 * one to one. Callers that are not a unit have a reserved name starting with `@`, a character
 * `keyName` always escapes, so no unit can take it.
 */
import { randomUUID } from "node:crypto";
import type { Encoding } from "./wire.ts";

/** The Lambda gateway (web endpoints). */
export const WEB_CALLER = "@web";
/** EventBridge Scheduler (a function's `schedule`). */
export const SCHEDULE_CALLER = "@sched";
/** A process outside the stack: `Function.fromName`, `Cls.fromName`, tools. */
export const EXTERNAL_CALLER = "@ext";

const RESERVED = new Set([WEB_CALLER, SCHEDULE_CALLER, EXTERNAL_CALLER]);
const KEPT = /[A-Za-z0-9_.\-[\]=,]/;

/** A unit id as it appears in call ids, object keys and IAM patterns (no separators, no wildcards). */
export function keyName(unit: string): string {
  let out = "";
  for (const ch of unit) {
    if (KEPT.test(ch)) out += ch;
    else for (const byte of Buffer.from(ch, "utf8")) out += `~${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** The unit id a keyName came from (`~XX` bytes decoded): keyName is one to one. */
export function unitOfKeyName(name: string): string {
  return Buffer.from(name.replace(/~([0-9A-F]{2})|([^~]+)/g, (_, hex: string | undefined, text: string | undefined) =>
    hex ? String.fromCharCode(parseInt(hex, 16)) : text!), "latin1").toString("utf8");
}

/** The name a caller identity takes in keys: a reserved `@…` identity as it is, a unit through keyName. */
export function callerKey(caller: string): string {
  return RESERVED.has(caller) ? caller : keyName(caller);
}

/** A fresh call id of `caller` (a unit id or a reserved `@…` identity) calling unit `callee`. */
export function newCallId(callee: string, caller: string, local = `fc-${randomUUID()}`): string {
  return `${keyName(callee)}:${callerKey(caller)}:${local}`;
}

/**
 * The call id a schedule's message carries: EventBridge Scheduler fills in the scheduled time, so
 * the two schedules of one cron (cron.ts) and the Scheduler's retries make one call.
 */
export function scheduleCallId(functionName: string, scheduledTime: string): string {
  return newCallId(functionName, SCHEDULE_CALLER, scheduledTime);
}

export interface CallKeyParts {
  /** keyName of the callee */
  callee: string;
  /** keyName of the caller, or a reserved `@…` identity */
  caller: string;
  local: string;
}

/** The parts of a call id of this scheme; null for any other string (an old `fc-…` id, a typo). */
export function parseCallId(callId: string): CallKeyParts | null {
  const first = callId.indexOf(":");
  const second = first < 0 ? -1 : callId.indexOf(":", first + 1);
  if (first <= 0 || second <= first + 1 || second === callId.length - 1) return null;
  return { callee: callId.slice(0, first), caller: callId.slice(first + 1, second), local: callId.slice(second + 1) };
}

/** `unit`'s part of an id of another form (a hand-made message): `~` is no key name, so it is nobody's object. */
function partsOf(callId: string, unit: string): CallKeyParts {
  return parseCallId(callId) ?? { callee: keyName(unit), caller: "~", local: callId };
}

const suffix = (encoding: Encoding) => (encoding === "json" ? ".json" : "");

/** Where the caller puts arguments too large for a message (`unit`: the callee). */
export function inputObjectKey(unit: string, callId: string, encoding: Encoding): string {
  const { callee, caller } = partsOf(callId, unit);
  return `inputs/${caller}/${callee}/${callId}${suffix(encoding)}`;
}

/** Where the callee `unit` puts a result too large for an item; per delivery, so a duplicate never overwrites the stored one. */
export function resultObjectKey(unit: string, callId: string, delivery: string, encoding: Encoding): string {
  const { callee, caller } = partsOf(callId, unit);
  return `results/${callee}/${caller}/${callId}/${delivery}${suffix(encoding)}`;
}

/**
 * The IAM patterns of one identity (a unit id or a reserved caller), shared by the provider's
 * policies and the tests that evaluate them. `*` is IAM's wildcard; keyName leaves none in a name.
 */
export function keyPatterns(identity: string) {
  const self = callerKey(identity);
  return {
    /** results-table keys of calls made to it (a reserved caller is never called) */
    callsTo: `${self}:*`,
    /** results-table keys of calls it made */
    callsMadeBy: `*:${self}:*`,
    /** results-table keys of the calls it made to `callee` */
    callsMadeTo: (callee: string) => `${keyName(callee)}:${self}:*`,
    /** input objects it writes (for any callee) */
    inputsWritten: `inputs/${self}/*`,
    /** input objects it writes for one callee */
    inputsWrittenFor: (callee: string) => `inputs/${self}/${keyName(callee)}/*`,
    /** input objects of calls made to it */
    inputsToRead: `inputs/*/${self}/*`,
    /** result objects it writes */
    resultsWritten: `results/${self}/*`,
    /** result objects of calls it made */
    resultsToRead: `results/*/${self}/*`,
    /** result objects of the calls it made to one callee */
    resultsToReadFrom: (callee: string) => `results/${keyName(callee)}/${self}/*`,
  };
}

/**
 * The IAM condition that keeps DynamoDB requests to items whose partition key (the call id) is
 * like one of `patterns`. `dynamodb:LeadingKeys` is the partition key of every item a request
 * names; it must be used with `ForAllValues`; GetItem, BatchGetItem, PutItem, UpdateItem,
 * DeleteItem and Query check it
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html).
 */
export function leadingKeys(patterns: string[]): Record<string, Record<string, string | string[]>> {
  return { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": patterns.length === 1 ? patterns[0] : [...patterns].sort() } };
}
