// Condition shared by processes (Python's multiprocessing.Condition): waiters
// release the lock, sleep until notified, and re-acquire it. notify(n) hands
// out n wake-up tickets to processes that are waiting NOW, so at most n waits
// return true for it (a later waiter cannot take a ticket meant for an earlier one).
// Memory (296 bytes):
//   [0] seq: bumped by every notify; waiters sleep on it (futex)
//   [1] waiters (bits 0..15) | tickets (bits 16..30), changed together by CAS
//   [2] lock: 0 = the Condition's own RLock (bytes 16..39), 1 = Lock by name, 2 = RLock by name
//   [3] byte length of that name; the name (UTF-8) at bytes 40..295
import { ClosedError, OsipcError } from './errors.js';
import { Lock } from './lock.js';
import { futex } from './os/futex.js';
import { RLock } from './rlock.js';
import { createSegment, nameOption, openSegment, type Placed } from './sync/segment.js';
import { TIMED_OUT, WaitQueue } from './sync/wait-queue.js';
import { kTransfer, registerTransferable, type TransferDescriptor } from './transfer.js';
import { typeError, validateFunction, validateInteger, validateWaitOptions, type WaitOptions } from './validate.js';

const OWN_LOCK_AT = 16;
const NAME_AT = OWN_LOCK_AT + RLock.BYTES;
const NAME_MAX_BYTES = 256;
const BYTES = NAME_AT + NAME_MAX_BYTES;
const SEQ = 0;
const COUNTS = 1;
const LOCK_KIND = 2;
const NAME_LEN = 3;
const TICKET = 1 << 16;
const WAITERS_MAX = 0x7fff;

type AnyLock = Lock | RLock;
interface Waiter { notified: boolean }

export class Condition {
  readonly #placed: Placed;
  readonly #w: Int32Array;
  readonly #lock: AnyLock;
  readonly #ownsLock: boolean;
  readonly #waiters: WaitQueue<true, Waiter>;
  #closed = false;

  /** A Condition over `lock` (a Lock or RLock with a name), or over its own RLock. */
  constructor(lock?: Lock | RLock, options?: { name?: string });
  /** @internal */
  constructor(lock: AnyLock | undefined, options: { name?: string } | undefined, placed: Placed);
  constructor(lock?: AnyLock, options?: { name?: string }, placed?: Placed) {
    if (!placed) {
      if (lock !== undefined && !(lock instanceof Lock) && !(lock instanceof RLock)) {
        throw typeError('lock', 'a Lock or an RLock', lock);
      }
      if (lock !== undefined && lock.name === undefined) {
        throw typeError('lock', 'a Lock or RLock with a name (not one placed inside another object)', lock);
      }
      const lockName = lock ? Buffer.from(lock.name!) : Buffer.alloc(0);
      placed = createSegment('Condition', BYTES, nameOption(options), (buffer, offset) => {
        const w = new Int32Array(buffer, offset, 4);
        w[LOCK_KIND] = lock === undefined ? 0 : lock instanceof Lock ? 1 : 2;
        w[NAME_LEN] = lockName.length;
        lockName.copy(new Uint8Array(buffer, offset + NAME_AT, NAME_MAX_BYTES));
        if (!lock) RLock.initialize(buffer, offset + OWN_LOCK_AT);
      });
    }
    this.#placed = placed;
    const w = (this.#w = new Int32Array(placed.buffer, placed.offset, 4));
    this.#ownsLock = lock === undefined;
    this.#lock = lock ?? Condition.#lockOf(placed);
    this.#waiters = new WaitQueue<true, Waiter>(w, SEQ, {
      attempt: (waiter) => (this.#takeTicket(waiter, false) ? true : undefined),
      prepare: () => Atomics.load(w, SEQ),
      finish: () => {},
      leave: (waiter) => {
        // Gives up waiting, unless a ticket is already there for it.
        if (!this.#takeTicket(waiter, true)) this.#unregister();
      },
    }, 'Condition');
  }

  static open(name: string): Condition {
    return new Condition(undefined, undefined, openSegment('Condition', BYTES, name));
  }

  // The lock recorded in a Condition's memory: its own RLock, or one by name.
  static #lockOf(placed: Placed): AnyLock {
    const w = new Int32Array(placed.buffer, placed.offset, 4);
    const kind = Atomics.load(w, LOCK_KIND);
    if (kind === 0) return RLock.fromBuffer(placed.buffer, placed.offset + OWN_LOCK_AT);
    const len = Atomics.load(w, NAME_LEN);
    if (kind > 2 || len < 2 || len > NAME_MAX_BYTES) {
      throw new OsipcError('the Condition\'s memory names no valid lock', 'ERR_OSIPC_WRONG_KIND');
    }
    const name = Buffer.from(placed.buffer, placed.offset + NAME_AT, len).toString('utf8');
    return kind === 1 ? Lock.open(name) : RLock.open(name);
  }

  get name(): string | undefined {
    return this.#placed.shm?.name;
  }

  /** The lock this Condition uses. */
  get lock(): Lock | RLock {
    return this.#lock;
  }

  acquire(options?: WaitOptions): Promise<boolean> {
    return this.#lock.acquire(options);
  }

  acquireSync(options?: { timeout?: number }): boolean {
    return this.#lock.acquireSync(options);
  }

  tryAcquire(): boolean {
    return this.#lock.tryAcquire();
  }

