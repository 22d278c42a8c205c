// SharedMutex: a robust mutex in shared memory, owned by a process, the core
// of Lock, RLock, Condition, Value's lock and the shared-memory Queue.
//
// Four 32-bit words at `byteOffset` (docs/interop/sync.md):
//   [0] state: 0 when free; else the owner's pid (bits 0..29) | WAITERS (bit 31)
//   [1] the pid whose start time words [2..3] hold (published after acquiring)
//   [2] [3] that process's start time, low and high 32 bits (Linux: clock
//       ticks since boot, /proc/<pid>/stat field 22; macOS: 0)
// Uncontended lock and unlock are atomics only. A contended waiter sets
// WAITERS and sleeps on word 0 with futex in bounded slices; whenever the owner
// has not changed for a slice it asks the OS whether that owner is still the
// same live process (pid + start time, so a reused pid is not mistaken for it)
// and takes the lock over from a dead one ('owner-died').
import { AbortError, ClosedError, OsipcError } from '../errors.js';
import { futexUnchecked } from '../os/futex.js';
import { ownStartTime, processStartTime } from '../os/liveness.js';
import { rangeError, typeError, validateInteger, validateWaitOptions } from '../validate.js';

/** Bytes a SharedMutex occupies (a multiple of 8). */
export const MUTEX_BYTES = 16;

export type TryLockResult = 'acquired' | 'owner-died' | 'busy';
/** 'reentered': only for a mutex made with `reentrant` (RLock): this process already held it. */
export type LockResult = 'acquired' | 'owner-died' | 'timed-out' | 'reentered';

const STATE = 0;
const REC_PID = 1;
const REC_START_LO = 2;
const REC_START_HI = 3;
const PID_MASK = 0x3fffffff;
const WAITERS = 0x80000000 | 0;
// On x64 an aligned plain load is atomic and is not reordered with other loads
// or with an earlier locked instruction (every path here follows a CAS): a
// plain read of the record saves an Atomics call (V8 does not inline them on a
// non-shared ArrayBuffer).
const PLAIN_LOAD_OK = process.arch === 'x64';
/** Longest sleep between two looks at the owner: a dead owner is noticed within about this. */
export const OWNER_CHECK_MS = 150;

interface Pending {
  resolve(r: LockResult): void;
  reject(e: unknown): void;
  cleanup(): void;
}

/** Validates (buffer, byteOffset) for an object of `bytes` bytes, 8-aligned. */
export function checkPlacement(buffer: unknown, byteOffset: unknown, bytes: number): number {
  if (!(buffer instanceof ArrayBuffer)) {
    throw typeError('buffer', 'an ArrayBuffer (a SharedMemory buffer)', buffer);
  }
  const off = validateInteger(byteOffset, 'byteOffset', 0);
  if (off % 8 !== 0) throw rangeError('byteOffset', 'a multiple of 8', off);
  if (off + bytes > buffer.byteLength) {
    throw rangeError('byteOffset', `<= ${buffer.byteLength - bytes} (the object takes ${bytes} bytes)`, off);
  }
  return off;
}

export class SharedMutex {
  readonly #w: Int32Array;
  readonly #pid = process.pid;
  readonly #startLo: number;
  readonly #startHi: number;
  #queue: Pending[] = [];
  #pumping = false;
  /** Ends the pump's current futex wait early (nobody left waiting, or close). */
  #cancelWait: (() => void) | null = null;
  #closed = false;
  readonly #what: string;
  readonly #reentrant: boolean;
  #published = false;
  // Liveness watch: the owner pid seen last, since when, and a suspicion
  // (the state word seen with a start-time mismatch on the previous look).
  #watchPid = 0;
  #watchSince = 0;
  #suspect = 0;

