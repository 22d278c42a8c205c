// A minimal process-shared lock on one 32-bit word of a segment's lock area,
// standing in until the synchronization issue's Lock lands; then lockInSegment()
// returns that Lock instead (the one line to change).
//
// The word follows Drepper's futex mutex ("Futexes Are Tricky", mutex 3):
//   0 unlocked, 1 locked, 2 locked and someone may be sleeping.
// acquire: CAS 0->1; otherwise swap in 2 and sleep on the word while it is 2.
// release: swap in 0; if it was 2, wake one sleeper.
// A C program takes the same lock with __atomic builtins and futex(2) on the
// word at byte 64 of the segment (docs/interop/values.md).
//
// Known limits of this stand-in: no owner (any process may release), and a
// holder killed while holding it leaves it locked (the real Lock detects that).
import { ClosedError, OsipcError, TimeoutError } from './errors.js';
import { futex } from './os/futex.js';
import { validateFunction, validateWaitOptions, type WaitOptions } from './validate.js';

const UNLOCKED = 0;
const LOCKED = 1;
const CONTENDED = 2;

// A short spin before sleeping: critical sections on a Value are a few
// nanoseconds, so a waiter usually gets the lock without a futex round trip.
const SPINS = 100;

export class SegmentLock {
  readonly #word: Int32Array;
  readonly #what: string;

  /** `buffer` is a SharedMemory mapping; the lock is the 4-aligned word at `byteOffset`. */
  constructor(buffer: ArrayBuffer, byteOffset: number, what = 'Lock') {
    this.#word = new Int32Array(buffer, byteOffset, 1);
    this.#what = what;
  }

  // A closed segment detaches its buffer: the view then has length 0.
  #checkOpen(): Int32Array {
    const w = this.#word;
    if (w.length === 0) throw new ClosedError(this.#what);
    return w;
  }

  /** Takes the lock if it is free; never waits. */
  tryAcquire(): boolean {
    return Atomics.compareExchange(this.#checkOpen(), 0, UNLOCKED, LOCKED) === UNLOCKED;
  }

  /** Fast path and spin; returns the last value seen (UNLOCKED means acquired). */
  #trySpin(w: Int32Array): number {
    let c = Atomics.compareExchange(w, 0, UNLOCKED, LOCKED);
    for (let i = 0; c !== UNLOCKED && i < SPINS; i++) {
      if (Atomics.load(w, 0) === UNLOCKED) c = Atomics.compareExchange(w, 0, UNLOCKED, LOCKED);
    }
    return c;
  }

  /**
   * Blocks this thread until the lock is taken (true) or `timeout` ms pass
   * (false). Not reentrant: acquiring twice without release waits for ever.
   */
  acquireSync(options?: { timeout?: number }): boolean {
    const w = this.#checkOpen();
    const { timeout } = validateWaitOptions(options);
    if (this.#trySpin(w) === UNLOCKED) return true;
    const deadline = performance.now() + timeout;
    while (Atomics.exchange(w, 0, CONTENDED) !== UNLOCKED) {
      const left = deadline - performance.now();
      if (left <= 0) return false;
      futex.waitSync(w, 0, CONTENDED, { timeout: left });
      if (w.length === 0) throw new ClosedError(this.#what);
    }
    return true;
  }

  /**
   * Takes the lock, sleeping off the event loop while another process holds it.
   * Resolves true when taken, false after `timeout` ms; rejects with an
   * AbortError when `signal` fires.
   */
  async acquire(options?: WaitOptions): Promise<boolean> {
    const w = this.#checkOpen();
    const { timeout, signal } = validateWaitOptions(options);
    signal?.throwIfAborted();
    if (this.#trySpin(w) === UNLOCKED) return true;
    const deadline = performance.now() + timeout;
    while (Atomics.exchange(w, 0, CONTENDED) !== UNLOCKED) {
      const left = deadline - performance.now();
      if (left <= 0) return false;
      try {
        await futex.wait(w, 0, CONTENDED, { timeout: left, signal });
      } catch (err) {
        if (w.length === 0) throw new ClosedError(this.#what);
        throw err;
      }
      if (w.length === 0) throw new ClosedError(this.#what);
    }
    return true;
  }

  /** Releases the lock (from any process). Releasing an unlocked lock is an error. */
  release(): void {
    const w = this.#checkOpen();
    const prev = Atomics.exchange(w, 0, UNLOCKED);
    if (prev === UNLOCKED) throw new OsipcError(`${this.#what} released while not locked`, 'ERR_OSIPC_NOT_LOCKED');
    if (prev !== LOCKED) futex.wake(w, 0, 1);
  }

  /** Runs `fn` holding the lock (taken with acquire()), and releases it however fn ends. */
  async withLock<R>(fn: () => R | Promise<R>, options?: WaitOptions): Promise<R> {
    validateFunction(fn, 'fn');
    if (!(await this.acquire(options))) throw timedOut(this.#what);
    try {
      return await fn();
    } finally {
      this.release();
    }
  }

  /** Runs `fn` holding the lock (taken with acquireSync()), and releases it however fn ends. */
  withLockSync<R>(fn: () => R, options?: { timeout?: number }): R {
    validateFunction(fn, 'fn');
    if (!this.acquireSync(options)) throw timedOut(this.#what);
    try {
      return fn();
    } finally {
      this.release();
    }
  }

  /** True while some process holds the lock (a snapshot). */
  get locked(): boolean {
    return Atomics.load(this.#checkOpen(), 0) !== UNLOCKED;
  }

}

function timedOut(what: string): TimeoutError {
  return new TimeoutError(`timed out waiting for ${what}`);
}

/**
 * The lock living in a segment's lock area. The one place to change when the
 * synchronization issue's Lock lands: return that Lock over the same bytes.
 */
export function lockInSegment(buffer: ArrayBuffer, byteOffset: number): SegmentLock {
  return new SegmentLock(buffer, byteOffset);
}
