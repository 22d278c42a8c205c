// Queues frames for a pipe or socket fd and writes them without blocking the
// event loop. Small frames are copied into a staging buffer, so the frames
// sent in one turn of the loop leave in one write; big payloads are queued as
// they are and gathered with writev (no copy). A frame carrying fds starts a
// sendmsg of its own, the fds (duplicates, closed once sent) attached to its
// first byte.
//
// When other processes write to the same fd (a shared Connection end), frames
// must not interleave: this writer writes only while holding the end's write
// token (lib/connection-sharing.ts), and lets it go at a frame boundary.
import { ClosedError } from './errors.js';
import { writeHeader, LONG_HEADER } from './frames.js';
import { pipeIo, WRITABLE } from './os/pipe.js';
import { closeQuietly } from './connection-reader.js';

const STAGE = 64 * 1024;
// Payloads up to this size are copied into the staging buffer.
const COPY_LIMIT = 8 * 1024;

export interface WriteLock {
  /** True when no other process holds this end (no locking needed). */
  isExclusive(): boolean;
  tryAcquire(): boolean;
  release(): void;
}

interface Waiter {
  target: number;
  /** Waiting for a borrowed payload (sendBytes) to stop being needed. */
  borrowed: boolean;
  resolve(): void;
  reject(err: Error): void;
}

interface FdFrame {
  start: number;
  fds: number[];
}

export type FlushResult = 'done' | 'blocked' | 'token';

export class FrameWriter {
  readonly #fd: number;
  #chunks: Uint8Array[] = [];
  #head = 0;
  #headOffset = 0;
  #stage: Buffer | null = null;
  #stageStart = 0;
  #stagePos = 0;
  #queued = 0; // bytes ever queued
  #written = 0; // bytes ever written
  #frameEnds: number[] = [];
  #frameHead = 0;
  #frameStart = 0; // where the frame being written starts
  #fdFrames: FdFrame[] = [];
  #waiters: Waiter[] = [];
  // Big payloads that are the caller's buffers (sendBytes), not copies.
  #borrowed = new WeakSet<Uint8Array>();
  #tokenHeld = false;
  #error: Error | null = null;

  constructor(fd: number) {
    this.#fd = fd;
  }

  /** Bytes queued and not yet written. */
  get pending(): number {
    return this.#queued - this.#written;
  }

  get queued(): number {
    return this.#queued;
  }

  get written(): number {
    return this.#written;
  }

  get error(): Error | null {
    return this.#error;
  }

  /** True when the last byte written ends a frame. */
  get atBoundary(): boolean {
    return this.#written === this.#frameStart;
  }

  get tokenHeld(): boolean {
    return this.#tokenHeld;
  }

  /** The write token was taken on this writer's behalf (see Connection transfer). */
  holdToken(): void {
    this.#tokenHeld = true;
  }

