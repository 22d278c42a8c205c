// Connection: one end of a Pipe (or of a Listener/Client connection), as in
// Python's multiprocessing.connection. Values travel as length-prefixed frames
// (lib/frames.ts) of V8 serialization bytes; osipc objects inside a value
// (another Connection, a Queue...) travel by handle, their fds passed with
// SCM_RIGHTS on socket connections. Reading and writing never block the event
// loop, except in the Sync forms, which block with a bound.
import { fstatSync } from 'node:fs';
import { closeQuietly, FrameReader, NONE, type Frame } from './connection-reader.js';
import { Sharing } from './connection-sharing.js';
import { FrameWriter, type FlushResult } from './connection-writer.js';
import { ClosedError, EOFError, OsipcError, TimeoutError } from './errors.js';
import { badMessage, DEFAULT_MAX_MESSAGE_SIZE, MAX_MESSAGE_SIZE_LIMIT } from './frames.js';
import { MAX_FDS_PER_MESSAGE, pipeIo, READABLE, watchFd, WRITABLE, type FdWatch } from './os/pipe.js';
import { kTransfer, packHandles, registerTransferable, unpackHandles, type TransferDescriptor } from './transfer.js';
import {
  invalidArg, rangeError, throwIfAborted, typeError, validateBoolean, validateInteger, validateNumber,
  validateOptions, validateWaitOptions, type WaitOptions,
} from './validate.js';
import { deserialize, deserializeRange, fastSerializeToScratch, scratch } from './v8-wire.js';
import v8 from 'node:v8';
import { Spinner, validateSpin } from './spin.js';

export interface ConnectionOptions {
  /** This end receives (default true). */
  readable?: boolean;
  /** This end sends (default true). */
  writable?: boolean;
  /** Largest message sent or accepted, in bytes (default 64 MiB). */
  maxMessageSize?: number;
  /** As `conn.spin`: µs a recv polls before it sleeps (default 0: never). */
  spin?: number;
}

export interface RecvBytesOptions extends WaitOptions {
  /** Refuse (ERR_OSIPC_MESSAGE_TOO_LARGE) a message longer than this; it stays unread. */
  maxLength?: number;
}

export interface ConnectionSyncOptions {
  /** Milliseconds to block at most (default: for ever). */
  timeout?: number;
}

export interface RecvBytesSyncOptions extends ConnectionSyncOptions {
  maxLength?: number;
}

// send() resolves at once while less than this is waiting to be written.
const HIGH_WATER = 1024 * 1024;
// Payloads up to this size are copied when queued (must match the writer's).
const COPY_LIMIT = 8 * 1024;
const DONE = Promise.resolve();
// Sends closer together than this are batched (see #kick).
const DIRECT_WRITE_GAP_MS = 0.02;
// A Sync wait whose queued sends wait for a write token another process holds
// looks again this often (it cannot wait for the token and the fd at once).
const TOKEN_RETRY_MS = 1;
const kInternal = Symbol('osipc.Connection');

interface Init {
  readable: boolean;
  writable: boolean;
  maxMessageSize: number;
  socket: boolean;
  sharing?: Sharing | null;
  held?: { bytes: Buffer; fds: number[] };
  readTokenHeld?: boolean;
}

interface TransferData {
  readable: boolean;
  writable: boolean;
  maxMessageSize: number;
  socket: boolean;
  /** Bytes this end had read and not yet received: they go with it. */
  held: Uint8Array | null;
  /** The read token travels taken: `held` ends inside a frame. */
  readTokenHeld: boolean;
  /** The process that holds the read token for the receiver until it takes it over. */
  readTokenFrom?: number;
}

// The fds a Connection owns, apart from the object, so that a Connection
// dropped without close() still gives them back (FinalizationRegistry).
interface Resources {
  fd: number;
  watch: FdWatch | null;
  sharing: Sharing | null;
  extraFds: number[];
}

function releaseResources(res: Resources): void {
  res.watch?.release();
  res.watch = null;
  if (res.fd >= 0) closeQuietly(res.fd);
  res.fd = -1;
  res.sharing?.close();
  res.sharing = null;
  for (const fd of res.extraFds) closeQuietly(fd);
  res.extraFds = [];
}

const finalizer = new FinalizationRegistry<Resources>(releaseResources);

