// Waiting on kernel objects that offer nothing to poll (System V message
// queues): retry a non-blocking attempt on the main thread, first on every
// turn of the event loop for a fraction of a millisecond (a reply that is on
// its way arrives within that on this kind of machine), then on timers that
// back off to BACKOFF_CAP_MS. The event loop is never blocked and no thread is
// used; the price is latency (up to the cap plus timer slack) for a message
// that arrives after a long idle wait, and a few hundred wakeups a second
// while a wait is pending.
import { AbortError } from '../errors.js';

/** Turns of the event loop are used for this long before timers take over. */
export const SPIN_MS = 0.25;
/** The longest pause between attempts. */
export const BACKOFF_CAP_MS = 4;

export interface BackoffWait<T> {
  promise: Promise<T | null>;
  /** Stops the wait: the promise rejects with `err` (e.g. on close()). */
  cancel(err: Error): void;
}

/**
 * Calls `attempt` until it returns a value (resolves with it), `timeout` ms
 * pass (resolves null), or `signal` fires (rejects with an AbortError). The
 * first attempt is the caller's: this starts with a pause.
 */
export function waitWithBackoff<T>(attempt: () => T | null, timeout: number,
  signal: AbortSignal | undefined): BackoffWait<T> {
  const start = performance.now();
  let pause = 1;
  let immediate: NodeJS.Immediate | undefined;
  let timer: NodeJS.Timeout | undefined;
  let settle!: (value: T | null, err?: Error) => void;
  const promise = new Promise<T | null>((resolve, reject) => {
    let done = false;
    const onAbort = (): void => settle(null, new AbortError(undefined, { cause: signal!.reason }));
    settle = (value, err) => {
      if (done) return;
      done = true;
      if (immediate) clearImmediate(immediate);
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve(value);
    };
    const tick = (): void => {
      immediate = timer = undefined;
      let got: T | null;
      try {
        got = attempt();
      } catch (err) {
        settle(null, err as Error);
        return;
      }
      if (got !== null) return settle(got);
      const elapsed = performance.now() - start;
      if (elapsed >= timeout) return settle(null);
      if (elapsed < SPIN_MS) {
        immediate = setImmediate(tick);
      } else {
        timer = setTimeout(tick, Math.min(pause, timeout - elapsed));
        pause = Math.min(pause * 2, BACKOFF_CAP_MS);
      }
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    immediate = setImmediate(tick);
  });
  return { promise, cancel: (err) => settle(null, err) };
}
