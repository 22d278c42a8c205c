// Barrier shared by processes (Python's multiprocessing.Barrier): `parties`
// waits meet; the last to arrive runs `action` (if its Barrier object has one),
// then all go on, each with a distinct arrival index 0..parties-1.
// Memory (56 bytes):
//   [0..15]  SharedMutex guarding the words below
//   [4] parties  [5] count (arrived in this generation)  [6] seq: bumped at every
//   change, waiters sleep on it  [7] generation  [8] broken bits: bit (g % 32) set
//   when generation g ended broken  [9] broken now  [10..11] 0
//   bytes 48..55: default timeout in ms (float64; Infinity for none)
import { BrokenBarrierError, ClosedError, OsipcError } from './errors.js';
import { futex } from './os/futex.js';
import { SharedMutex } from './sync/mutex.js';
import { createSegment, openSegment, type Placed } from './sync/segment.js';
import { TIMED_OUT, WaitQueue } from './sync/wait-queue.js';
import { kTransfer, registerTransferable, type TransferDescriptor } from './transfer.js';
import {
  validateFunction, validateInteger, validateIpcName, validateNumber, validateOptions, validateWaitOptions,
  type WaitOptions,
} from './validate.js';

const BYTES = 56;
const PARTIES = 4;
const COUNT = 5;
const SEQ = 6;
const GEN = 7;
const BROKEN_BITS = 8;
const BROKEN = 9;
const TIMEOUT_AT = 48;

export interface BarrierOptions {
  /** Run by the last process to arrive, before the others are released. */
  action?: () => unknown;
  /** Default timeout of wait() in ms (Infinity: none). */
  timeout?: number;
  name?: string;
}

type Outcome = 'passed' | 'broken';

export class Barrier {
  readonly #placed: Placed;
  readonly #w: Int32Array;
  readonly #mutex: SharedMutex;
  readonly #action: (() => unknown) | undefined;
  readonly #waiters: WaitQueue<Outcome, { gen: number }>;
  #closed = false;

