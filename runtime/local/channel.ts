/**
 * Message framing over the pipe between the supervisor and a container: each frame is a 4-byte
 * big-endian length followed by one msgpack-encoded control message. User payloads travel inside
 * messages as opaque byte strings (packed by serialize.ts), so the supervisor never decodes them.
 * Writes made in the same tick are coalesced into one syscall (cork/uncork).
 */
import type { Duplex } from "node:stream";
import { Packr } from "msgpackr";

const control = new Packr({ useRecords: false, moreTypes: false });

export class Channel<In, Out> {
  private buffered: Buffer[] = [];
  private bufferedLength = 0;
  private corked = false;
  private closed = false;
  private closeHandlers: Array<(err?: Error) => void> = [];

  constructor(private readonly stream: Duplex, private readonly onMessage: (message: In) => void) {
    stream.on("data", (chunk: Buffer) => this.read(chunk));
    stream.on("error", (err) => this.close(err));
    stream.on("close", () => this.close());
    stream.on("end", () => this.close());
  }

  send(message: Out): boolean {
    if (this.closed) return false;
    const body = control.pack(message);
    const header = Buffer.allocUnsafe(4);
    header.writeUInt32BE(body.length, 0);
    if (!this.corked) {
      this.corked = true;
      this.stream.cork();
      process.nextTick(() => {
        this.corked = false;
        this.stream.uncork();
      });
    }
    this.stream.write(header);
    this.stream.write(body);
    return true;
  }

  onClose(handler: (err?: Error) => void): void {
    if (this.closed) handler();
    else this.closeHandlers.push(handler);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  end(): void {
    if (!this.closed) this.stream.end();
  }

  destroy(): void {
    this.stream.destroy();
    this.close();
  }

  private close(err?: Error): void {
    if (this.closed) return;
    this.closed = true;
    for (const h of this.closeHandlers.splice(0)) h(err);
  }

  private read(chunk: Buffer): void {
    this.buffered.push(chunk);
    this.bufferedLength += chunk.length;
    while (this.bufferedLength >= 4) {
      let head = this.buffered[0];
      if (head.length < 4) {
        head = Buffer.concat(this.buffered);
        this.buffered = [head];
      }
      const length = head.readUInt32BE(0);
      if (this.bufferedLength < 4 + length) return;
      const all = this.buffered.length === 1 ? head : Buffer.concat(this.buffered, this.bufferedLength);
      const frame = all.subarray(4, 4 + length);
      const rest = all.subarray(4 + length);
      this.buffered = rest.length ? [rest] : [];
      this.bufferedLength = rest.length;
      let message: In;
      try {
        message = control.unpack(frame) as In;
      } catch (err) {
        this.stream.destroy(err as Error);
        return;
      }
      this.onMessage(message);
    }
  }
}
