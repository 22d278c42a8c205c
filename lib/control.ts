// The control channel between a Process and its child: one non-blocking
// AF_UNIX stream socket (the child's fd 3) carrying frames of
//   uint32 little-endian length | v8.serialize(message)
// Internal: users talk through Pipe, Queue and the other objects.
import { deserialize, serialize } from 'node:v8';
import { checkV8Payload } from './v8-check.js';
import { OsipcError } from './errors.js';
import { EAGAIN, fdBinding } from './os/fd.js';
import { FdPoller, READABLE, WRITABLE } from './os/poller.js';

/**
 * Where drain() reads; what it keeps is copied out, so one buffer serves every
 * channel. Big enough that a pool's chunk of results (100 KiB and more) comes
 * in one read: one copy, not pieces to join.
 */
const readBuffer = Buffer.allocUnsafe(256 * 1024);

/** No honest frame is this big; a larger length means a broken peer. */
const MAX_FRAME = 1024 * 1024 * 1024;

export class ControlChannel {
  readonly fd: number;
  #poller: FdPoller | null;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #writing: Promise<void> = Promise.resolve();
  /** Writes waiting their turn (a later send must queue behind them). */
  #queued = 0;
  #eof = false;
  #reading = false;

  /** Takes ownership of `fd` (a non-blocking socket). The poller starts unref'd. */
  constructor(fd: number) {
    this.fd = fd;
    this.#poller = new FdPoller(fd);
    this.#poller.unref();
  }

  get closed(): boolean {
    return this.#poller === null;
  }

  /** Holds the event loop open while reading (or not, the default). */
  setRef(on: boolean): void {
    if (on) this.#poller?.ref();
    else this.#poller?.unref();
  }

  static frame(message: unknown): Buffer {
    const body = serialize(message);
    const head = Buffer.allocUnsafe(4);
    head.writeUInt32LE(body.length, 0);
    return Buffer.concat([head, body]);
  }

  /**
   * Sends one message (or a frame made by frame()); writes stay in order.
   * When no earlier write is waiting, the frame is written at once, in this
   * turn of the event loop (a worker waiting for it starts now, not after
   * whatever else this turn does); only what the socket cannot take yet waits.
   */
  send(message: unknown, preframed = false): Promise<void> {
    let frame: Buffer;
    let off = 0;
    try {
      frame = preframed ? (message as Buffer) : ControlChannel.frame(message);
      if (this.#queued === 0) {
        if (this.#poller === null) throw closedError();
        const n = fdBinding.write(this.fd, frame, 0, frame.length);
        if (n === frame.length) return Promise.resolve();
        if (n > 0) off = n;
      }
    } catch (err) {
      return Promise.reject(err);
    }
    this.#queued++;
    const next = this.#writing.then(() => this.#writeAll(frame, off)).finally(() => { this.#queued--; });
    this.#writing = next.catch(() => {});
    return next;
  }

  /**
   * Sends one message blocking this thread (for the last words of a child
   * whose event loop may not turn again). The socket is this process's alone.
   */
  sendSync(message: unknown): void {
    const frame = ControlChannel.frame(message);
    fdBinding.setNonBlocking(this.fd, false);
    try {
      for (let off = 0; off < frame.length;) off += fdBinding.write(this.fd, frame, off, frame.length - off);
    } finally {
      fdBinding.setNonBlocking(this.fd, true);
    }
  }

  /** Reads the first message, blocking this thread (the child's start message). */
  receiveSync(): unknown {
    fdBinding.setNonBlocking(this.fd, false);
    try {
      const head = this.#readExactlySync(4);
      const len = head.readUInt32LE(0);
      if (len > MAX_FRAME) throw protocolError(`frame of ${len} bytes`);
      return readMessage(this.#readExactlySync(len));
    } finally {
      fdBinding.setNonBlocking(this.fd, true);
    }
  }

  /**
   * Calls `onMessage` for every message as it arrives and `onEnd` once at end
   * of file (or on a read error, with it). Runs until close().
   */
  startReading(onMessage: (m: unknown) => void, onEnd: (err?: Error) => void): void {
    if (this.#reading) return;
    this.#reading = true;
    const loop = async (): Promise<void> => {
      try {
        for (;;) {
          if (this.drain(onMessage)) return onEnd();
          if (this.#poller === null) return;
          await this.#poller.wait(READABLE);
        }
      } catch (err) {
        if (this.#poller !== null) onEnd(err as Error);
      }
    };
    void loop();
  }

  /**
   * Reads whatever is there now without waiting, delivering whole messages.
   * Returns true at end of file.
   */
  drain(onMessage: (m: unknown) => void): boolean {
    if (this.#eof) return true;
    if (this.#poller === null) return true;
    const chunk = readBuffer;
    for (;;) {
      const n = fdBinding.read(this.fd, chunk, 0, chunk.length);
      if (n === -EAGAIN) break;
      if (n === 0) {
        this.#eof = true;
        break;
      }
      this.#pending.push(Buffer.from(chunk.subarray(0, n)));
      this.#pendingBytes += n;
    }
    this.#deliver(onMessage);
    return this.#eof;
  }

  /** Stops reading and closes the socket. Idempotent. */
  close(): void {
    if (this.#poller === null) return;
    this.#poller.close();
    this.#poller = null;
    fdBinding.close(this.fd);
  }

  #deliver(onMessage: (m: unknown) => void): void {
    for (;;) {
      if (this.#pendingBytes < 4) return;
      if (this.#pending[0]!.length < 4) this.#pending = [Buffer.concat(this.#pending)];
      const len = this.#pending[0]!.readUInt32LE(0);
      if (len > MAX_FRAME) throw protocolError(`frame of ${len} bytes`);
      // A big frame arrives in many reads: join them once, when it is whole.
      if (this.#pendingBytes < 4 + len) return;
      const buf = this.#pending.length === 1 ? this.#pending[0]! : Buffer.concat(this.#pending);
      this.#pending = [buf];
      const message = readMessage(buf.subarray(4, 4 + len));
      const rest = buf.subarray(4 + len);
      this.#pending = rest.length > 0 ? [rest] : [];
      this.#pendingBytes = rest.length;
      onMessage(message);
    }
  }

  async #writeAll(frame: Buffer, from: number): Promise<void> {
    let off = from;
    while (off < frame.length) {
      if (this.#poller === null) throw closedError();
      const n = fdBinding.write(this.fd, frame, off, frame.length - off);
      if (n === -EAGAIN) await this.#poller.wait(WRITABLE);
      else off += n;
    }
  }

  #readExactlySync(len: number): Buffer {
    const buf = Buffer.allocUnsafe(len);
    for (let off = 0; off < len;) {
      const n = fdBinding.read(this.fd, buf, off, len - off);
      if (n === 0) throw protocolError('end of file inside a frame');
      off += n;
    }
    return buf;
  }
}

function closedError(): OsipcError {
  return new OsipcError('control channel is closed', 'ERR_OSIPC_CLOSED');
}

function protocolError(what: string): OsipcError {
  return new OsipcError(`broken control channel: ${what}`, 'ERR_OSIPC_PROTOCOL');
}

// A process at the other end (a child may run anyone's code) must not make
// this one allocate past what the frame carries.
function readMessage(bytes: Buffer): unknown {
  checkV8Payload(bytes, 0, bytes.length);
  return deserialize(bytes);
}
