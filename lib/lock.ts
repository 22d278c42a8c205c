// Lock: a mutual-exclusion lock shared by processes (Python's
// multiprocessing.Lock), in shared memory. Owned by a PROCESS: only the process
// that holds it may release it (Python lets any process release a Lock; a lock
// that knows its owner can be recovered when that owner dies). When the holder
// dies holding it, SIGKILL included, the next acquirer gets it within about
// 150 ms (well under 1 s), acquire() resolves true, and `lock.ownerDied` is
// true until that holder releases it: the data it guards may be half-updated.
import { ClosedError, TimeoutError } from './errors.js';
import { MUTEX_BYTES, SharedMutex, type LockResult } from './sync/mutex.js';
import { createSegment, nameOption, openSegment, type Placed } from './sync/segment.js';
import { kTransfer, registerTransferable, type TransferDescriptor } from './transfer.js';
import { validateFunction, validateWaitOptions, type WaitOptions } from './validate.js';

export class Lock {
  /** Bytes a Lock takes when placed inside another object's memory (fromBuffer). */
  static readonly BYTES = MUTEX_BYTES;

  readonly #placed: Placed;
  readonly #mutex: SharedMutex;
  #ownerDied = false;
  #closed = false;

  /** A new, unlocked Lock in its own shared memory segment (`name`: random when omitted). */
  constructor(options?: { name?: string });
  /** @internal */
  constructor(options: { name?: string } | undefined, placed: Placed);
  constructor(options?: { name?: string }, placed?: Placed) {
    this.#placed = placed ?? createSegment('Lock', MUTEX_BYTES, nameOption(options), SharedMutex.initialize);
    this.#mutex = new SharedMutex(this.#placed.buffer, this.#placed.offset, 'Lock');
  }

  /** Opens the Lock named `name` (made by another process, or this one). */
  static open(name: string): Lock {
    return new Lock(undefined, openSegment('Lock', MUTEX_BYTES, name));
  }

  /**
   * For osipc's own objects (Value, SharedArray, Queue) that keep their lock
   * inside their own segment: a Lock over `Lock.BYTES` bytes at `byteOffset`
   * (8-aligned) of a SharedMemory buffer. It has no name and cannot travel on
   * its own; the object that contains it travels instead.
   */
  static fromBuffer(buffer: ArrayBuffer, byteOffset: number): Lock {
    return new Lock(undefined, { shm: null, buffer, offset: byteOffset });
  }

  /** Prepares the words of a Lock placed with fromBuffer (zeroed memory is already one). */
  static initialize(buffer: ArrayBuffer, byteOffset: number): void {
    SharedMutex.initialize(buffer, byteOffset);
  }

  /** The segment's name, or undefined for a Lock placed in another object's memory. */
  get name(): string | undefined {
    return this.#placed.shm?.name;
  }

  /** True while this process holds the lock after taking it from a holder that died. */
  get ownerDied(): boolean {
    return this.#ownerDied && this.#mutex.heldByMe;
  }

  /** True when this process holds the lock. */
  get heldByMe(): boolean {
    this.#check();
    return this.#mutex.heldByMe;
  }

  /** True when some process holds the lock (a snapshot). */
  locked(): boolean {
    this.#check();
    return this.#mutex.locked;
  }

  /** Waits for the lock; resolves true when acquired, false on timeout. */
  async acquire(options?: WaitOptions): Promise<boolean> {
    this.#check();
    return this.#took(await this.#mutex.lock(options));
  }

  /** Blocks this thread until acquired (true) or `timeout` ms pass (false). */
  acquireSync(options?: { timeout?: number }): boolean {
    return this.#took(this.#mutex.lockSync(options)); // throws ERR_OSIPC_CLOSED
  }

  /** Takes the lock if it is free (or its holder died); never waits. */
  tryAcquire(): boolean {
    const r = this.#mutex.tryLock(); // throws ERR_OSIPC_CLOSED
    return r === 'busy' ? false : this.#took(r);
  }

  /** Releases the lock; throws ERR_OSIPC_NOT_OWNER unless this process holds it. */
  release(): void {
    this.#mutex.unlock(); // throws ERR_OSIPC_NOT_OWNER / ERR_OSIPC_CLOSED
    this.#ownerDied = false;
  }

  /** Runs `fn` holding the lock and releases it afterwards, also when fn throws. */
  async withLock<T>(fn: () => T | Promise<T>, options?: WaitOptions): Promise<T> {
    validateWaitOptions(options);
    if (!(await this.acquire(options))) throw new TimeoutError('timed out waiting for the Lock');
    try {
      return await fn();
    } finally {
      this.release();
    }
  }

  /**
   * Runs `fn` holding the lock taken with acquireSync() (blocking this thread
   * at most `timeout` ms, else TimeoutError) and releases it however fn ends.
   */
  withLockSync<T>(fn: () => T, options?: { timeout?: number }): T {
    validateFunction(fn, 'fn');
    if (!this.acquireSync(options)) throw new TimeoutError('timed out waiting for the Lock');
    try {
      return fn();
    } finally {
      this.release();
    }
  }

  /** Unmaps the lock (the creator also unlinks its name). Pending acquires reject with ClosedError. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#mutex.close();
    this.#placed.shm?.close();
  }

  /** `using` releases the lock if this process holds it (it does not close it). */
  [Symbol.dispose](): void {
    if (!this.#closed && this.#mutex.heldByMe) this.release();
  }

  [kTransfer](): TransferDescriptor {
    this.#check();
    if (!this.#placed.shm) throw new TypeError('a Lock inside another object travels with that object');
    return { kind: 'Lock', data: { name: this.#placed.shm.name } };
  }

  #took(r: LockResult): boolean {
    if (r === 'timed-out') return false;
    this.#ownerDied = r === 'owner-died';
    return true;
  }

  #check(): void {
    if (this.#closed) throw new ClosedError('Lock');
  }
}

registerTransferable('Lock', (data) => Lock.open((data as { name: string }).name));
