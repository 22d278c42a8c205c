// Condition shared by processes (Python's multiprocessing.Condition): waiters
// release the lock, sleep until notified, and re-acquire it. notify(n) hands
// out n wake-up tickets to processes that are waiting NOW, so at most n waits
// return true for it (a later waiter cannot take a ticket meant for an earlier
// one: a wait takes a ticket only once the sequence has moved since it began).
// Memory (1320 bytes, layout version 2; docs/interop/sync.md):
//   [0] seq: bumped by every notify; waiters sleep on it (futex)
//   [1] waiters (bits 0..15) | tickets (bits 16..30), changed together by CAS
//   [2] lock: 0 = the Condition's own RLock (bytes 16..39), 1 = Lock by name, 2 = RLock by name
//   [3] byte length of that name; the name (UTF-8) at bytes 40..295
//   bytes 296..1319: 64 per-process records of 16 bytes, so the waits of a
//   process that died can be taken out of [1]:
//     [0] owner: 0 free; pid (bits 0..29) | READY (bit 30) once [2..3] are
//         written; REAPING (bit 31) | pid of the process emptying the record
//     [1] how many of the waiters counted in word [1] are this process's
//     [2] [3] the owner's start time, low and high 32 bits (as a mutex's record)
import { ClosedError, OsipcError } from './errors.js';
import { Lock } from './lock.js';
import { futex } from './os/futex.js';
import { ownStartTime, processStartTime } from './os/liveness.js';
import { RLock } from './rlock.js';
import { createSegment, nameOption, openSegment, type Placed } from './sync/segment.js';
import { TIMED_OUT, WaitQueue } from './sync/wait-queue.js';
import { kTransfer, registerTransferable, type TransferDescriptor } from './transfer.js';
import { typeError, validateFunction, validateInteger, validateWaitOptions, type WaitOptions } from './validate.js';

const OWN_LOCK_AT = 16;
const NAME_AT = OWN_LOCK_AT + RLock.BYTES;
const NAME_MAX_BYTES = 256;
const RECORDS_AT = NAME_AT + NAME_MAX_BYTES;
const RECORDS = 64;
const RECORD_WORDS = 4;
const BYTES = RECORDS_AT + RECORDS * RECORD_WORDS * 4;
const SEQ = 0;
const COUNTS = 1;
const LOCK_KIND = 2;
const NAME_LEN = 3;
const TICKET = 1 << 16;
const WAITERS_MAX = 0x7fff;
// A record's words, from its first word.
const R_OWNER = 0;
const R_WAITS = 1;
const R_START_LO = 2;
const R_START_HI = 3;
const PID_MASK = 0x3fffffff;
const READY = 0x40000000;
const REAPING = 0x80000000 | 0;
/** Least time between two looks for dead waiters by one Condition object (a look reads /proc). */
const LOOK_MS = 100;

type AnyLock = Lock | RLock;
/** `seq`: word [0] when the wait began. `record`: word index of its process's record, -1 if none. */
interface Waiter { notified: boolean; seq: number; record: number }

const recordAt = (i: number): number => RECORDS_AT / 4 + i * RECORD_WORDS;

