/**
 * One Redis connection as the transport uses it (node-redis, RESP2 so replies are plain arrays):
 * raw commands, replies as strings or as Buffers (arguments and results are bytes), Lua scripts by
 * SHA with a fallback to EVAL when the server does not know them (a restart, SCRIPT FLUSH), and
 * separate connections for blocking commands (XREADGROUP BLOCK, BLPOP hold a connection).
 */
import { createHash } from "node:crypto";
import { createClient, RESP_TYPES } from "redis";

export interface RedisConnectOptions {
  /** redis:// or rediss://; credentials may be in it, but a deployed unit gets them separately */
  url: string;
  username?: string;
  password?: string;
  /** CLIENT SETNAME, to tell connections apart in CLIENT LIST */
  name?: string;
  /**
   * Let the process exit while no command is in flight (a script that called `.remote()` ends when
   * it is done, without closing anything). Blocking connections hold the process while they wait.
   */
  unrefWhenIdle?: boolean;
  /** give up (the command or `open` rejects with the cause) after this many reconnects; default: never (a worker waits for its server) */
  maxReconnects?: number;
}

export type Arg = string | Buffer;
export type Reply = null | number | string | Buffer | Reply[];

const BUFFERS = { [RESP_TYPES.BLOB_STRING]: Buffer } as const;

export interface Script {
  name: string;
  source: string;
  sha: string;
}

export function script(name: string, source: string): Script {
  return { name, source, sha: createHash("sha1").update(source).digest("hex") };
}

type NodeRedis = ReturnType<typeof createClient>;

export class RedisConnection {
  private readonly clients = new Set<NodeRedis>();
  private closed = false;
  private inFlight = 0;

  private constructor(private readonly options: RedisConnectOptions, private readonly main: NodeRedis) {
    this.clients.add(main);
    if (options.unrefWhenIdle) main.unref();
  }

  static async open(options: RedisConnectOptions): Promise<RedisConnection> {
    const client = newClient(options);
    await client.connect();
    return new RedisConnection(options, client);
  }

  private send<T>(args: Arg[], buffers: boolean): Promise<T> {
    const p = this.main.sendCommand(args, buffers ? { typeMapping: BUFFERS } : undefined) as Promise<T>;
    if (!this.options.unrefWhenIdle) return p;
    if (this.inFlight++ === 0) this.main.ref();
    const done = () => {
      if (--this.inFlight === 0 && !this.closed) this.main.unref();
    };
    p.then(done, done);
    return p;
  }

  /** A command; bulk replies as strings. */
  cmd<T extends Reply = Reply>(args: Arg[]): Promise<T> {
    return this.send<T>(args, false);
  }

  /** A command; bulk replies as Buffers. */
  bytes<T extends Reply = Reply>(args: Arg[]): Promise<T> {
    return this.send<T>(args, true);
  }

  /** Runs a script by SHA (loading it on NOSCRIPT). */
  async run<T extends Reply = Reply>(s: Script, keys: string[], args: Arg[], options: { buffers?: boolean } = {}): Promise<T> {
    const send = (head: Arg[]) => this.send<T>([...head, String(keys.length), ...keys, ...args], options.buffers ?? false);
    try {
      return await send(["EVALSHA", s.sha]);
    } catch (err) {
      if (!String((err as Error)?.message).startsWith("NOSCRIPT")) throw err;
      return send(["EVAL", s.source]);
    }
  }

  /** A connection of its own for blocking commands; closed with this one. */
  async blocking(): Promise<BlockingConnection> {
    const client = newClient(this.options);
    await client.connect();
    this.clients.add(client);
    return {
      cmd: <T extends Reply = Reply>(args: Arg[], buffers = false) => client.sendCommand(args, buffers ? { typeMapping: BUFFERS } : undefined) as Promise<T>,
      close: async () => {
        if (!this.clients.delete(client)) return;
        client.destroy();
      },
      hold: (held: boolean) => void (held ? client.ref() : client.unref()),
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // blocking connections may sit in a BLOCK: destroy them; the main one finishes what it sent
    for (const c of this.clients) if (c !== this.main) c.destroy();
    this.clients.clear();
    await this.main.close().catch(() => this.main.destroy());
  }
}

export interface BlockingConnection {
  cmd<T extends Reply = Reply>(args: Arg[], buffers?: boolean): Promise<T>;
  close(): Promise<void>;
  /** false: an idle connection kept for later does not keep the process alive (true again before a wait) */
  hold(held: boolean): void;
}

function newClient(options: RedisConnectOptions): NodeRedis {
  const client = createClient({
    url: options.url,
    RESP: 2,
    ...(options.username ? { username: options.username } : {}),
    ...(options.password ? { password: options.password } : {}),
    ...(options.name ? { name: options.name } : {}),
    socket: {
      reconnectStrategy: (retries: number, cause: Error) =>
        options.maxReconnects !== undefined && retries >= options.maxReconnects ? cause : Math.min(50 * 2 ** retries, 2000),
    },
  });
  // node-redis emits connection errors here while it reconnects; commands still reject on their own
  client.on("error", () => {});
  return client as NodeRedis;
}

/** A reply as text (Buffers decoded as UTF-8). */
export function text(reply: Reply | undefined): string | null {
  if (reply === null || reply === undefined) return null;
  if (Buffer.isBuffer(reply)) return reply.toString("utf8");
  return String(reply);
}

export function int(reply: Reply | undefined): number {
  const n = Number(text(reply) ?? 0);
  return Number.isFinite(n) ? n : 0;
}
