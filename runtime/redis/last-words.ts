/**
 * The last words of a Redis container that one of its inputs is ending (it called `process.exit`,
 * or blocked the event loop past its timeout): run in a helper process, started by
 * `RedisTransport.endContainer` with GANTRY_LAST_WORDS=redis while the dying container waits (its
 * own event loop cannot run any more). Under the dying container's consumer name it applies the
 * usual rules (runtime/delivery.ts): the culprit's failure is stored (a retry after the backoff,
 * or the call's result), the other inputs are released uncharged.
 */
import { decodeContainerEnv } from "../contract.ts";
import { workerConfigOf } from "./config.ts";
import { RedisTransport, type RedisDelivery, type RedisLastWords } from "./transport.ts";

export async function speakLastWords(words: RedisLastWords, transport: RedisTransport): Promise<void> {
  transport.adopt([words.culprit, ...words.innocent]);
  const input = (d: RedisDelivery) => ({ id: d.id, callId: d.meta.callId, method: d.meta.method, payload: new Uint8Array(), attempt: d.attempt });
  await transport.complete(input(words.culprit), { status: "error", error: Buffer.from(words.error, "base64"), timedOut: words.timedOut });
  await transport.handBack(words.innocent.map(input));
  await transport.close();
}

/** The helper process's entry (runtime/container/main.ts calls it when GANTRY_LAST_WORDS=redis). */
export async function lastWordsFromStdin(): Promise<never> {
  let raw = "";
  for await (const chunk of process.stdin) raw += chunk;
  try {
    const words = JSON.parse(raw) as RedisLastWords;
    await speakLastWords(words, new RedisTransport({ config: workerConfigOf(decodeContainerEnv(process.env)), consumer: words.consumer }));
    process.exit(0);
  } catch (err) {
    process.stderr.write(`${JSON.stringify({ level: 50, time: new Date().toISOString(), msg: "last words failed", error: String((err as Error)?.stack ?? err) })}\n`);
    process.exit(1);
  }
}