  constructor(parties: number, options?: BarrierOptions);
  /** @internal */
  constructor(parties: number | undefined, options: BarrierOptions | undefined, placed: Placed);
  constructor(parties?: number, options?: BarrierOptions, placed?: Placed) {
    const o = validateOptions(options);
    this.#action = o.action === undefined ? undefined : validateFunction(o.action, 'options.action') as () => unknown;
    if (!placed) {
      const n = validateInteger(parties, 'parties', 1, 0x7fffffff);
      const timeout = o.timeout === undefined ? Infinity : validateNumber(o.timeout, 'options.timeout', 0);
      const name = o.name === undefined ? undefined : validateIpcName(o.name, 'options.name');
      placed = createSegment('Barrier', BYTES, name, (buffer, offset) => {
        SharedMutex.initialize(buffer, offset);
        new Int32Array(buffer, offset, 12)[PARTIES] = n;
        new Float64Array(buffer, offset + TIMEOUT_AT, 1)[0] = timeout;
      });
    }
    this.#placed = placed;
    const w = (this.#w = new Int32Array(placed.buffer, placed.offset, 12));
    this.#mutex = new SharedMutex(placed.buffer, placed.offset, 'Barrier');
    this.#waiters = new WaitQueue<Outcome, { gen: number }>(w, SEQ, {
      attempt: (ctx) => this.#outcome(ctx.gen),
      prepare: () => Atomics.load(w, SEQ),
      finish: () => {},
    }, 'Barrier');
  }

  /** Opens the Barrier `name`; `action` runs here when this process arrives last. */
  static open(name: string, options?: { action?: () => unknown }): Barrier {
    const o = validateOptions(options);
    const placed = openSegment('Barrier', BYTES, name);
    const parties = new Int32Array(placed.buffer, placed.offset, 12)[PARTIES]!;
    if (parties < 1) {
      placed.shm?.close();
      throw new OsipcError(`${name} holds an invalid Barrier (parties ${parties})`, 'ERR_OSIPC_WRONG_KIND');
    }
    return new Barrier(undefined, { action: o.action }, placed);
  }

  get name(): string | undefined {
    return this.#placed.shm?.name;
  }

  get parties(): number {
    this.#check();
    return Atomics.load(this.#w, PARTIES);
  }

  /** How many waits are blocked in the current generation. */
  get nWaiting(): number {
    this.#check();
    return Atomics.load(this.#w, BROKEN) ? 0 : Atomics.load(this.#w, COUNT);
  }

  get broken(): boolean {
    this.#check();
    return Atomics.load(this.#w, BROKEN) !== 0;
  }

  /** The default timeout of wait() (ms). */
  get timeout(): number {
    return new Float64Array(this.#placed.buffer, this.#placed.offset + TIMEOUT_AT, 1)[0]!;
  }

  /**
   * Waits for all parties; resolves this wait's arrival index. Rejects with
   * BrokenBarrierError when the barrier is or becomes broken (abort, reset,
   * another wait's timeout, a failed action, a process that died holding its
   * lock); a timeout breaks it for every party, as in Python.
   */
  async wait(options?: WaitOptions): Promise<number> {
    const { timeout, signal } = this.#waitOptions(options);
    const deadline = performance.now() + timeout;
    const r = await this.#mutex.lock({ timeout, signal });
    if (r === 'timed-out') throw new BrokenBarrierError('timed out waiting for the barrier');
    const arrived = await this.#arrive(r === 'owner-died', true);
    if (typeof arrived === 'number') return arrived;
    const left = Math.max(0, deadline - performance.now());
    let outcome;
    try {
      outcome = await this.#waiters.wait(arrived, left, signal);
    } catch (err) {
      // An abandoned wait would leave the generation one party short: break it.
      if (!this.#closed && this.#outcome(arrived.gen) === undefined) {
        this.#locked(() => {
          if (Atomics.load(this.#w, GEN) === arrived.gen) this.#break();
        });
      }
      throw err;
    }
    return this.#finish(outcome, arrived.gen, arrived.index);
  }

  /** Like wait(), blocking this thread (the action, if any, must not return a Promise). */
  waitSync(options?: { timeout?: number }): number {
    const { timeout } = this.#waitOptions(options);
    const deadline = performance.now() + timeout;
    const r = this.#mutex.lockSync({ timeout });
    if (r === 'timed-out') throw new BrokenBarrierError('timed out waiting for the barrier');
    const arrived = this.#arriveSync(r === 'owner-died');
    if (typeof arrived === 'number') return arrived;
    const outcome = this.#waiters.waitSync(arrived, Math.max(0, deadline - performance.now()));
    return this.#finish(outcome, arrived.gen, arrived.index);
  }

  /** Breaks the barrier: current and future waits reject until reset(). */
  abort(): void {
    this.#locked(() => this.#break());
  }

  /** Returns the barrier to empty and unbroken; current waits reject with BrokenBarrierError. */
  reset(): void {
    this.#locked(() => {
      const w = this.#w;
      const gen = Atomics.load(w, GEN);
      if (Atomics.load(w, COUNT) > 0 && !Atomics.load(w, BROKEN)) this.#markBroken(gen);
      this.#nextGeneration(gen);
      Atomics.store(w, BROKEN, 0);
      this.#bump();
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#waiters.close();
    this.#mutex.close();
    this.#placed.shm?.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  [kTransfer](): TransferDescriptor {
    this.#check();
    return { kind: 'Barrier', data: { name: this.#placed.shm!.name } };
  }

  #waitOptions(options: WaitOptions | undefined): { timeout: number; signal: AbortSignal | undefined } {
    this.#check();
    const o = validateOptions(options);
    const v = validateWaitOptions(options);
    return { timeout: o.timeout === undefined ? this.timeout : v.timeout, signal: v.signal };
  }

  // Called holding the mutex: count this arrival. Returns the index when this
  // arrival completes the generation, or what to wait for.
  async #arrive(ownerDied: boolean, mayAwait: boolean): Promise<number | { gen: number; index: number }> {
    const step = this.#arriveStep(ownerDied);
    if (step.kind !== 'last') return step.value;
    try {
      const ret = this.#action?.();
      if (mayAwait && ret instanceof Promise) await ret;
    } catch (err) {
      this.#break();
      this.#mutex.unlock();
      throw err;
    }
    return this.#release(step.index);
  }

  #arriveSync(ownerDied: boolean): number | { gen: number; index: number } {
    const step = this.#arriveStep(ownerDied);
    if (step.kind !== 'last') return step.value;
    try {
      this.#action?.();
    } catch (err) {
      this.#break();
      this.#mutex.unlock();
      throw err;
    }
    return this.#release(step.index);
  }

  #arriveStep(ownerDied: boolean):
    { kind: 'wait'; value: { gen: number; index: number } } | { kind: 'last'; index: number; value?: never } {
    const w = this.#w;
    // A process died in the middle of changing the words: they cannot be trusted.
    if (ownerDied) this.#break();
    if (Atomics.load(w, BROKEN)) {
      this.#mutex.unlock();
      throw new BrokenBarrierError();
    }
    const parties = Atomics.load(w, PARTIES);
    const index = Atomics.load(w, COUNT);
    if (index < 0 || index >= parties) { // corrupt: fail safe
      this.#break();
      this.#mutex.unlock();
      throw new BrokenBarrierError('barrier state is corrupt');
    }
    if (index + 1 === parties) return { kind: 'last', index };
    Atomics.store(w, COUNT, index + 1);
    const gen = Atomics.load(w, GEN);
    this.#mutex.unlock();
    return { kind: 'wait', value: { gen, index } };
  }

  // Holding the mutex, last arrival: start the next generation and wake all.
  #release(index: number): number {
    this.#nextGeneration(Atomics.load(this.#w, GEN));
    this.#bump();
    this.#mutex.unlock();
    return index;
  }

  #finish(outcome: Outcome | typeof TIMED_OUT, gen: number, index: number): number {
    if (outcome === 'passed') return index;
    if (outcome === TIMED_OUT) {
      // Python: a wait that times out breaks the barrier for everyone.
      const last = this.#outcome(gen);
      if (last === 'passed') return index;
      this.#locked(() => {
        if (Atomics.load(this.#w, GEN) === gen) this.#break();
      });
      if (this.#outcome(gen) === 'passed') return index;
      throw new BrokenBarrierError('timed out waiting for the barrier');
    }
    throw new BrokenBarrierError();
  }

  #outcome(gen: number): Outcome | undefined {
    const w = this.#w;
    const now = Atomics.load(w, GEN);
    if (now !== gen) return (Atomics.load(w, BROKEN_BITS) >>> (gen & 31)) & 1 ? 'broken' : 'passed';
    return Atomics.load(w, BROKEN) ? 'broken' : undefined;
  }

  // Holding the mutex.
  #break(): void {
    const w = this.#w;
    if (!Atomics.load(w, BROKEN)) {
      Atomics.store(w, BROKEN, 1);
      this.#markBroken(Atomics.load(w, GEN));
    }
    Atomics.store(w, COUNT, 0);
    this.#bump();
  }

  #markBroken(gen: number): void {
    Atomics.or(this.#w, BROKEN_BITS, 1 << (gen & 31));
  }

  #nextGeneration(gen: number): void {
    const next = (gen + 1) | 0;
    Atomics.and(this.#w, BROKEN_BITS, ~(1 << (next & 31)));
    Atomics.store(this.#w, COUNT, 0);
    Atomics.store(this.#w, GEN, next);
  }

  #bump(): void {
    Atomics.add(this.#w, SEQ, 1);
    futex.wake(this.#w, SEQ);
  }

  // Runs `fn` holding the mutex (already held when called from inside the action).
  #locked(fn: () => void): void {
    this.#check();
    const mine = this.#mutex.heldByMe;
    if (!mine && this.#mutex.lockSync() === 'owner-died') this.#break();
    try {
      fn();
    } finally {
      if (!mine) this.#mutex.unlock();
    }
  }

  #check(): void {
    if (this.#closed) throw new ClosedError('Barrier');
  }
}

registerTransferable('Barrier', (data) => Barrier.open((data as { name: string }).name));