  /**
   * `what` names the lock in errors ('Lock', 'RLock', ...). `reentrant`: a
   * waiting lock() resolves 'reentered' as soon as this process holds the
   * mutex (RLock: the owner is the whole process, not one async task).
   */
  constructor(buffer: ArrayBuffer, byteOffset: number, what = 'lock', options?: { reentrant?: boolean }) {
    this.#what = what;
    this.#reentrant = options?.reentrant === true;
    const off = checkPlacement(buffer, byteOffset, MUTEX_BYTES);
    this.#w = new Int32Array(buffer, off, 4);
    const start = ownStartTime();
    this.#startLo = start % 0x100000000 | 0;
    this.#startHi = Math.floor(start / 0x100000000) | 0;
  }

  /** Prepares the words of a new mutex (a fresh segment is zeroed already). */
  static initialize(buffer: ArrayBuffer, byteOffset: number): void {
    const off = checkPlacement(buffer, byteOffset, MUTEX_BYTES);
    new Int32Array(buffer, off, 4).fill(0);
  }

  /** True when this process holds the mutex. */
  get heldByMe(): boolean {
    const w = this.#w;
    return (Atomics.load(w, STATE) & PID_MASK) === this.#pid && Atomics.load(w, REC_PID) === this.#pid &&
      Atomics.load(w, REC_START_LO) === this.#startLo && Atomics.load(w, REC_START_HI) === this.#startHi;
  }

