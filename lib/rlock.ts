// RLock: a re-entrant lock shared by processes (Python's multiprocessing.RLock).
// The owner is a PROCESS: while it holds the lock, any code in that process may
// acquire it again (each acquire needs a release); in Python the owner is a
// thread. Another process's release throws ERR_OSIPC_NOT_OWNER. A holder that
// dies is replaced as for Lock: acquire resolves true with `ownerDied` set and
// the count starts again at 1.
// Memory: a SharedMutex (16 bytes), then the recursion count (int32), padding.
import { ClosedError, TimeoutError } from './errors.js';
import { MUTEX_BYTES, SharedMutex, notOwner, type LockResult } from './sync/mutex.js';
import { createSegment, nameOption, openSegment, type Placed } from './sync/segment.js';
import { kTransfer, registerTransferable, type TransferDescriptor } from './transfer.js';
import { validateWaitOptions, type WaitOptions } from './validate.js';

const BYTES = MUTEX_BYTES + 8;

export class RLock {
  /** Bytes an RLock takes when placed inside another object's memory. */
  static readonly BYTES = BYTES;

  readonly #placed: Placed;
  readonly #mutex: SharedMutex;
  readonly #count: Int32Array;
  #ownerDied = false;
  #closed = false;

  constructor(options?: { name?: string });
  /** @internal */
  constructor(options: { name?: string } | undefined, placed: Placed);
  constructor(options?: { name?: string }, placed?: Placed) {
    this.#placed = placed ?? createSegment('RLock', BYTES, nameOption(options), RLock.initialize);
    this.#mutex = new SharedMutex(this.#placed.buffer, this.#placed.offset, 'RLock', { reentrant: true });
    this.#count = new Int32Array(this.#placed.buffer, this.#placed.offset + MUTEX_BYTES, 1);
  }

  static open(name: string): RLock {
    return new RLock(undefined, openSegment('RLock', BYTES, name));
  }

  /** For osipc's own objects: an RLock over `RLock.BYTES` bytes at `byteOffset` (8-aligned). */
  static fromBuffer(buffer: ArrayBuffer, byteOffset: number): RLock {
    return new RLock(undefined, { shm: null, buffer, offset: byteOffset });
  }

  static initialize(buffer: ArrayBuffer, byteOffset: number): void {
    SharedMutex.initialize(buffer, byteOffset);
    new Int32Array(buffer, byteOffset + MUTEX_BYTES, 1)[0] = 0;
  }

  get name(): string | undefined {
    return this.#placed.shm?.name;
  }

  get ownerDied(): boolean {
    return this.#ownerDied && this.#mutex.heldByMe;
  }

  /** True when this process holds the lock. */
  get heldByMe(): boolean {
    this.#check();
    return this.#mutex.heldByMe;
  }

  /** How many times this process holds it (0 when it does not). */
  get count(): number {
    this.#check();
    return this.#mutex.heldByMe ? Atomics.load(this.#count, 0) : 0;
  }

  locked(): boolean {
    this.#check();
    return this.#mutex.locked;
  }

  async acquire(options?: WaitOptions): Promise<boolean> {
    this.#check();
    const { timeout, signal } = validateWaitOptions(options);
    const deadline = performance.now() + timeout;
    for (;;) {
      if (this.#again()) return true;
      const left = Math.max(0, deadline - performance.now());
      const r = await this.#mutex.lock({ timeout: left, signal });
      // 'reentered': another acquire of this process took it meanwhile; count
      // this one in (unless that one has released it again: then try again).
      if (r !== 'reentered') return this.#took(r);
    }
  }

  acquireSync(options?: { timeout?: number }): boolean {
    this.#check();
    const { timeout } = validateWaitOptions(options);
    const deadline = performance.now() + timeout;
    for (;;) {
      if (this.#again()) return true;
      const r = this.#mutex.lockSync({ timeout: Math.max(0, deadline - performance.now()) });
      if (r !== 'reentered') return this.#took(r);
    }
  }

  tryAcquire(): boolean {
    this.#check();
    if (this.#again()) return true;
    const r = this.#mutex.tryLock();
    return r === 'busy' ? false : this.#took(r);
  }

  /** Releases one level; the lock is free once every acquire is released. */
  release(): void {
    this.#check();
    if (!this.#mutex.heldByMe) throw notOwner('RLock');
    const n = Atomics.load(this.#count, 0);
    if (n > 1) {
      Atomics.store(this.#count, 0, n - 1);
      return;
    }
    Atomics.store(this.#count, 0, 0);
    this.#ownerDied = false;
    this.#mutex.unlock();
  }

  async withLock<T>(fn: () => T | Promise<T>, options?: WaitOptions): Promise<T> {
    if (!(await this.acquire(options))) throw new TimeoutError('timed out waiting for the RLock');
    try {
      return await fn();
    } finally {
      this.release();
    }
  }

  /** @internal For Condition: releases every level at once; returns how many there were. */
  releaseAll(): number {
    this.#check();
    if (!this.#mutex.heldByMe) throw notOwner('RLock');
    const n = Math.max(1, Atomics.load(this.#count, 0));
    Atomics.store(this.#count, 0, 1);
    this.release();
    return n;
  }

  /** @internal For Condition: after re-acquiring, restores `n` levels. */
  restoreCount(n: number): void {
    Atomics.store(this.#count, 0, n);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#mutex.close();
    this.#placed.shm?.close();
  }

  /** `using` releases one level if this process holds it (it does not close it). */
  [Symbol.dispose](): void {
    if (!this.#closed && this.#mutex.heldByMe) this.release();
  }

  [kTransfer](): TransferDescriptor {
    this.#check();
    if (!this.#placed.shm) throw new TypeError('an RLock inside another object travels with that object');
    return { kind: 'RLock', data: { name: this.#placed.shm.name } };
  }

  #again(): boolean {
    if (!this.#mutex.heldByMe) return false;
    const n = Atomics.load(this.#count, 0);
    if (n >= 0x7fffffff) throw new RangeError('RLock acquired too many times');
    Atomics.store(this.#count, 0, n + 1);
    return true;
  }

  #took(r: LockResult): boolean {
    if (r === 'timed-out') return false;
    this.#ownerDied = r === 'owner-died';
    Atomics.store(this.#count, 0, 1);
    return true;
  }

  #check(): void {
    if (this.#closed) throw new ClosedError('RLock');
  }
}

registerTransferable('RLock', (data) => RLock.open((data as { name: string }).name));
