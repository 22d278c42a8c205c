// AsyncResult: what Pool.applyAsync and Pool.mapAsync return (Python's
// multiprocessing.pool.AsyncResult). Settled by the pool, read by the user.
import { AbortError, OsipcError, TimeoutError } from './errors.js';
import { throwIfAborted, validateWaitOptions, type WaitOptions } from './validate.js';

const MAX_TIMER = 2 ** 31 - 1;

/** @internal The pool's way to settle a result; not part of the public API. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export let settleResult: (r: AsyncResult<any>, ok: boolean, value: unknown) => void;

export class AsyncResult<T> {
  #state: 'pending' | 'ok' | 'error' = 'pending';
  #value: unknown = undefined;
  #waiters = new Set<() => void>();
  readonly #callback: ((value: T) => void) | undefined;
  readonly #errorCallback: ((err: Error) => void) | undefined;

  static {
    settleResult = (r, ok, value) => r.#settle(ok, value);
  }

  /** @internal Made by the pool. */
  constructor(callback?: (value: T) => void, errorCallback?: (err: Error) => void) {
    this.#callback = callback;
    this.#errorCallback = errorCallback;
  }

  /** True once the task has finished (successfully or not). */
  ready(): boolean {
    return this.#state !== 'pending';
  }

  /** Whether the task succeeded; an OsipcError ERR_OSIPC_NOT_READY before it finished. */
  successful(): boolean {
    if (this.#state === 'pending') {
      throw new OsipcError('the result is not ready', 'ERR_OSIPC_NOT_READY');
    }
    return this.#state === 'ok';
  }

  /**
   * Resolves with the value, rejects with the task's error (a RemoteError for
   * an error thrown in the worker), with TimeoutError when `timeout` ms pass
   * first, with AbortError when `signal` fires.
   */
  async get(options?: WaitOptions): Promise<T> {
    if (!(await this.wait(options))) throw new TimeoutError('the result did not arrive in time');
    if (this.#state === 'error') throw this.#value;
    return this.#value as T;
  }

  /** Resolves with true once the result is ready, with false when `timeout` ms pass first. */
  wait(options?: WaitOptions): Promise<boolean> {
    let timeout: number, signal: AbortSignal | undefined;
    try {
      ({ timeout, signal } = validateWaitOptions(options));
      throwIfAborted(signal);
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.#state !== 'pending') return Promise.resolve(true);
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = (result: boolean | Error): void => {
        this.#waiters.delete(done);
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (result instanceof Error) reject(result);
        else resolve(result);
      };
      const done = (): void => finish(true);
      const onAbort = (): void => finish(new AbortError(undefined, { cause: signal!.reason }));
      this.#waiters.add(done);
      if (timeout !== Infinity) timer = setTimeout(() => finish(false), Math.min(timeout, MAX_TIMER));
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  #settle(ok: boolean, value: unknown): void {
    if (this.#state !== 'pending') return;
    this.#state = ok ? 'ok' : 'error';
    this.#value = value;
    for (const w of [...this.#waiters]) w();
    // Callbacks run here, in the parent; an error they throw is the caller's
    // bug and surfaces as an uncaught exception, as in an event listener. It
    // is thrown on its own tick: thrown here, it would unwind through the pool
    // reading its worker's answers and stop that reading (the pool would hang).
    try {
      if (ok) this.#callback?.(value as T);
      else this.#errorCallback?.(value as Error);
    } catch (err) {
      process.nextTick(() => {
        throw err;
      });
    }
  }
}
