// PROVISIONAL: stands in for lib/sync/mutex.ts (branch `sync`) until it is
// merged; same API, no owner-death detection. Deleted at the merge.
import { AbortError } from '../errors.js';
import { futex } from '../os/futex.js';
import { validateWaitOptions } from '../validate.js';

export const MUTEX_BYTES = 16;
export type TryLockResult = 'acquired' | 'owner-died' | 'busy';
export type LockResult = 'acquired' | 'owner-died' | 'timed-out';

export class SharedMutex {
  readonly #w: Int32Array;
  constructor(buffer: ArrayBuffer, byteOffset: number) {
    this.#w = new Int32Array(buffer, byteOffset, 4);
  }

  get locked(): boolean {
    return Atomics.load(this.#w, 0) !== 0;
  }

  tryLock(): TryLockResult {
    return Atomics.compareExchange(this.#w, 0, 0, process.pid) === 0 ? 'acquired' : 'busy';
  }

  async lock(options?: { timeout?: number; signal?: AbortSignal }): Promise<LockResult> {
    const { timeout, signal } = validateWaitOptions(options);
    const deadline = performance.now() + timeout;
    for (;;) {
      if (signal?.aborted) throw new AbortError(undefined, { cause: signal.reason });
      if (this.tryLock() === 'acquired') return 'acquired';
      const left = deadline - performance.now();
      if (left <= 0) return 'timed-out';
      const v = Atomics.load(this.#w, 0);
      Atomics.store(this.#w, 1, 1);
      if (v !== 0) await futex.wait(this.#w, 0, v, { timeout: Math.min(left, 100), signal });
    }
  }

  lockSync(options?: { timeout?: number }): LockResult {
    const { timeout } = validateWaitOptions(options);
    const deadline = performance.now() + timeout;
    for (;;) {
      if (this.tryLock() === 'acquired') return 'acquired';
      const left = deadline - performance.now();
      if (left <= 0) return 'timed-out';
      const v = Atomics.load(this.#w, 0);
      Atomics.store(this.#w, 1, 1);
      if (v !== 0) futex.waitSync(this.#w, 0, v, { timeout: Math.min(left, 100) });
    }
  }

  unlock(): void {
    Atomics.store(this.#w, 0, 0);
    if (Atomics.exchange(this.#w, 1, 0) !== 0) futex.wake(this.#w, 0);
  }

  close(): void {}
}