  release(): void {
    this.#lock.release();
  }

  withLock<T>(fn: () => T | Promise<T>, options?: WaitOptions): Promise<T> {
    return this.#lock.withLock(fn, options);
  }

  /**
   * Releases the lock, waits until notified (true) or `timeout` ms (false),
   * and re-acquires the lock before it settles, also on timeout or abort.
   * The lock must be held by this process.
   */
  async wait(options?: WaitOptions): Promise<boolean> {
    const { timeout, signal } = validateWaitOptions(options);
    const waiter = this.#begin();
    const levels = this.#releaseLock();
    let failure: unknown = null;
    try {
      await this.#waiters.wait(waiter, timeout, signal);
    } catch (err) {
      failure = err;
    }
    await this.#lock.acquire();
    this.#restore(levels);
    if (failure) throw failure;
    return waiter.notified;
  }

  waitSync(options?: { timeout?: number }): boolean {
    const { timeout } = validateWaitOptions(options);
    const waiter = this.#begin();
    const levels = this.#releaseLock();
    try {
      this.#waiters.waitSync(waiter, timeout);
    } finally {
      this.#lock.acquireSync();
      this.#restore(levels);
    }
    return waiter.notified;
  }

  /**
   * Waits until `predicate()` is truthy (checked with the lock held, first
   * at once); returns its last result (falsy on timeout).
   */
  async waitFor<T>(predicate: () => T | Promise<T>, options?: WaitOptions): Promise<T> {
    validateFunction(predicate, 'predicate');
    const { timeout, signal } = validateWaitOptions(options);
    const deadline = performance.now() + timeout;
    let result = await predicate();
    while (!result) {
      const left = deadline - performance.now();
      if (left <= 0) break;
      await this.wait({ timeout: left, signal });
      result = await predicate();
    }
    return result;
  }

  waitForSync<T>(predicate: () => T, options?: { timeout?: number }): T {
    validateFunction(predicate, 'predicate');
    const { timeout } = validateWaitOptions(options);
    const deadline = performance.now() + timeout;
    let result = predicate();
    while (!result) {
      const left = deadline - performance.now();
      if (left <= 0) break;
      this.waitSync({ timeout: left });
      result = predicate();
    }
    return result;
  }

  /** Wakes up to `n` (default 1) of the processes' waits pending now. The lock must be held. */
  notify(n = 1): void {
    validateInteger(n, 'n', 0);
    this.#mustHold('notify');
    const w = this.#w;
    let k: number;
    for (;;) {
      const c = Atomics.load(w, COUNTS);
      const waiting = c & 0xffff;
      const tickets = c >>> 16;
      k = Math.min(n, waiting - tickets);
      if (k <= 0) return;
      if (Atomics.compareExchange(w, COUNTS, c, c + k * TICKET) === c) break;
    }
    Atomics.add(w, SEQ, 1);
    futex.wake(w, SEQ, k);
  }

  /** Wakes every wait pending now. The lock must be held. */
  notifyAll(): void {
    this.notify(WAITERS_MAX);
  }

  /** Unmaps the Condition (and the lock it opened or made itself, not one passed in). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#waiters.close();
    if (this.#ownsLock) this.#lock.close();
    this.#placed.shm?.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  [kTransfer](): TransferDescriptor {
    if (this.#closed) throw new ClosedError('Condition');
    return { kind: 'Condition', data: { name: this.#placed.shm!.name } };
  }

  #mustHold(what: string): void {
    if (this.#closed) throw new ClosedError('Condition');
    if (!this.#lock.heldByMe) {
      throw new OsipcError(`cannot ${what} on an un-acquired lock`, 'ERR_OSIPC_NOT_OWNER');
    }
  }

  #begin(): Waiter {
    this.#mustHold('wait');
    const w = this.#w;
    for (;;) {
      const c = Atomics.load(w, COUNTS);
      if ((c & 0xffff) >= WAITERS_MAX) {
        throw new OsipcError(`a Condition holds at most ${WAITERS_MAX} waits`, 'ERR_OSIPC_TOO_MANY_WAITERS');
      }
      if (Atomics.compareExchange(w, COUNTS, c, c + 1) === c) return { notified: false };
    }
  }

  #unregister(): void {
    const w = this.#w;
    for (;;) {
      const c = Atomics.load(w, COUNTS);
      if ((c & 0xffff) === 0) return;
      if (Atomics.compareExchange(w, COUNTS, c, c - 1) === c) return;
    }
  }

  // Takes a ticket (and leaves the waiters' count) in one step. `leaving`: only
  // when every remaining waiter has one, i.e. one was issued for this waiter.
  #takeTicket(waiter: Waiter, leaving: boolean): boolean {
    const w = this.#w;
    for (;;) {
      const c = Atomics.load(w, COUNTS);
      const tickets = c >>> 16;
      if (tickets === 0 || (leaving && tickets < (c & 0xffff))) return false;
      if (Atomics.compareExchange(w, COUNTS, c, c - TICKET - 1) === c) {
        waiter.notified = true;
        return true;
      }
    }
  }

  #releaseLock(): number {
    if (this.#lock instanceof RLock) return this.#lock.releaseAll();
    this.#lock.release();
    return 1;
  }

  #restore(levels: number): void {
    if (this.#lock instanceof RLock) this.#lock.restoreCount(levels);
  }
}

registerTransferable('Condition', (data) => Condition.open((data as { name: string }).name));