  /**
   * Queues one frame. `copy`: the payload may change after this call (it is
   * copied, or for big payloads the caller waits until written). `fds` are
   * duplicates the writer owns and closes once sent. Returns the byte count
   * that ends this frame (for whenWritten).
   */
  enqueue(payload: Uint8Array, handles: boolean, fds: number[], borrowed = false): number {
    if (this.#error !== null) throw this.#error;
    const len = payload.length;
    const header = handles ? LONG_HEADER : 4;
    if (fds.length > 0) this.#fdFrames.push({ start: this.#queued, fds });
    if (len <= COPY_LIMIT) {
      const stage = this.#room(header + len);
      this.#stagePos += writeHeader(stage, this.#stagePos, len, handles, fds.length);
      stage.set(payload, this.#stagePos);
      this.#stagePos += len;
    } else {
      const stage = this.#room(header);
      this.#stagePos += writeHeader(stage, this.#stagePos, len, handles, fds.length);
      this.#seal();
      this.#chunks.push(payload);
      if (borrowed) this.#borrowed.add(payload);
    }
    this.#queued += header + len;
    this.#frameEnds.push(this.#queued);
    return this.#queued;
  }

  /** enqueue() of the first `len` bytes of `src`, copied (the encoder's scratch). */
  enqueueCopy(src: Buffer, len: number): number {
    if (this.#error !== null) throw this.#error;
    const stage = this.#room(4 + len);
    let at = this.#stagePos;
    stage.writeInt32BE(len, at);
    at += 4;
    if (len <= 64) {
      for (let i = 0; i < len; i++) stage[at + i] = src[i]!;
    } else {
      src.copy(stage, at, 0, len);
    }
    this.#stagePos = at + len;
    this.#queued += 4 + len;
    this.#frameEnds.push(this.#queued);
    return this.#queued;
  }

  /**
   * Resolves once `target` bytes have been written in all. `borrowed`: the
   * bytes up to `target` end with a caller's buffer, and it is enough that the
   * writer no longer needs that buffer (it may copy a short tail of it).
   */
  whenWritten(target: number, borrowed = false): Promise<void> {
    if (this.#error !== null) return Promise.reject(this.#error);
    if (this.#written >= target) return Promise.resolve();
    return new Promise((resolve, reject) => this.#waiters.push({ target, borrowed, resolve, reject }));
  }

  /** Writes what it can now. 'blocked': wait for WRITABLE; 'token': wait for the write token. */
  flushSome(lock: WriteLock | null): FlushResult {
    if (this.#error !== null) throw this.#error;
    this.#seal();
    try {
      while (this.#written < this.#queued) {
        let max = this.#queued - this.#written;
        let fds: number[] | null = null;
        const fdFrame = this.#fdFrames[0];
        if (fdFrame !== undefined) {
          if (fdFrame.start === this.#written) {
            fds = fdFrame.fds;
            const next = this.#fdFrames[1];
            if (next !== undefined) max = Math.min(max, next.start - this.#written);
          } else {
            max = Math.min(max, fdFrame.start - this.#written);
          }
        }
        if (lock !== null && (this.#tokenHeld || !lock.isExclusive())) {
          // Shared: write only while holding the write token, so no other
          // writer's bytes can land inside a frame of ours (a small write is
          // atomic, but it could fall between the pieces of another's big one).
          if (!this.#tokenHeld) {
            if (!lock.tryAcquire()) return 'token';
            this.#tokenHeld = true;
          }
        }
        const chunk = this.#chunks[this.#head]!;
        const n = fds !== null
          ? pipeIo.sendFds(this.#fd, this.#chunks, this.#head, this.#headOffset, max, fds)
          : chunk.length - this.#headOffset >= max // one chunk: plain write, fewer napi calls
            ? pipeIo.write(this.#fd, chunk, this.#headOffset, max)
            : pipeIo.writev(this.#fd, this.#chunks, this.#head, this.#headOffset, max);
        if (n === pipeIo.EAGAIN) {
          this.#releaseBorrowedTail();
          return 'blocked';
        }
        if (fds !== null) {
          this.#fdFrames.shift();
          for (const fd of fds) closeQuietly(fd);
        }
        this.#advance(n);
        if (this.#tokenHeld && this.#written === this.#frameStart) {
          this.#tokenHeld = false;
          lock!.release();
        }
      }
      return 'done';
    } catch (err) {
      this.fail(err as Error);
      throw err;
    }
  }

  /** Drops everything queued: waiters reject with `err`; later enqueues throw it. */
  fail(err: Error): void {
    if (this.#error === null) this.#error = err;
    for (const f of this.#fdFrames) for (const fd of f.fds) closeQuietly(fd);
    this.#fdFrames = [];
    this.#chunks = [];
    this.#head = this.#headOffset = 0;
    this.#stage = null;
    this.#frameEnds = [];
    this.#frameHead = 0;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w.reject(err);
  }

  close(): void {
    this.fail(new ClosedError('Connection'));
  }

  // ---- internals ----

  // The kernel is full and what is left of the caller's buffer at the head is
  // short: copy it, so the caller can go on (e.g. queue its next message,
  // whose header then leaves in the same write as this tail).
  #releaseBorrowedTail(): void {
    const chunk = this.#chunks[this.#head];
    if (chunk === undefined || !this.#borrowed.has(chunk)) return;
    const rest = chunk.length - this.#headOffset;
    if (rest > COPY_LIMIT) return;
    this.#borrowed.delete(chunk);
    this.#chunks[this.#head] = Buffer.from(chunk.subarray(this.#headOffset));
    this.#headOffset = 0;
    const end = this.#written + rest;
    if (this.#waiters.length === 0) return;
    const keep: Waiter[] = [];
    for (const w of this.#waiters) {
      if (w.borrowed && w.target <= end) w.resolve();
      else keep.push(w);
    }
    this.#waiters = keep;
  }

  // The staging buffer with room for `need` more bytes.
  #room(need: number): Buffer {
    let stage = this.#stage;
    if (stage === null || stage.length - this.#stagePos < need) {
      this.#seal();
      stage = this.#stage = Buffer.allocUnsafeSlow(Math.max(STAGE, need));
      this.#stageStart = this.#stagePos = 0;
    }
    return stage;
  }

  // Moves the staged bytes into the chunk queue.
  #seal(): void {
    if (this.#stagePos > this.#stageStart) {
      this.#chunks.push(this.#stage!.subarray(this.#stageStart, this.#stagePos));
      this.#stageStart = this.#stagePos;
    }
  }

  #advance(n: number): void {
    this.#written += n;
    while (n > 0) {
      const rest = this.#chunks[this.#head]!.length - this.#headOffset;
      if (n >= rest) {
        n -= rest;
        this.#head++;
        this.#headOffset = 0;
      } else {
        this.#headOffset += n;
        n = 0;
      }
    }
    if (this.#head === this.#chunks.length) {
      this.#chunks = [];
      this.#head = 0;
      if (this.#stageStart === this.#stagePos) this.#stageStart = this.#stagePos = 0; // reuse the stage
    } else if (this.#head > 256) {
      this.#chunks.splice(0, this.#head);
      this.#head = 0;
    }
    const ends = this.#frameEnds;
    while (this.#frameHead < ends.length && ends[this.#frameHead]! <= this.#written) {
      this.#frameStart = ends[this.#frameHead++]!;
    }
    if (this.#frameHead === ends.length) {
      this.#frameEnds = [];
      this.#frameHead = 0;
    } else if (this.#frameHead > 1024) {
      ends.splice(0, this.#frameHead);
      this.#frameHead = 0;
    }
    if (this.#waiters.length > 0) {
      const keep: Waiter[] = [];
      for (const w of this.#waiters) {
        if (w.target <= this.#written) w.resolve();
        else keep.push(w);
      }
      this.#waiters = keep;
    }
  }
}

export { WRITABLE };
