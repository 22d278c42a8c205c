// Event shared by processes (Python's multiprocessing.Event): a flag in shared
// memory that waiters sleep on (futex) until some process sets it.
// Memory (8 bytes): [0] state: bit 0 = set, bits 1..31 = how many times it was
// set (so a set() followed at once by clear() still releases everyone who was
// waiting, as in Python)  [1] processes asleep
import { ClosedError } from './errors.js';
import { futex } from './os/futex.js';
import { createSegment, nameOption, openSegment, type Placed } from './sync/segment.js';
import { TIMED_OUT, WaitQueue } from './sync/wait-queue.js';
import { kTransfer, registerTransferable, type TransferDescriptor } from './transfer.js';
import { validateWaitOptions, type WaitOptions } from './validate.js';

const BYTES = 8;
const FLAG = 0;
const SLEEPERS = 1;

export class Event {
  static readonly BYTES = BYTES;

  readonly #placed: Placed;
  readonly #w: Int32Array;
  readonly #waiters: WaitQueue<true, number>;
  #closed = false;

  /** A new, clear Event. */
  constructor(options?: { name?: string });
  /** @internal */
  constructor(options: { name?: string } | undefined, placed: Placed);
  constructor(options?: { name?: string }, placed?: Placed) {
    this.#placed = placed ?? createSegment('Event', BYTES, nameOption(options), () => {});
    const w = (this.#w = new Int32Array(this.#placed.buffer, this.#placed.offset, 2));
    this.#waiters = new WaitQueue<true, number>(w, FLAG, {
      // Goes on when set now, or set at least once since the wait began.
      attempt: (began) => {
        const v = Atomics.load(w, FLAG);
        return (v & 1) !== 0 || (v >>> 1) !== began ? true : undefined;
      },
      prepare: () => {
        Atomics.add(w, SLEEPERS, 1);
        return Atomics.load(w, FLAG);
      },
      finish: () => void Atomics.sub(w, SLEEPERS, 1),
    }, 'Event');
  }

  static open(name: string): Event {
    return new Event(undefined, openSegment('Event', BYTES, name));
  }

  get name(): string | undefined {
    return this.#placed.shm?.name;
  }

  isSet(): boolean {
    this.#check();
    return (Atomics.load(this.#w, FLAG) & 1) !== 0;
  }

  /** Sets the flag and wakes every waiter in every process. */
  set(): void {
    this.#check();
    const w = this.#w;
    for (;;) {
      const v = Atomics.load(w, FLAG);
      if (v & 1) return;
      if (Atomics.compareExchange(w, FLAG, v, ((v >>> 1) + 1) << 1 | 1) === v) break;
    }
    if (Atomics.load(w, SLEEPERS) > 0) futex.wake(w, FLAG);
  }

  clear(): void {
    this.#check();
    Atomics.and(this.#w, FLAG, ~1);
  }

  /** Resolves true once the flag is set, false if `timeout` ms pass first. */
  async wait(options?: WaitOptions): Promise<boolean> {
    const { timeout, signal } = validateWaitOptions(options);
    this.#check();
    return (await this.#waiters.wait(Atomics.load(this.#w, FLAG) >>> 1, timeout, signal)) !== TIMED_OUT;
  }

  waitSync(options?: { timeout?: number }): boolean {
    const { timeout } = validateWaitOptions(options);
    this.#check();
    return this.#waiters.waitSync(Atomics.load(this.#w, FLAG) >>> 1, timeout) !== TIMED_OUT;
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
    return { kind: 'Event', data: { name: this.#placed.shm!.name } };
  }

  #check(): void {
    if (this.#closed) throw new ClosedError('Event');
  }
}

registerTransferable('Event', (data) => Event.open((data as { name: string }).name));