  /** True when some process holds it (a snapshot). */
  get locked(): boolean {
    return Atomics.load(this.#w, STATE) !== 0;
  }

  /**
   * Makes this process the holder of a mutex that process `pid` holds and hands
   * over (it sent us the rest of its work). False when `pid` no longer holds it
   * (another process took it over from `pid`, dead).
   */
  takeFrom(pid: number): boolean {
    if (this.#closed) throw new ClosedError(this.#what);
    const w = this.#w;
    for (;;) {
      const v = Atomics.load(w, STATE);
      if ((v & PID_MASK) !== pid) return false;
      if (Atomics.compareExchange(w, STATE, v, this.#pid | (v & WAITERS)) !== v) continue;
      this.#publish();
      return true;
    }
  }

  /** Takes the mutex if it is free, or from a dead owner; never sleeps. */
  tryLock(): TryLockResult {
    if (this.#closed) throw new ClosedError(this.#what);
    if (Atomics.compareExchange(this.#w, STATE, 0, this.#pid) === 0) {
      this.#publish();
      return 'acquired';
    }
    return this.#tryLockSlow();
  }

  #tryLockSlow(): TryLockResult {
    for (;;) {
      const v = Atomics.load(this.#w, STATE);
      if (v === 0) {
        if (Atomics.compareExchange(this.#w, STATE, 0, this.#pid) === 0) {
          this.#publish();
          return 'acquired';
        }
        continue;
      }
      if (!this.#ownerDead(v, false)) return 'busy';
      if (Atomics.compareExchange(this.#w, STATE, v, this.#pid | (v & WAITERS)) === v) {
        this.#publish();
        return 'owner-died';
      }
    }
  }

  /**
   * Waits for the mutex without blocking the event loop. Pending calls in this
   * process queue here (first come, first served locally) and share one
   * native wait. Rejects with AbortError when `signal` fires.
   */
  lock(options?: { timeout?: number; signal?: AbortSignal }): Promise<LockResult> {
    let timeout: number, signal: AbortSignal | undefined;
    try {
      ({ timeout, signal } = validateWaitOptions(options));
      this.#checkOpen();
    } catch (err) {
      return Promise.reject(err);
    }
    if (signal?.aborted) return Promise.reject(new AbortError(undefined, { cause: signal.reason }));
    if (this.#queue.length === 0 && Atomics.compareExchange(this.#w, STATE, 0, this.#pid) === 0) {
      this.#publish();
      return Promise.resolve('acquired');
    }
    if (timeout === 0) {
      const r = this.tryLock();
      return Promise.resolve(r === 'busy' ? 'timed-out' : r);
    }
    return new Promise<LockResult>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const onAbort = (): void => {
        this.#drop(entry);
        reject(new AbortError(undefined, { cause: signal!.reason }));
      };
      const entry: Pending = {
        resolve,
        reject,
        cleanup: () => {
          if (timer) clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
        },
      };
      if (timeout !== Infinity) {
        timer = setTimeout(() => {
          this.#drop(entry);
          resolve('timed-out');
        }, timeout);
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#queue.push(entry);
      void this.#pump();
    });
  }

  /** Blocks this thread until acquired or `timeout` ms (Infinity: no limit). */
  lockSync(options?: { timeout?: number }): LockResult {
    // The uncontended path first: one CAS (options are checked on the slow path).
    if (options === undefined && !this.#closed && Atomics.compareExchange(this.#w, STATE, 0, this.#pid) === 0) {
      this.#publish();
      return 'acquired';
    }
    return this.#lockSyncSlow(options);
  }

  #lockSyncSlow(options: { timeout?: number } | undefined): LockResult {
    const { timeout } = validateWaitOptions(options);
    this.#checkOpen();
    if (Atomics.compareExchange(this.#w, STATE, 0, this.#pid) === 0) {
      this.#publish();
      return 'acquired';
    }
    if (timeout === 0) {
      const r = this.tryLock();
      return r === 'busy' ? 'timed-out' : r;
    }
    const forever = timeout === Infinity;
    const deadline = forever ? Infinity : performance.now() + timeout;
    const buffer = this.#w.buffer as ArrayBuffer;
    for (;;) {
      const r = this.#attempt();
      if (typeof r === 'string') return r;
      const left = forever ? OWNER_CHECK_MS : deadline - performance.now();
      if (left <= 0) return 'timed-out';
      futexUnchecked.waitSync(buffer, this.#w.byteOffset, r, left < OWNER_CHECK_MS ? left : OWNER_CHECK_MS);
    }
  }

  /** Releases the mutex; throws ERR_OSIPC_NOT_OWNER unless this process holds it. */
  unlock(): void {
    if (this.#closed) throw new ClosedError(this.#what);
    const w = this.#w;
    // The common case in one CAS and no syscall: the record is this object's
    // and no sleeper is announced (the state is exactly our pid, which only
    // this process writes, so this process holds the lock).
    if (this.#recordIsMine() && Atomics.compareExchange(w, STATE, this.#pid, 0) === this.#pid) return;
    const v = Atomics.load(w, STATE);
    if ((v & PID_MASK) !== this.#pid || (!this.#recordIsMine() && !this.heldByMe)) throw notOwner(this.#what);
    if (v === this.#pid && Atomics.compareExchange(w, STATE, v, 0) === v) return;
    const prev = Atomics.exchange(w, STATE, 0);
    if ((prev & WAITERS) !== 0) futexUnchecked.wake(w.buffer as ArrayBuffer, w.byteOffset, 1);
  }

  /**
   * Stops using the memory (call before unmapping it): pending lock() calls
   * reject with ClosedError. Does not unlock.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const err = new ClosedError(this.#what);
    for (const p of this.#queue.splice(0)) {
      p.cleanup();
      p.reject(err);
    }
    this.#cancelWait?.();
  }

  #checkOpen(): void {
    if (this.#closed) throw new ClosedError(this.#what);
  }

  // Records this process (pid + start time) as the owner, so waiters can tell
  // whether it is still alive. Skipped when the record already says so.
  #publish(): void {
    if (this.#recordIsMine()) return;
    const w = this.#w;
    Atomics.store(w, REC_PID, 0);
    Atomics.store(w, REC_START_LO, this.#startLo);
    Atomics.store(w, REC_START_HI, this.#startHi);
    Atomics.store(w, REC_PID, this.#pid);
    this.#published = true;
  }

  // Once this object has written the record, a record naming our pid can only
  // be ours (an earlier process with our pid died before we started, and we
  // wrote over its record): one load instead of three.
  #recordIsMine(): boolean {
    return this.#published && (PLAIN_LOAD_OK ? this.#w[REC_PID] : Atomics.load(this.#w, REC_PID)) === this.#pid;
  }

  // One step of a contended acquire: the outcome, or the state value to sleep
  // on (WAITERS set, so the holder's unlock wakes a sleeper).
  #attempt(): 'acquired' | 'owner-died' | 'reentered' | number {
    const w = this.#w;
    if (this.#reentrant && this.heldByMe) return 'reentered';
    for (;;) {
      const v = Atomics.load(w, STATE);
      if (v === 0) {
        // Taken with WAITERS: others may be asleep, and our unlock must wake them.
        if (Atomics.compareExchange(w, STATE, 0, this.#pid | WAITERS) === 0) {
          this.#publish();
          return 'acquired';
        }
        continue;
      }
      if (this.#ownerDead(v, true)) {
        if (Atomics.compareExchange(w, STATE, v, this.#pid | WAITERS) === v) {
          this.#publish();
          return 'owner-died';
        }
        continue;
      }
      if ((v & WAITERS) === 0 && Atomics.compareExchange(w, STATE, v, v | WAITERS) !== v) continue;
      return v | WAITERS;
    }
  }

  // Is the owner named in state word `v` gone? With `paced`, only looks once
  // the same owner has held the lock for OWNER_CHECK_MS (a look reads /proc).
  #ownerDead(v: number, paced: boolean): boolean {
    const pid = v & PID_MASK;
    if (paced) {
      const now = performance.now();
      if (pid !== this.#watchPid) {
        this.#watchPid = pid;
        this.#watchSince = now;
        return false;
      }
      if (now - this.#watchSince < OWNER_CHECK_MS) return false;
      this.#watchSince = now;
    }
    // A pid the OS cannot have (a corrupt word) has no live owner.
    if (pid === 0) return true;
    let start: number | null;
    if (pid === this.#pid) start = ownStartTime();
    else {
      try {
        start = processStartTime(pid);
      } catch {
        return false; // cannot tell (e.g. /proc unreadable): assume alive
      }
    }
    if (start === null) return true;
    if (process.platform !== 'linux') return false;
    const w = this.#w;
    if (Atomics.load(w, REC_PID) !== pid) return false; // the new owner has not published yet
    const recorded = (Atomics.load(w, REC_START_LO) >>> 0) + (Atomics.load(w, REC_START_HI) >>> 0) * 0x100000000;
    if (recorded === start) {
      this.#suspect = 0;
      return false;
    }
    // The pid is alive but is another process (pid reused) — or the owner is
    // between acquiring and publishing. Believe it on the second look.
    if (this.#suspect === v) return true;
    this.#suspect = v;
    return false;
  }

  #drop(entry: Pending): void {
    entry.cleanup();
    const i = this.#queue.indexOf(entry);
    if (i !== -1) this.#queue.splice(i, 1);
    if (this.#queue.length === 0) this.#cancelWait?.();
  }

  // Serves queued lock() calls in order with at most one native wait at a time.
  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#queue.length > 0 && !this.#closed) {
        let r: 'acquired' | 'owner-died' | 'reentered' | number;
        try {
          r = this.#attempt();
        } catch (err) {
          this.#failAll(err);
          return;
        }
        if (typeof r === 'string') {
          const p = this.#queue.shift()!;
          p.cleanup();
          p.resolve(r);
          continue;
        }
        try {
          const { promise, cancel } = futexUnchecked.waitAsync(this.#w.buffer as ArrayBuffer, this.#w.byteOffset, r,
            OWNER_CHECK_MS);
          this.#cancelWait = cancel;
          await promise;
        } catch (err) {
          this.#failAll(err);
          return;
        } finally {
          this.#cancelWait = null;
        }
      }
    } finally {
      this.#pumping = false;
    }
  }

  #failAll(err: unknown): void {
    for (const p of this.#queue.splice(0)) {
      p.cleanup();
      p.reject(err);
    }
  }
}

/** Release by a process that does not hold the lock. */
export function notOwner(what = 'lock'): OsipcError {
  return new OsipcError(`cannot release a ${what} this process does not hold`, 'ERR_OSIPC_NOT_OWNER');
}
