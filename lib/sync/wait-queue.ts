// A process's waiters on one futex word: pending waits queue here in JS and
// share ONE native wait (so 1000 pending waits hold one thread, not 1000).
// Each round the queue asks `attempt` whether a waiter can go on now; if none
// can, it announces itself (`prepare`) and sleeps on the word for a bounded
// slice, so a lost wake-up costs at most one slice.
import { AbortError, ClosedError } from '../errors.js';
import { futexUnchecked } from '../os/futex.js';

export const TIMED_OUT: unique symbol = Symbol('timed-out');
export type TimedOut = typeof TIMED_OUT;

/** Longest single sleep: a missed wake-up is noticed within this. */
export const SLICE_MS = 150;

export interface WaitSpec<R, C> {
  /** The outcome for a waiter with context `ctx` if it can go on now, else undefined. */
  attempt(ctx: C): R | undefined;
  /**
   * Announces a sleeper and reads the word: returns the value it must still
   * hold to sleep, or undefined to look again without sleeping. Always
   * followed by finish().
   */
  prepare(): number | undefined;
  /** Withdraws what prepare() announced. */
  finish(): void;
  /** Called for a waiter that gives up (timeout, abort, close) after it was queued. */
  leave?(ctx: C): void;
}

interface Pending<R, C> {
  ctx: C;
  resolve(r: R | TimedOut): void;
  reject(e: unknown): void;
  cleanup(): void;
}

export class WaitQueue<R, C = undefined> {
  readonly #view: Int32Array;
  readonly #index: number;
  readonly #spec: WaitSpec<R, C>;
  readonly #what: string;
  #queue: Pending<R, C>[] = [];
  #pumping = false;
  /** Ends the pump's current futex wait early (nobody left waiting, or close). */
  #cancelWait: (() => void) | null = null;
  #closed = false;

  constructor(view: Int32Array, index: number, spec: WaitSpec<R, C>, what: string) {
    this.#view = view;
    this.#index = index;
    this.#spec = spec;
    this.#what = what;
  }

  get pending(): number {
    return this.#queue.length;
  }

  /** Waits (arguments already validated). Resolves the outcome or TIMED_OUT. */
  wait(ctx: C, timeout: number, signal: AbortSignal | undefined): Promise<R | TimedOut> {
    if (this.#closed) return Promise.reject(new ClosedError(this.#what));
    // A wait that ends before it queues still leaves (a Condition counted it already).
    if (signal?.aborted) {
      this.#spec.leave?.(ctx);
      return Promise.reject(new AbortError(undefined, { cause: signal.reason }));
    }
    if (this.#queue.length === 0) {
      const r = this.#spec.attempt(ctx);
      if (r !== undefined) return Promise.resolve(r);
      if (timeout === 0) {
        this.#spec.leave?.(ctx);
        return Promise.resolve(TIMED_OUT);
      }
    }
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const onAbort = (): void => {
        this.#drop(entry);
        reject(new AbortError(undefined, { cause: signal!.reason }));
      };
      const entry: Pending<R, C> = {
        ctx,
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
          resolve(TIMED_OUT);
        }, timeout);
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#queue.push(entry);
      void this.#pump();
    });
  }

  /** Blocks this thread until an outcome or `timeout` ms. */
  waitSync(ctx: C, timeout: number): R | TimedOut {
    if (this.#closed) throw new ClosedError(this.#what);
    const buffer = this.#view.buffer as ArrayBuffer;
    const offset = this.#view.byteOffset + this.#index * 4;
    // No clock reads without a limit: they are a good part of a round trip.
    const forever = timeout === Infinity;
    const deadline = forever ? Infinity : performance.now() + timeout;
    for (;;) {
      // The word is read (prepare) before the condition is checked (attempt),
      // so a change in between makes the futex wait return at once.
      const expected = this.#spec.prepare();
      try {
        const r = this.#spec.attempt(ctx);
        if (r !== undefined) return r;
        const left = forever ? SLICE_MS : deadline - performance.now();
        if (left <= 0) {
          this.#spec.leave?.(ctx);
          return TIMED_OUT;
        }
        if (expected !== undefined) futexUnchecked.waitSync(buffer, offset, expected, left < SLICE_MS ? left : SLICE_MS);
      } finally {
        this.#spec.finish();
      }
    }
  }

  /** Rejects every pending wait with ClosedError and stops the native wait. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#failAll(new ClosedError(this.#what));
    this.#cancelWait?.();
  }

  #drop(entry: Pending<R, C>): void {
    entry.cleanup();
    const i = this.#queue.indexOf(entry);
    if (i !== -1) {
      this.#queue.splice(i, 1);
      this.#spec.leave?.(entry.ctx);
    }
    if (this.#queue.length === 0) this.#cancelWait?.();
  }

  #failAll(err: unknown): void {
    for (const p of this.#queue.splice(0)) {
      p.cleanup();
      this.#spec.leave?.(p.ctx);
      p.reject(err);
    }
  }

  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#queue.length > 0 && !this.#closed) {
        let expected: number | undefined;
        try {
          // Read the word (prepare) before checking (attempt): a change in
          // between makes the futex wait return at once, so no wake is lost.
          expected = this.#spec.prepare();
          // Everyone who can go on now does, in queue order.
          for (let i = 0; i < this.#queue.length;) {
            const p = this.#queue[i]!;
            const r = this.#spec.attempt(p.ctx);
            if (r === undefined) {
              i++;
              continue;
            }
            this.#queue.splice(i, 1);
            p.cleanup();
            p.resolve(r);
          }
        } catch (err) {
          this.#spec.finish();
          this.#failAll(err);
          return;
        }
        if (this.#queue.length === 0 || expected === undefined) {
          this.#spec.finish();
          continue;
        }
        try {
          const v = this.#view;
          const { promise, cancel } = futexUnchecked.waitAsync(v.buffer as ArrayBuffer, v.byteOffset + this.#index * 4,
            expected, SLICE_MS);
          this.#cancelWait = cancel;
          await promise;
        } catch (err) {
          if (!this.#closed) {
            this.#spec.finish();
            this.#failAll(err);
            return;
          }
        } finally {
          this.#cancelWait = null;
        }
        // Closed while asleep: the mapping may be gone (finish() would throw on
        // the detached buffer, an unhandled rejection); nothing is left to withdraw.
        if (this.#closed) return;
        this.#spec.finish();
      }
    } finally {
      this.#pumping = false;
    }
  }
}
