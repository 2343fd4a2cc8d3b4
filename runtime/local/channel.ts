/**
 * Message framing over the pipe between the supervisor and a container: each frame is a 4-byte
 * big-endian length followed by one msgpack-encoded control message. User payloads travel inside
 * messages as opaque byte strings (packed by serialize.ts), so the supervisor never decodes them.
 * The first frame of a tick is written at once; later frames of the same tick are coalesced into
 * one syscall (cork/uncork).
 */
import { writeSync } from "node:fs";
import type { Duplex } from "node:stream";
import { Packr } from "msgpackr";

const control = new Packr({ useRecords: false, moreTypes: false });

export class Channel<In, Out> {
  private buffered: Buffer[] = [];
  private bufferedLength = 0;
  private corked = false;
  private inTick = false;
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
    const frame = Buffer.allocUnsafe(4 + body.length);
    frame.writeUInt32BE(body.length, 0);
    frame.set(body, 4);
    if (!this.inTick) {
      // the first message of a tick goes out at once (latency); later ones in the same tick are
      // corked and leave together in one writev when the tick ends (throughput)
      this.inTick = true;
      process.nextTick(this.endTick);
      this.stream.write(frame);
    } else {
      if (!this.corked) {
        this.corked = true;
        this.stream.cork();
      }
      this.stream.write(frame);
    }
    return true;
  }

  /**
   * Writes one message synchronously to the pipe's file descriptor, for a process about to die
   * (nothing else runs until it returns). False when a frame written before is still buffered:
   * writing now would interleave with it.
   */
  sendSync(message: Out, fd: number): boolean {
    if (this.closed) return false;
    if (this.corked) {
      this.corked = false;
      this.stream.uncork();
    }
    if (this.stream.writableLength > 0) return false;
    const body = control.pack(message);
    const frame = Buffer.allocUnsafe(4 + body.length);
    frame.writeUInt32BE(body.length, 0);
    frame.set(body, 4);
    // the pipe is non-blocking: a full pipe answers EAGAIN until the reader catches up
    for (let written = 0, tries = 0; written < frame.length;) {
      try {
        written += writeSync(fd, frame, written);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EAGAIN" || ++tries > 100_000) return false;
      }
    }
    return true;
  }

  private readonly endTick = () => {
    this.inTick = false;
    if (this.corked) {
      this.corked = false;
      this.stream.uncork();
    }
  };

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
