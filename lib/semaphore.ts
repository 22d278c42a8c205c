// Semaphore and BoundedSemaphore shared by processes (Python's
// multiprocessing.Semaphore / BoundedSemaphore), as a counter in shared memory:
// an uncontended acquire or release is one atomic; the kernel (futex) is used
// only to sleep and to wake sleepers. No owner: any process may release.
// Memory (16 bytes): [0] value  [1] processes asleep  [2] bound (-1: none)  [3] 0
import { ClosedError, OsipcError, TimeoutError } from './errors.js';
import { futexUnchecked } from './os/futex.js';
import { createSegment, openSegment, type Placed, type SyncKind } from './sync/segment.js';
import { TIMED_OUT, WaitQueue } from './sync/wait-queue.js';
import { kTransfer, registerTransferable, type TransferDescriptor } from './transfer.js';
import {
  validateInteger, validateIpcName, validateOptions, validateWaitOptions, type WaitOptions,
} from './validate.js';

const BYTES = 16;
const VALUE = 0;
const SLEEPERS = 1;
const BOUND = 2;
const MAX = 0x7fffffff;

export class Semaphore {
  static readonly BYTES = BYTES;

  readonly #placed: Placed;
  readonly #w: Int32Array;
  readonly #buffer: ArrayBuffer;
  readonly #waiters: WaitQueue<true>;
  readonly #kind: SyncKind;
  #closed = false;

  /** A semaphore whose counter starts at `value` (default 1). */
  constructor(value?: number, options?: { name?: string });
  /** @internal */
  constructor(value: number | undefined, options: { name?: string } | undefined, placed: Placed, kind?: SyncKind);
  constructor(value = 1, options?: { name?: string }, placed?: Placed, kind?: SyncKind) {
    this.#kind = kind ?? (new.target === BoundedSemaphore ? 'BoundedSemaphore' : 'Semaphore');
    if (!placed) {
      const v = validateInteger(value, 'value', 0, MAX);
      const o = validateOptions(options);
      const name = o.name === undefined ? undefined : validateIpcName(o.name, 'options.name');
      const bound = this.#kind === 'BoundedSemaphore' ? v : -1;
      placed = createSegment(this.#kind, BYTES, name, (buffer, offset) => {
        new Int32Array(buffer, offset, 4).set([v, 0, bound, 0]);
      });
    }
    this.#placed = placed;
    const w = (this.#w = new Int32Array(placed.buffer, placed.offset, 4));
    this.#buffer = placed.buffer;
    this.#waiters = new WaitQueue<true>(w, VALUE, {
      attempt: () => (this.#take() ? true : undefined),
      prepare: () => {
        Atomics.add(w, SLEEPERS, 1);
        const v = Atomics.load(w, VALUE);
        return v > 0 ? undefined : v;
      },
      finish: () => void Atomics.sub(w, SLEEPERS, 1),
    }, this.#kind);
  }

  static open(name: string): Semaphore {
    return new Semaphore(undefined, undefined, openSegment('Semaphore', BYTES, name), 'Semaphore');
  }

  get name(): string | undefined {
    return this.#placed.shm?.name;
  }

  /** The counter now (a snapshot; Python's get_value()). */
  get value(): number {
    this.#check();
    return Math.max(0, Atomics.load(this.#w, VALUE));
  }

  /** Waits until the counter is above 0 and decrements it; false on timeout. */
  async acquire(options?: WaitOptions): Promise<boolean> {
    const { timeout, signal } = validateWaitOptions(options);
    this.#check();
    return (await this.#waiters.wait(undefined, timeout, signal)) !== TIMED_OUT;
  }

  acquireSync(options?: { timeout?: number }): boolean {
    const timeout = options === undefined ? Infinity : validateWaitOptions(options).timeout;
    this.#check();
    if (this.#take()) return true; // no sleeper announced when it is free now
    return this.#waiters.waitSync(undefined, timeout) !== TIMED_OUT;
  }

  tryAcquire(): boolean {
    this.#check();
    return this.#take();
  }

  /** Adds `n` (default 1) to the counter, waking as many waiters. */
  release(n = 1): void {
    if (n !== 1) validateInteger(n, 'n', 1, MAX);
    this.#check();
    const w = this.#w;
    const bound = Atomics.load(w, BOUND);
    for (;;) {
      const v = Atomics.load(w, VALUE);
      if (bound >= 0 && v + n > bound) {
        throw new OsipcError(`BoundedSemaphore released too many times (value ${v}, bound ${bound})`,
          'ERR_OSIPC_SEMAPHORE_OVERFLOW');
      }
      if (v > MAX - n) throw new OsipcError('Semaphore value would overflow', 'ERR_OSIPC_SEMAPHORE_OVERFLOW');
      if (Atomics.compareExchange(w, VALUE, v, v + n) === v) break;
    }
    if (Atomics.load(w, SLEEPERS) > 0) futexUnchecked.wake(this.#buffer, this.#placed.offset + VALUE * 4, n);
  }

  async withLock<T>(fn: () => T | Promise<T>, options?: WaitOptions): Promise<T> {
    if (!(await this.acquire(options))) throw new TimeoutError(`timed out waiting for the ${this.#kind}`);
    try {
      return await fn();
    } finally {
      this.release();
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#waiters.close();
    this.#placed.shm?.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  [kTransfer](): TransferDescriptor {
    this.#check();
    return { kind: 'Semaphore', data: { name: this.#placed.shm!.name } };
  }

  #take(): boolean {
    const w = this.#w;
    for (;;) {
      const v = Atomics.load(w, VALUE);
      if (v <= 0) return false;
      if (Atomics.compareExchange(w, VALUE, v, v - 1) === v) return true;
    }
  }

  #check(): void {
    if (this.#closed) throw new ClosedError(this.#kind);
  }
}

/** A Semaphore whose release() past its initial value throws ERR_OSIPC_SEMAPHORE_OVERFLOW (Python: ValueError). */
export class BoundedSemaphore extends Semaphore {
  constructor(value = 1, options?: { name?: string }) {
    super(value, options);
  }

  static override open(name: string): BoundedSemaphore {
    const s = new Semaphore(undefined, undefined, openSegment('BoundedSemaphore', BYTES, name), 'BoundedSemaphore');
    Object.setPrototypeOf(s, BoundedSemaphore.prototype);
    return s as BoundedSemaphore;
  }

  override [kTransfer](): TransferDescriptor {
    return { ...super[kTransfer](), kind: 'BoundedSemaphore' };
  }
}

registerTransferable('Semaphore', (data) => Semaphore.open((data as { name: string }).name));
registerTransferable('BoundedSemaphore', (data) => BoundedSemaphore.open((data as { name: string }).name));
