// futex: sleep until a 32-bit word in shared memory changes, and wake sleepers,
// across processes. Atomics.wait cannot do this (V8 keeps its wait lists per
// process and needs a SharedArrayBuffer), so sleeping and waking are native.
// Linux: futex(2). macOS: __ulock_wait/__ulock_wake (shared). Elsewhere ENOSYS.
import { native } from '../binding.js';
import { AbortError } from '../errors.js';
import { ringWait } from './futex-ring.js';
import { typeError, rangeError, validateInteger, validateWaitOptions, type WaitOptions } from '../validate.js';

export type FutexWaitResult = 'ok' | 'not-equal' | 'timed-out';

const binding = native as {
  /** 0 'ok', 1 'not-equal', 2 'timed-out' (numbers: no string made per call). */
  futexWaitSync(buffer: ArrayBuffer, byteOffset: number, expected: number, timeoutMs: number): 0 | 1 | 2;
  futexWaitAsync(buffer: ArrayBuffer, byteOffset: number, expected: number, timeoutMs: number, ref: boolean):
    [Promise<FutexWaitResult | 'cancelled'>, number];
  futexWake(buffer: ArrayBuffer, byteOffset: number, count: number): number;
  cancelWait(id: number): void;
};

type WordView = Int32Array | Uint32Array;

const OUTCOMES: readonly FutexWaitResult[] = ['ok', 'not-equal', 'timed-out'];

function wordOffset(view: unknown, index: unknown): number {
  if (!(view instanceof Int32Array) && !(view instanceof Uint32Array)) {
    throw typeError('view', 'an Int32Array or Uint32Array', view);
  }
  if (view.buffer instanceof SharedArrayBuffer) {
    throw typeError('view', 'a view of a SharedMemory buffer (not a SharedArrayBuffer)', view);
  }
  const i = validateInteger(index, 'index', 0);
  if (i >= view.length) throw rangeError('index', `< ${view.length}`, i);
  return view.byteOffset + i * 4;
}

function expectedWord(view: WordView, expected: unknown): number {
  validateInteger(expected, 'expected', view instanceof Int32Array ? -0x80000000 : 0,
    view instanceof Int32Array ? 0x7fffffff : 0xffffffff);
  return (expected as number) | 0;
}

export interface FutexWaitOptions extends WaitOptions {
  /** false: do not keep the event loop alive while waiting (background watchers). */
  ref?: boolean;
}

export const futex = {
  /**
   * Sleeps while `view[index] === expected` without blocking the event loop:
   * on Linux >= 6.7 the kernel completes the wait through an io_uring that the
   * event loop polls, elsewhere one of osipc's own threads waits. Resolves
   * 'ok' when woken (re-check your condition: a wake may be spurious),
   * 'not-equal' when the word already differed, or 'timed-out'. Rejects with
   * an AbortError when `signal` fires.
   */
  async wait(view: WordView, index: number, expected: number, options?: FutexWaitOptions): Promise<FutexWaitResult> {
    const offset = wordOffset(view, index);
    const want = expectedWord(view, expected);
    const { timeout, signal } = validateWaitOptions(options);
    if (signal?.aborted) throw new AbortError(undefined, { cause: signal.reason });
    if ((Atomics.load(view, index) | 0) !== want) return 'not-equal';
    if (timeout === 0) return 'timed-out';
    const { promise, cancel } = arm(view.buffer as ArrayBuffer, offset, want, timeout, options?.ref !== false);
    if (!signal) return promise as Promise<FutexWaitResult>;
    return new Promise<FutexWaitResult>((resolve, reject) => {
      const onAbort = (): void => {
        cancel();
        reject(new AbortError(undefined, { cause: signal.reason }));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      promise.then((r) => {
        signal.removeEventListener('abort', onAbort);
        if (r !== 'cancelled') resolve(r);
      }, (err) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      });
    });
  },

  /** Like wait(), blocking this thread for at most `timeout` ms (Infinity: no limit). */
  waitSync(view: WordView, index: number, expected: number, options?: { timeout?: number }): FutexWaitResult {
    const offset = wordOffset(view, index);
    const want = expectedWord(view, expected);
    const timeout = options === undefined ? Infinity : validateWaitOptions(options).timeout;
    return OUTCOMES[binding.futexWaitSync(view.buffer as ArrayBuffer, offset, want, timeout)]!;
  },

  /** Wakes up to `count` sleepers (all by default); returns how many were woken. */
  wake(view: WordView, index: number, count = Infinity): number {
    const offset = wordOffset(view, index);
    const n = count === Infinity ? -1 : validateInteger(count, 'count', 0, 0x7fffffff);
    return binding.futexWake(view.buffer as ArrayBuffer, offset, n);
  },
};

/** A pending Promise wait and the way to end it early (it then resolves 'cancelled'). */
export interface PendingWait {
  promise: Promise<FutexWaitResult | 'cancelled'>;
  cancel(): void;
}

// Arms a Promise wait: through the io_uring when this thread has one, else
// on the wait service's threads.
function arm(buffer: ArrayBuffer, byteOffset: number, expected: number, timeoutMs: number, ref: boolean): PendingWait {
  const ringed = ringWait(buffer, byteOffset, expected, timeoutMs, ref);
  if (ringed !== null) return ringed;
  const [promise, id] = binding.futexWaitAsync(buffer, byteOffset, expected, timeoutMs, ref);
  return { promise, cancel: () => binding.cancelWait(id) };
}

/**
 * @internal The same calls without argument checks, for osipc's own lock and
 * semaphore loops (their words are checked once, when the object is built):
 * `byteOffset` is the word's offset in `buffer`, 4-aligned and inside it.
 */
export const futexUnchecked = {
  waitSync(buffer: ArrayBuffer, byteOffset: number, expected: number, timeoutMs: number): FutexWaitResult {
    return OUTCOMES[binding.futexWaitSync(buffer, byteOffset, expected, timeoutMs)]!;
  },
  /**
   * A Promise wait ended early by `cancel()` rather than an AbortSignal: the
   * hot loops of locks and queues sleep and wake often, and an AbortController
   * with its event listeners costs microseconds per sleep.
   */
  waitAsync(buffer: ArrayBuffer, byteOffset: number, expected: number, timeoutMs: number): PendingWait {
    return arm(buffer, byteOffset, expected, timeoutMs, true);
  },
  wake(buffer: ArrayBuffer, byteOffset: number, count: number): number {
    return binding.futexWake(buffer, byteOffset, count);
  },
};