export class Condition {
  readonly #placed: Placed;
  readonly #w: Int32Array;
  readonly #lock: AnyLock;
  readonly #ownsLock: boolean;
  readonly #waiters: WaitQueue<true, Waiter>;
  #closed = false;
  readonly #pid = process.pid;
  readonly #startLo: number;
  readonly #startHi: number;
  /** Word index of this process's record once found or claimed (-1: not yet). */
  #record = -1;
  /** performance.now() before which this object does not look for dead waiters again. */
  #nextLook = 0;

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
        // Records start zeroed (free): a fresh segment is zero-filled.
        w[LOCK_KIND] = lock === undefined ? 0 : lock instanceof Lock ? 1 : 2;
        w[NAME_LEN] = lockName.length;
        lockName.copy(new Uint8Array(buffer, offset + NAME_AT, NAME_MAX_BYTES));
        if (!lock) RLock.initialize(buffer, offset + OWN_LOCK_AT);
      });
    }
    this.#placed = placed;
    const start = ownStartTime();
    this.#startLo = start % 0x100000000 | 0;
    this.#startHi = Math.floor(start / 0x100000000) | 0;
    const w = (this.#w = new Int32Array(placed.buffer, placed.offset, BYTES / 4));
    this.#ownsLock = lock === undefined;
    this.#lock = lock ?? Condition.#lockOf(placed);
    this.#waiters = new WaitQueue<true, Waiter>(w, SEQ, {
      attempt: (waiter) => (this.#takeTicket(waiter, false) ? true : undefined),
      prepare: () => Atomics.load(w, SEQ),
      finish: () => {},
      leave: (waiter) => {
        // Gives up waiting, unless a ticket is already there for it. A ticket
        // held back for a dead waiter may be this one's: look for the dead first.
        if ((Atomics.load(w, COUNTS) >>> 16) > 0) this.#reapIfDue();
        if (!this.#takeTicket(waiter, true)) this.#unregister(waiter);
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
    if ((Atomics.load(w, COUNTS) & 0xffff) === 0) return;
    // Waits of dead processes would take tickets meant for live ones.
    this.#reapIfDue();
    let k: number;
    for (;;) {
      const c = Atomics.load(w, COUNTS);
      const waiting = c & 0xffff;
      const tickets = c >>> 16;
      k = Math.min(n, waiting - tickets);
      if (k > 0 && Atomics.compareExchange(w, COUNTS, c, c + k * TICKET) === c) break;
      if (k > 0) continue;
      // Every counted wait has a ticket, yet some of those tickets may be
      // takeable by nobody: their waits gave up or died, and the waits counted
      // now began after the notify that issued them. This notify makes them
      // takeable (the seq moves), so it wakes as many as it may; without it
      // those waits would sleep through every notify for ever.
      if (waiting > 0 && n > 0) {
        Atomics.add(w, SEQ, 1);
        futex.wake(w, SEQ, Math.min(n, waiting));
      }
      return;
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
    if ((Atomics.load(w, COUNTS) & 0xffff) >= WAITERS_MAX) this.#reapDead(false);
    const record = this.#ownRecord();
    for (;;) {
      const c = Atomics.load(w, COUNTS);
      if ((c & 0xffff) >= WAITERS_MAX) {
        throw new OsipcError(`a Condition holds at most ${WAITERS_MAX} waits`, 'ERR_OSIPC_TOO_MANY_WAITERS');
      }
      if (Atomics.compareExchange(w, COUNTS, c, c + 1) === c) break;
    }
    // Counted in [1] first, then in the record: a death in between leaves one
    // wait counted for ever (a leak), never one reaped that was not counted.
    if (record !== -1) Atomics.add(w, record + R_WAITS, 1);
    // Read with the lock held, so no notify can run between this and the count.
    return { notified: false, seq: Atomics.load(w, SEQ), record };
  }

  #unregister(waiter: Waiter): void {
    const w = this.#w;
    // Out of the record first (same reason as in #begin, the other way round).
    if (waiter.record !== -1) Atomics.sub(w, waiter.record + R_WAITS, 1);
    for (;;) {
      const c = Atomics.load(w, COUNTS);
      const waiting = c & 0xffff;
      if (waiting === 0) return;
      // Tickets beyond the waits left can never be taken: drop them with it.
      const tickets = Math.min(c >>> 16, waiting - 1);
      if (Atomics.compareExchange(w, COUNTS, c, (waiting - 1) | (tickets * TICKET)) === c) return;
    }
  }

  // Takes a ticket (and leaves the waiters' count) in one step. Only tickets of
  // a notify made since the wait began. `leaving`: only when every remaining
  // waiter has one, i.e. one was issued for this waiter.
  #takeTicket(waiter: Waiter, leaving: boolean): boolean {
    const w = this.#w;
    let c = Atomics.load(w, COUNTS);
    const can = (): boolean => {
      const tickets = c >>> 16;
      return tickets !== 0 && !(leaving && tickets < (c & 0xffff)) && Atomics.load(w, SEQ) !== waiter.seq;
    };
    if (!can()) return false;
    const record = waiter.record;
    if (record !== -1) Atomics.sub(w, record + R_WAITS, 1);
    for (;;) {
      if (Atomics.compareExchange(w, COUNTS, c, c - TICKET - 1) === c) {
        waiter.notified = true;
        return true;
      }
      c = Atomics.load(w, COUNTS);
      if (!can()) {
        if (record !== -1) Atomics.add(w, record + R_WAITS, 1);
        return false;
      }
    }
  }

  // This process's record (word index), claimed on the first wait; -1 when all
  // are held by live processes (the wait is then counted in [1] only, as
  // before records existed, and stays counted if this process dies).
  #ownRecord(): number {
    const w = this.#w;
    const mine = this.#pid | READY;
    if (this.#record !== -1 && Atomics.load(w, this.#record + R_OWNER) === mine) return this.#record;
    for (let i = 0; i < RECORDS; i++) {
      const r = recordAt(i);
      if (Atomics.load(w, r + R_OWNER) !== mine) continue;
      // Our pid, but maybe an earlier process's that died: then it is dead for sure.
      if (this.#startIsMine(r)) return (this.#record = r);
      this.#reap(r, mine);
    }
    let r = this.#claim();
    if (r === -1 && this.#lookDue()) {
      this.#reapDead(true);
      r = this.#claim();
    }
    if (r !== -1) this.#record = r;
    return r;
  }

  #claim(): number {
    const w = this.#w;
    for (let i = 0; i < RECORDS; i++) {
      const r = recordAt(i);
      if (Atomics.load(w, r + R_OWNER) !== 0 || Atomics.compareExchange(w, r + R_OWNER, 0, this.#pid) !== 0) continue;
      Atomics.store(w, r + R_WAITS, 0);
      Atomics.store(w, r + R_START_LO, this.#startLo);
      Atomics.store(w, r + R_START_HI, this.#startHi);
      Atomics.store(w, r + R_OWNER, this.#pid | READY);
      return r;
    }
    return -1;
  }

  #lookDue(): boolean {
    const now = performance.now();
    if (now < this.#nextLook) return false;
    this.#nextLook = now + LOOK_MS;
    return true;
  }

  #reapIfDue(): void {
    if (this.#lookDue()) this.#reapDead(false);
  }

  // Takes the waits of dead processes out of the counts. `all`: also frees
  // records of dead processes that have no wait (to make room); otherwise
  // only records with waits are looked at (a look reads /proc).
  #reapDead(all: boolean): void {
    const w = this.#w;
    for (let i = 0; i < RECORDS; i++) {
      const r = recordAt(i);
      const v = Atomics.load(w, r + R_OWNER);
      if (v === 0) continue;
      if ((v & PID_MASK) === this.#pid) {
        // Ours, or that of an earlier process with our pid (dead for sure).
        if ((v & (READY | REAPING)) === READY && !this.#startIsMine(r)) this.#reap(r, v);
        continue;
      }
      if ((v & REAPING) === 0 && !all && Atomics.load(w, r + R_WAITS) === 0) continue;
      if (this.#ownerDead(v, r)) this.#reap(r, v);
    }
  }

  #startIsMine(r: number): boolean {
    return Atomics.load(this.#w, r + R_START_LO) === this.#startLo &&
      Atomics.load(this.#w, r + R_START_HI) === this.#startHi;
  }

  // Is the process named by owner word `v` of record `r` gone?
  #ownerDead(v: number, r: number): boolean {
    let start: number | null;
    try {
      start = processStartTime(v & PID_MASK);
    } catch {
      return false; // cannot tell (e.g. /proc unreadable): assume alive
    }
    if (start === null) return true;
    // A live pid: a claim or a reap in progress, or a process that has it now.
    if ((v & READY) === 0 || (v & REAPING) !== 0 || process.platform !== 'linux') return false;
    const recorded = (Atomics.load(this.#w, r + R_START_LO) >>> 0) +
      (Atomics.load(this.#w, r + R_START_HI) >>> 0) * 0x100000000;
    return recorded !== start; // the pid was reused
  }

  // Empties record `r` whose owner word was `v` (a dead process, or a dead
  // reaper's mark): its waits leave [1], with the tickets no live wait can take.
  #reap(r: number, v: number): void {
    const w = this.#w;
    if (Atomics.compareExchange(w, r + R_OWNER, v, REAPING | this.#pid) !== v) return;
    // Zeroed before [1] is lowered: a reaper dying in between leaks the waits
    // (still counted), a second reaper can never subtract them twice.
    const n = Atomics.exchange(w, r + R_WAITS, 0);
    for (;;) {
      const c = Atomics.load(w, COUNTS);
      const waiting = (c & 0xffff) - Math.min(n, c & 0xffff);
      // No more tickets than waits left: the extra ones were the dead's.
      const next = waiting | (Math.min(c >>> 16, waiting) << 16);
      if (Atomics.compareExchange(w, COUNTS, c, next) === c) break;
    }
    Atomics.store(w, r + R_OWNER, 0);
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
