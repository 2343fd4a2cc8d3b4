/**
 * The last words of an AWS container that one of its inputs is ending (it called `process.exit`,
 * or blocked the event loop past its timeout): run in a helper process, started by
 * `AwsTransport.endContainer` with GANTRY_LAST_WORDS=1 while the dying container waits, because
 * the container's own event loop cannot run any more. It takes over the container's deliveries
 * and applies the usual rules (runtime/delivery.ts): the culprit's failure is stored (a retry
 * after the backoff, or the call's result), the other inputs are released uncharged.
 */
import { createClients } from "./clients.ts";
import { workerConfigFromEnv } from "./config.ts";
import { AwsTransport, type LastWords } from "./transport.ts";

export async function speakLastWords(words: LastWords, transport: AwsTransport): Promise<void> {
  transport.adopt([words.culprit, ...words.innocent]);
  const input = (d: LastWords["culprit"]) => ({ id: d.id, callId: d.message.callId, method: d.message.method, payload: new Uint8Array(), attempt: d.attempt });
  await transport.complete(input(words.culprit), { status: "error", error: Buffer.from(words.error, "base64"), timedOut: words.timedOut });
  await transport.handBack(words.innocent.map(input));
  await transport.close();
}

/** The helper process's entry (runtime/container/main.ts calls it when GANTRY_LAST_WORDS=1). */
export async function lastWordsFromStdin(): Promise<never> {
  let text = "";
  for await (const chunk of process.stdin) text += chunk;
  try {
    await speakLastWords(JSON.parse(text) as LastWords, new AwsTransport({ config: workerConfigFromEnv(), clients: createClients() }));
    process.exit(0);
  } catch (err) {
    process.stderr.write(`${JSON.stringify({ level: 50, time: new Date().toISOString(), msg: "last words failed", error: String((err as Error)?.stack ?? err) })}\n`);
    process.exit(1);
  }
}