export class Connection implements AsyncIterable<unknown> {
  readonly #res: Resources;
  readonly #readable: boolean;
  readonly #writable: boolean;
  readonly #socket: boolean;
  readonly #limit: number;
  readonly #reader: FrameReader | null;
  readonly #writer: FrameWriter | null;
  #closed = false;
  #closing = false;
  #readTokenHeld = false;
  #waitFor: 'data' | 'token' = 'data';
  #pendingRecvs = 0;
  #speculate = true;
  #spinner: Spinner | null = null;
  #writeScheduled = false;
  #writing = false;
  #lastDirect = -Infinity;

  /** @internal Use Pipe(), Connection.fromFd(), Listener or Client. */
  constructor(key: typeof kInternal, fd: number, init: Init) {
    if (key !== kInternal) {
      throw new TypeError('Connections come from Pipe(), Connection.fromFd(), Listener.accept() or Client()');
    }
    this.#res = { fd, watch: null, sharing: init.sharing ?? null, extraFds: [] };
    this.#readable = init.readable;
    this.#writable = init.writable;
    this.#socket = init.socket;
    this.#limit = init.maxMessageSize;
    this.#reader = init.readable ? new FrameReader(fd, init.socket, init.maxMessageSize, init.held) : null;
    this.#writer = init.writable ? new FrameWriter(fd) : null;
    this.#readTokenHeld = init.readTokenHeld ?? false;
    finalizer.register(this, this.#res, this);
  }

  /**
   * Wraps an fd this process owns from now on: a pipe end or an AF_UNIX stream
   * socket (fd passing needs a socket), e.g. one inherited from a parent as fd 3.
   * The fd is made non-blocking.
   */
  static fromFd(fd: number, options?: ConnectionOptions): Connection {
    validateInteger(fd, 'fd', 0, 0x7fffffff);
    const o = validateOptions(options);
    const readable = o.readable === undefined ? true : validateBoolean(o.readable, 'options.readable');
    const writable = o.writable === undefined ? true : validateBoolean(o.writable, 'options.writable');
    if (!readable && !writable) throw invalidArg('options', 'a Connection must be readable, writable or both');
    const maxMessageSize = validateMaxMessageSize(o.maxMessageSize);
    const spin = o.spin === undefined ? 0 : validateSpin(o.spin, 'options.spin');
    const st = fstatSync(fd); // EBADF when it is not open
    const socket = st.isSocket();
    if (!socket && !st.isFIFO()) throw invalidArg('fd', 'not a pipe or socket');
    pipeIo.setNonBlocking(fd, true);
    pipeIo.setCloseOnExec(fd, true); // inherited fds (e.g. 3) are not: keep it from grandchildren
    const conn = new Connection(kInternal, fd, { readable, writable, maxMessageSize, socket });
    conn.spin = spin;
    return conn;
  }

  /**
   * @internal Wraps an fd osipc made or received (Pipe, Listener, a transfer).
   * Checked all the same (it closes the fd when done): a whole number, open,
   * and a pipe or socket as `init.socket` says.
   */
  static adopt(fd: number, init: Init): Connection {
    validateInteger(fd, 'fd', 0, 0x7fffffff);
    const o = validateOptions(init, 'init');
    const socket = validateBoolean(o.socket, 'init.socket');
    const st = fstatSync(fd); // EBADF when it is not open
    if (socket ? !st.isSocket() : !st.isFIFO()) throw invalidArg('fd', `not a ${socket ? 'socket' : 'pipe'}`);
    validateBoolean(o.readable, 'init.readable');
    validateBoolean(o.writable, 'init.writable');
    validateInteger(o.maxMessageSize, 'init.maxMessageSize', 1, MAX_MESSAGE_SIZE_LIMIT);
    return new Connection(kInternal, fd, init);
  }

  get closed(): boolean {
    return this.#closed;
  }

  get readable(): boolean {
    return this.#readable;
  }

  get writable(): boolean {
    return this.#writable;
  }

  /** The largest message this end sends or accepts, in bytes. */
  get maxMessageSize(): number {
    return this.#limit;
  }

  /**
   * The longest time, in microseconds, a recv on this end polls for a message
   * before it sleeps (0, the default: it sleeps at once). Polling blocks this
   * thread (the event loop, for recv()) while it lasts, and saves the wake-up
   * of a sleeping loop (~25 µs a hop between CPUs here) when the reply comes
   * quickly. Adaptive: polling that keeps finding nothing stops by itself.
   * This process's setting; it does not travel with the Connection.
   */
  get spin(): number {
    return this.#spinner?.max ?? 0;
  }

  set spin(micros: number) {
    this.#spinner = validateSpin(micros, 'spin') === 0 ? null : new Spinner(micros);
  }

  /** The underlying fd (still owned by the Connection). */
  fileno(): number {
    this.#checkOpen();
    return this.#res.fd;
  }

  // ---- sending ----

  /**
   * Sends a value: anything the V8 serializer (structured clone) carries, with
   * osipc objects inside it travelling by handle. Resolves once the message is
   * queued within the buffer bound (1 MiB waiting to be written), so awaiting
   * each send is how a producer keeps pace with its reader. Rejects with
   * ClosedError, a DataCloneError for values that cannot be sent, RangeError
   * over maxMessageSize, or the write error (EPIPE when no reader is left).
   */
  send(value: unknown): Promise<void> {
    try {
      this.#checkWritable();
      const end = this.#queueValue(value);
      this.#kick();
      return this.#afterQueue(end, true);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** send() that blocks the thread until the message is written (bounded by `timeout`). */
  sendSync(value: unknown, options?: ConnectionSyncOptions): void {
    const { timeout } = validateWaitOptions(options);
    this.#checkWritable();
    const end = this.#queueValue(value);
    this.#flushSync(end, timeout);
  }

  /**
   * Sends raw bytes as one message (Python's send_bytes): `size` bytes of
   * `data` from `offset`. Do not change `data` until the Promise settles: big
   * payloads are written from it without a copy.
   */
  sendBytes(data: ArrayBufferView | ArrayBuffer, offset?: number, size?: number): Promise<void> {
    try {
      this.#checkWritable();
      const bytes = byteRange(data, offset, size, this.#limit);
      const end = this.#writer!.enqueue(bytes, false, [], true);
      this.#kick(bytes.length > COPY_LIMIT);
      return this.#afterQueue(end, bytes.length <= COPY_LIMIT);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** sendBytes() that blocks the thread until written (bounded by `options.timeout`). */
  sendBytesSync(data: ArrayBufferView | ArrayBuffer, offset?: number, size?: number, options?: ConnectionSyncOptions): void {
    const { timeout } = validateWaitOptions(options);
    this.#checkWritable();
    const bytes = byteRange(data, offset, size, this.#limit);
    const end = this.#writer!.enqueue(bytes, false, []);
    this.#flushSync(end, timeout);
  }

  /** Resolves when every message sent so far has been written to the kernel. */
  flush(): Promise<void> {
    if (this.#writer === null) return DONE;
    const w = this.#writer;
    if (w.error !== null) return Promise.reject(w.error);
    this.#kick();
    return w.whenWritten(w.queued);
  }

  #queueValue(value: unknown): number {
    const writer = this.#writer!;
    // Plain data needs no handle walk: the fast encoder refuses anything else.
    const n = fastSerializeToScratch(value);
    if (n >= 0) {
      if (n > this.#limit) throw tooBig(n, this.#limit);
      if (n <= COPY_LIMIT) return writer.enqueueCopy(scratch(), n);
      return writer.enqueue(Buffer.from(scratch().subarray(0, n)), false, []);
    }
    const packed = packHandles(value);
    if (packed.value === value) {
      const bytes = serializeOrThrow(value);
      if (bytes.length > this.#limit) throw tooBig(bytes.length, this.#limit);
      return writer.enqueue(bytes, false, []);
    }
    if (packed.fds.length > 0 && !this.#socket) {
      throw invalidArg('value', 'it holds objects that travel as file descriptors, which only a duplex ' +
        'Connection (a socket) can carry; this one is a pipe');
    }
    if (packed.fds.length > MAX_FDS_PER_MESSAGE) {
      throw rangeError('value', `holding at most ${MAX_FDS_PER_MESSAGE} file descriptors`, packed.fds.length);
    }
    const bytes = serializeOrThrow(packed.value);
    if (bytes.length > this.#limit) throw tooBig(bytes.length, this.#limit);
    // Duplicates: the objects may be closed before the message is written.
    const dups: number[] = [];
    try {
      for (const fd of packed.fds) dups.push(pipeIo.dup(fd));
      return writer.enqueue(bytes, true, dups);
    } catch (err) {
      for (const fd of dups) closeQuietly(fd);
      throw err;
    }
  }

  #afterQueue(end: number, copied: boolean): Promise<void> {
    const writer = this.#writer!;
    if (writer.error !== null) return Promise.reject(writer.error); // e.g. EPIPE on the direct write
    const target = copied ? end - HIGH_WATER : end;
    if (writer.written >= target) return DONE;
    return writer.whenWritten(target, !copied);
  }

  // A message sent after a quiet spell is written at once (lowest latency for
  // request/response); messages that follow it closely are written together
  // on a later turn of the loop (one write for a burst of sends).
  #kick(big = false): void {
    if (this.#writeScheduled || this.#writing) return;
    const now = performance.now();
    if (big || now - this.#lastDirect > DIRECT_WRITE_GAP_MS) { // big: nothing to batch with
      this.#lastDirect = now;
      const writer = this.#writer!;
      let r: FlushResult;
      try {
        r = writer.flushSome(this.#res.sharing?.write ?? null);
      } catch {
        return; // the writer has failed: its waiters know
      }
      if (r === 'done') return;
      void this.#drive(r); // full: wait for room right away
      return;
    }
    this.#writeScheduled = true;
    setImmediate(() => {
      this.#writeScheduled = false;
      void this.#drive(null);
    });
  }

  // Writes until the queue is empty; `first` is what the caller's own
  // attempt ran into (null: try at once).
  async #drive(first: FlushResult | null): Promise<void> {
    if (this.#writing) return;
    const writer = this.#writer!;
    this.#writing = true;
    try {
      let r: FlushResult | null = first;
      for (;;) {
        if (writer.error !== null || this.#res.fd < 0) break;
        r ??= writer.flushSome(this.#res.sharing?.write ?? null);
        if (r === 'done') break;
        if (r === 'blocked') await this.#watch().wait(WRITABLE);
        else await this.#res.sharing!.write!.wait(Infinity);
        r = null;
      }
    } catch (err) {
      // The writer has failed (or the end broke while waiting for the write
      // token): its waiters are rejected, later sends throw.
      if (writer.error === null) writer.fail(err as Error);
    } finally {
      this.#writing = false;
      if (this.#closing && (writer.pending === 0 || writer.error !== null)) this.#finishClose();
    }
  }

  #flushSync(end: number, timeout: number): void {
    const writer = this.#writer!;
    const deadline = timeout === Infinity ? Infinity : performance.now() + timeout;
    while (writer.written < end) {
      const r = writer.flushSome(this.#res.sharing?.write ?? null);
      if (r === 'done') break;
      const left = deadline - performance.now();
      let fired: number;
      try {
        fired = left <= 0 ? 0 : r === 'blocked'
          ? pipeIo.pollFd(this.#res.fd, WRITABLE, left)
          : this.#res.sharing!.write!.waitSync(left);
      } catch (err) {
        writer.fail(err as Error); // the end broke: every pending send says so
        throw err;
      }
      if (fired === 0) {
        this.#kick(); // what is queued still goes, in the background
        throw new TimeoutError('send timed out; the message stays queued');
      }
    }
  }

  // ---- receiving ----

  /**
   * The next value. Rejects with EOFError (ERR_OSIPC_EOF) once every writer
   * has closed and nothing is left, TimeoutError after `timeout` ms,
   * AbortError when `signal` fires, ClosedError when closed, and
   * ERR_OSIPC_BAD_MESSAGE for bytes that are not a value.
   */
  recv(options?: WaitOptions): Promise<unknown> {
    // A message already read (a burst arrived in one read): no async machinery.
    if (options === undefined && !this.#closed && this.#reader !== null && this.#exclusiveReader()) {
      try {
        const value = this.#reader.takeBufferedValue(decodeRange);
        if (value !== NONE) return Promise.resolve(value);
      } catch (err) {
        return Promise.reject(err);
      }
    }
    return this.#recvFrame(options, Infinity, true);
  }

  /** recv() that blocks the thread, up to `timeout` ms (TimeoutError). */
  recvSync(options?: ConnectionSyncOptions): unknown {
    return this.#decode(this.#recvFrameSync(options, Infinity));
  }

  /** The next message's bytes (Python's recv_bytes). */
  async recvBytes(options?: RecvBytesOptions): Promise<Buffer> {
    const maxLength = validateMaxLength(options);
    return frameBytes(await this.#recvFrame(options, maxLength, false) as Frame);
  }

  /**
   * Reads the next message into `buffer` from `offset` (Python's
   * recv_bytes_into); resolves with its length. A message that does not fit
   * rejects with ERR_OSIPC_BUFFER_TOO_SHORT and stays unread. No allocation:
   * the way to stream big messages through one reused buffer.
   */
  async recvBytesInto(buffer: ArrayBufferView | ArrayBuffer, offset?: number, options?: WaitOptions): Promise<number> {
    const target = intoRange(buffer, offset);
    const frame = (await this.#recvFrame(options, Infinity, false, target)) as Frame;
    for (const fd of frame.fds) closeQuietly(fd);
    return frame.payload.length;
  }

  recvBytesIntoSync(buffer: ArrayBufferView | ArrayBuffer, offset?: number, options?: ConnectionSyncOptions): number {
    const target = intoRange(buffer, offset);
    const frame = this.#recvFrameSync(options, Infinity, target);
    for (const fd of frame.fds) closeQuietly(fd);
    return frame.payload.length;
  }

  recvBytesSync(options?: RecvBytesSyncOptions): Buffer {
    const maxLength = validateMaxLength(options);
    return frameBytes(this.#recvFrameSync(options, maxLength));
  }

  /**
   * Whether there is something to read (a message, or the end of file),
   * waiting up to `timeout` ms (default 0: just look). As Python's poll().
   */
  async poll(timeout = 0): Promise<boolean> {
    validateNumber(timeout, 'timeout', 0);
    this.#checkReadable();
    if (this.#readyNow()) return true;
    if (timeout === 0) return false;
    try {
      return (await this.#watch().wait(READABLE, timeout)) !== 0;
    } catch (err) {
      throw this.#closed ? new ClosedError('Connection') : err;
    }
  }

  pollSync(timeout = 0): boolean {
    validateNumber(timeout, 'timeout', 0);
    this.#checkReadable();
    if (this.#readyNow()) return true;
    if (timeout === 0) return false;
    const deadline = timeout === Infinity ? Infinity : performance.now() + timeout;
    for (;;) {
      const left = deadline - performance.now();
      if (left <= 0) return false;
      const fired = this.#waitSync(left, false);
      if (fired === 0) return false;
      if ((fired & ~WRITABLE) !== 0) return true; // readable, hang-up or error
    }
  }

  /** Values until the end of file (for await (const v of conn)). */
  async *[Symbol.asyncIterator](): AsyncIterator<unknown> {
    for (;;) {
      let value: unknown;
      try {
        value = await this.recv();
      } catch (err) {
        if (err instanceof EOFError || (this.#closed && err instanceof ClosedError)) return;
        throw err;
      }
      yield value;
    }
  }

  #readyNow(): boolean {
    const r = this.#reader!;
    return r.holding || r.eof || pipeIo.pollFd(this.#res.fd, READABLE, 0) !== 0;
  }

  // The next frame, or with `decode` the value it holds.
  #recvFrame(options: WaitOptions | undefined, maxLength: number, decode: boolean,
    target: Buffer | null = null): Promise<unknown> {
    let timeout: number;
    let signal: AbortSignal | undefined;
    try {
      ({ timeout, signal } = validateWaitOptions(options));
      this.#checkReadable();
      throwIfAborted(signal);
    } catch (err) {
      return Promise.reject(err);
    }
    const result = this.#recvFrameIn(timeout, signal, maxLength, decode, target);
    if (target === null) return result;
    return result.finally(() => this.#reader?.releaseTarget());
  }

  async #recvFrameIn(timeout: number, signal: AbortSignal | undefined, maxLength: number, decode: boolean,
    target: Buffer | null): Promise<unknown> {
    const reader = this.#reader!;
    // Reading before waiting costs a syscall that finds nothing when messages
    // come one at a time (request/response): skip it then, epoll says when.
    if (this.#speculate || reader.frameReady || !this.#exclusiveReader()) {
      const first = this.#tryFrame(maxLength, target);
      if (first !== null) return decode ? this.#decode(first) : first;
      this.#speculate = false;
    }
    const deadline = timeout === Infinity ? Infinity : performance.now() + timeout;
    const polled = this.#spinFor(maxLength, target, deadline);
    if (polled !== null) return decode ? this.#decode(polled) : polled;
    this.#pendingRecvs++;
    try {
      for (;;) {
        const left = deadline - performance.now();
        if (left <= 0) throw new TimeoutError('recv timed out');
        const fired = this.#waitFor === 'token'
          ? await this.#res.sharing!.read!.wait(left, signal)
          : await this.#watch().wait(READABLE, left, signal);
        this.#checkOpen();
        if (fired === 0) throw new TimeoutError('recv timed out');
        const frame = this.#tryFrame(maxLength, target);
        if (frame !== null) {
          this.#speculate = reader.lastReadFull;
          return decode ? this.#decode(frame) : frame;
        }
      }
    } catch (err) {
      if (this.#closed && !(err instanceof ClosedError)) throw new ClosedError('Connection');
      throw err;
    } finally {
      this.#pendingRecvs--;
    }
  }

  #recvFrameSync(options: ConnectionSyncOptions | undefined, maxLength: number, target: Buffer | null = null): Frame {
    const { timeout } = validateWaitOptions(options);
    this.#checkReadable();
    const deadline = timeout === Infinity ? Infinity : performance.now() + timeout;
    try {
      for (;;) {
        const frame = this.#tryFrame(maxLength, target) ?? this.#spinFor(maxLength, target, deadline);
        if (frame !== null) return frame;
        const left = deadline - performance.now();
        const fired = left <= 0 ? 0 : this.#waitSync(left, this.#waitFor === 'token');
        if (fired === 0) throw new TimeoutError('recv timed out');
      }
    } finally {
      if (target !== null) this.#reader?.releaseTarget();
    }
  }

  // One blocking wait of a Sync recv or poll, up to `left` ms, for the fd to
  // turn readable (or, with `token`, for the shared read token). Sends still
  // queued go out meanwhile (see #writeQueuedNow), however big: the wait also
  // wakes when the fd takes more. The events that fired; 0 when `left` passed;
  // WRITABLE alone when only writing (or a write token held by another
  // process, looked at again every TOKEN_RETRY_MS) woke it: look again.
  #waitSync(left: number, token: boolean): number {
    const write = this.#writeQueuedNow();
    const wait = write === 'token' ? Math.min(left, TOKEN_RETRY_MS) : left;
    const fired = token
      ? this.#res.sharing!.read!.waitSync(wait)
      : pipeIo.pollFd(this.#res.fd, write === 'blocked' ? READABLE | WRITABLE : READABLE, wait);
    return fired === 0 && wait < left ? WRITABLE : fired;
  }

  // Opt-in (`spin`): polls for a frame a while before the caller sleeps, so
  // that a reply coming within microseconds costs no wake-up. Only for data:
  // a read token held by another process is not worth polling for. Not past
  // `deadline` (the recv's timeout).
  #spinFor(maxLength: number, target: Buffer | null, deadline: number): Frame | null {
    if (this.#spinner === null || this.#waitFor !== 'data') return null;
    // What this end sent must be out first: the answer polled for may need it.
    if (this.#writeQueuedNow() !== 'done') return null;
    let frame: Frame | null = null;
    this.#spinner.spin(() => (frame = this.#tryFrame(maxLength, target)) !== null || this.#waitFor !== 'data', deadline);
    return frame;
  }

  // Writes what send() queued, as far as the kernel takes it now. A blocking
  // wait (a Sync recv or poll, a spin) calls this first: send() writes a burst
  // of messages on a later turn of the event loop, which cannot come while the
  // thread blocks, and the peer may be waiting for them to answer.
  #writeQueuedNow(): FlushResult {
    const writer = this.#writer;
    if (writer === null || writer.error !== null || writer.pending === 0) return 'done';
    try {
      return writer.flushSome(this.#res.sharing?.write ?? null);
    } catch {
      return 'done'; // the writer has failed: its waiters know
    }
  }

  // A whole frame if one can be had without waiting; otherwise null, with
  // #waitFor saying what to wait for.
  #tryFrame(maxLength: number, target: Buffer | null = null): Frame | null {
    const reader = this.#reader!;
    const token = this.#res.sharing?.read ?? null;
    this.#waitFor = 'data';
    if (token === null || (!this.#readTokenHeld && token.isExclusive())) {
      return reader.tryRead(false, maxLength, target);
    }
    // Shared: read exactly one frame while holding the read token. Frames
    // already taken out of the kernel (moved here with the end) are ours.
    if (!this.#readTokenHeld) {
      if (reader.frameReady) return reader.tryRead(true, maxLength, target);
      if (!token.tryAcquire()) {
        this.#waitFor = 'token';
        return null;
      }
      this.#readTokenHeld = true;
    }
    let frame: Frame | null;
    try {
      frame = reader.tryRead(true, maxLength, target);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (reader.atBoundary || (code !== 'ERR_OSIPC_MESSAGE_TOO_LARGE' && code !== 'ERR_OSIPC_BUFFER_TOO_SHORT')) {
        this.#releaseReadToken();
      }
      throw err;
    }
    if (reader.atBoundary) this.#releaseReadToken();
    return frame;
  }

  #exclusiveReader(): boolean {
    const token = this.#res.sharing?.read ?? null;
    return token === null || (!this.#readTokenHeld && token.isExclusive());
  }

  // `midFrame`: this process leaves a frame half read (the end breaks for the others).
  #releaseReadToken(midFrame = false): void {
    if (!this.#readTokenHeld) return;
    this.#readTokenHeld = false;
    this.#res.sharing?.read?.release(midFrame);
  }

  #decode(frame: Frame): unknown {
    let value: unknown;
    try {
      value = deserialize(frame.payload, frame.owned);
    } catch (err) {
      for (const fd of frame.fds) closeQuietly(fd);
      const e = badMessage('a message that is not a V8-serialized value (sent with sendBytes?)');
      (e as { cause?: unknown }).cause = err;
      throw e;
    }
    if (!frame.handles) {
      for (const fd of frame.fds) closeQuietly(fd);
      return value;
    }
    return unpackWithFds(value, frame.fds);
  }

  // ---- lifetime ----

  /**
   * Closes this end. Messages already sent are still written, in the
   * background (the fd stays open until then); pending recv() calls reject
   * with ClosedError. Idempotent.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    // Pending recv()/poll() waits end now (with ClosedError); writes go on.
    const closedErr = new ClosedError('Connection');
    this.#res.watch?.cancel(READABLE, closedErr);
    this.#res.sharing?.read?.cancel(closedErr);
    this.#releaseReadToken(this.#reader !== null && !this.#reader.atBoundary);
    this.#reader?.close();
    const writer = this.#writer;
    if (writer !== null && writer.pending > 0 && writer.error === null) {
      this.#closing = true;
      this.#kick();
    } else {
      this.#finishClose();
    }
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** Waits until what was sent is written (or failed), then closes. */
  async [Symbol.asyncDispose](): Promise<void> {
    try {
      if (!this.#closed) await this.flush();
    } catch {
      /* closing anyway */
    }
    this.close();
  }

  #finishClose(): void {
    this.#closing = false;
    this.#releaseReadToken();
    // A write token held here (a failed write in mid-frame) would stop every
    // other writer for good; they get the broken stream's error instead.
    if (this.#writer?.tokenHeld) this.#res.sharing?.write?.release(!this.#writer.atBoundary);
    this.#writer?.close();
    finalizer.unregister(this);
    releaseResources(this.#res);
  }

  // ---- travelling to another process ----

  [kTransfer](): TransferDescriptor {
    this.#checkOpen();
    if (this.#pendingRecvs > 0) {
      throw new OsipcError('cannot send a Connection while a recv() on it is pending', 'ERR_OSIPC_BUSY');
    }
    const writer = this.#writer;
    const midWrite = writer !== null && !writer.atBoundary;
    // Bytes read ahead here belong to whoever reads next: they go along.
    const held = this.#reader?.holding ? this.#reader.takeHeld() : null;
    let sharing = this.#res.sharing;
    if (sharing === null) {
      sharing = this.#res.sharing = Sharing.create(
        { read: this.#readable, write: this.#writable },
        { read: held?.partial ?? false, write: midWrite });
      if (midWrite) writer!.holdToken();
    } else {
      if (held?.partial && !this.#readTokenHeld && !sharing.read!.tryAcquire()) {
        throw new OsipcError('cannot send a Connection in the middle of reading a message', 'ERR_OSIPC_BUSY');
      }
      if (held?.partial) this.#readTokenHeld = false; // it goes with the bytes
      if (midWrite && !writer!.tokenHeld && sharing.write!.isExclusive()) {
        // Only this process writes: the token is free, take it to finish the frame.
        if (sharing.write!.tryAcquire()) writer!.holdToken();
      }
    }
    sharing.addHolder();
    if (held !== null) this.#res.extraFds.push(...held.fds); // closed with this end
    const data: TransferData = {
      readable: this.#readable,
      writable: this.#writable,
      maxMessageSize: this.#limit,
      socket: this.#socket,
      held: held !== null && held.bytes.length > 0 ? held.bytes : null,
      readTokenHeld: held?.partial ?? false,
      readTokenFrom: process.pid,
    };
    return { kind: 'Connection', data, fds: [this.#res.fd, ...sharing.fds(), ...(held?.fds ?? [])] };
  }

  // ---- helpers ----

  #watch(): FdWatch {
    if (this.#res.fd < 0) throw new ClosedError('Connection');
    return (this.#res.watch ??= watchFd(this.#res.fd));
  }

  #checkOpen(): void {
    if (this.#closed) throw new ClosedError('Connection');
  }

  #checkWritable(): void {
    this.#checkOpen();
    if (!this.#writable) throw new OsipcError('this Connection end only receives', 'ERR_OSIPC_NOT_WRITABLE');
  }

  #checkReadable(): void {
    this.#checkOpen();
    if (!this.#readable) throw new OsipcError('this Connection end only sends', 'ERR_OSIPC_NOT_READABLE');
  }
}

// v8.serialize throws plain Errors; structuredClone's DataCloneError says what it is.
function serializeOrThrow(value: unknown): Buffer {
  try {
    return v8.serialize(value);
  } catch (err) {
    throw new DOMException((err as Error).message, 'DataCloneError');
  }
}

// Decodes a plain value frame in place (the fast path of recv()).
function decodeRange(buf: Buffer, start: number, end: number): unknown {
  try {
    return deserializeRange(buf, start, end);
  } catch (err) {
    const e = badMessage('a message that is not a V8-serialized value (sent with sendBytes?)');
    (e as { cause?: unknown }).cause = err;
    throw e;
  }
}

function validateMaxMessageSize(value: unknown): number {
  if (value === undefined) return DEFAULT_MAX_MESSAGE_SIZE;
  return validateInteger(value, 'options.maxMessageSize', 1, MAX_MESSAGE_SIZE_LIMIT);
}

function validateMaxLength(options: RecvBytesOptions | RecvBytesSyncOptions | undefined): number {
  const o = validateOptions(options);
  return o.maxLength === undefined ? Infinity : validateInteger(o.maxLength, 'options.maxLength', 0);
}

function tooBig(length: number, limit: number): RangeError {
  return rangeError('value', `a message of at most ${limit} bytes (maxMessageSize)`, `${length} bytes`);
}

function byteRange(data: unknown, offset: unknown, size: unknown, limit: number): Uint8Array {
  let bytes: Uint8Array;
  if (data instanceof ArrayBuffer) bytes = new Uint8Array(data);
  else if (ArrayBuffer.isView(data)) bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  else throw typeError('data', 'an instance of Buffer, TypedArray, DataView or ArrayBuffer', data);
  const off = offset === undefined ? 0 : validateInteger(offset, 'offset', 0, bytes.length);
  const len = size === undefined ? bytes.length - off : validateInteger(size, 'size', 0, bytes.length - off);
  if (len > limit) throw rangeError('size', `at most ${limit} bytes (maxMessageSize)`, len);
  return bytes.subarray(off, off + len);
}

function intoRange(buffer: unknown, offset: unknown): Buffer {
  let bytes: Buffer;
  if (buffer instanceof ArrayBuffer) bytes = Buffer.from(buffer);
  else if (ArrayBuffer.isView(buffer)) bytes = Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  else throw typeError('buffer', 'an instance of Buffer, TypedArray, DataView or ArrayBuffer', buffer);
  const off = offset === undefined ? 0 : validateInteger(offset, 'offset', 0, bytes.length);
  return bytes.subarray(off);
}

function frameBytes(frame: Frame): Buffer {
  for (const fd of frame.fds) closeQuietly(fd);
  return frame.owned ? frame.payload : Buffer.from(frame.payload);
}

// unpackHandles with the frame's fds; fds no handle took are closed, so a
// peer announcing more fds than it uses leaks nothing here.
function unpackWithFds(value: unknown, fds: number[]): unknown {
  const taken = new Set<number>();
  const view: number[] = [];
  fds.forEach((fd, i) => {
    Object.defineProperty(view, i, { enumerable: true, get: () => (taken.add(i), fd) });
  });
  try {
    return unpackHandles(value, view);
  } finally {
    fds.forEach((fd, i) => {
      if (!taken.has(i)) closeQuietly(fd);
    });
  }
}

registerTransferable('Connection', (data, fds) => {
  const d = data as TransferData;
  const fd = fds[0]!;
  const sharingCount = Sharing.fdCount;
  for (const f of fds) pipeIo.setCloseOnExec(f, true); // inherited fds are not
  const sharing = Sharing.adopt(fds.slice(1, 1 + sharingCount), { read: d.readable, write: d.writable });
  let readTokenHeld = d.readTokenHeld;
  if (readTokenHeld) {
    try {
      sharing.read!.adoptFrom(d.readTokenFrom ?? -1);
    } catch {
      readTokenHeld = false; // the sender died first: the end is broken, recv says so
    }
  }
  pipeIo.setNonBlocking(fd, true);
  return Connection.adopt(fd, {
    readable: d.readable,
    writable: d.writable,
    maxMessageSize: d.maxMessageSize,
    socket: d.socket,
    sharing,
    held: { bytes: d.held ? Buffer.from(d.held) : Buffer.alloc(0), fds: fds.slice(1 + sharingCount) },
    readTokenHeld,
  });
});
