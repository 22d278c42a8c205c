// The work a Pool hands out. A job yields tasks (one call, or a chunk of
// calls) when the scheduler asks, and takes back each task's outcome.
// Internal to Pool.
import { packNumbers, type Chunk } from './pool-numbers.js';
import { AsyncResult, settleResult } from './pool-result.js';

export interface TaskSpec {
  fn: string;
  /**
   * One input per call: its arguments when `star`, else the one argument
   * (a typed array when map's inputs were all numbers).
   */
  items: Chunk;
  star: boolean;
  /** The job's own number for the task (its chunk index). */
  index: number;
}

/** What take() returns: a task, 'wait' (nothing now: ask later) or 'done'. */
export type Take = TaskSpec | 'wait' | 'done';

export interface Job {
  take(): Take;
  /** The chunk's values (an array, or a typed array of numbers) when ok, else the error. */
  settle(index: number, ok: boolean, valuesOrError: unknown): void;
  /** Fails whatever is not settled (the pool was terminated or broke). */
  abort(err: Error): void;
}

/** One call: apply and applyAsync. */
export class SingleJob implements Job {
  #sent = false;
  constructor(readonly fn: string, readonly args: unknown[], readonly result: AsyncResult<unknown>) {}

  take(): Take {
    if (this.#sent) return 'done';
    this.#sent = true;
    return { fn: this.fn, items: [this.args], star: true, index: 0 };
  }

  settle(_index: number, ok: boolean, v: unknown): void {
    settleResult(this.result, ok, ok ? (v as ArrayLike<unknown>)[0] : v);
  }

  abort(err: Error): void {
    settleResult(this.result, false, err);
  }
}

/** A whole list in chunks: map, mapAsync, starmap, starmapAsync. */
export class ListJob implements Job {
  #next = 0;
  #left: number;
  #values: unknown[] | null = null;
  /** The inputs, until every chunk is cut from them. */
  #source: readonly unknown[] | null;
  /** Chunks of `chunksize` inputs (the last may be shorter), cut in order; taken ones are let go. */
  #chunks: (Chunk | null)[] = [];
  readonly length: number;
  readonly #count: number;

  /**
   * `source` is the caller's array (or a copy of the iterable): it must not
   * be kept past the call that made the job, see cutAll().
   */
  constructor(readonly fn: string, source: readonly unknown[], readonly star: boolean,
    readonly chunksize: number, readonly result: AsyncResult<unknown[]>) {
    this.#source = source;
    this.length = source.length;
    this.#count = Math.ceil(source.length / chunksize);
    this.#left = this.#count;
    if (this.#count === 0) settleResult(result, true, []);
  }

  /**
   * Copies the inputs not cut yet, so the caller's array is free to change
   * (the pool calls it right after the first chunks went out: the workers
   * start on them meanwhile).
   */
  cutAll(): void {
    while (this.#chunks.length < this.#count) this.#cut();
    this.#source = null;
    // The result array too, while the workers run the first chunks: a big
    // one costs this process a fresh page for every 512 elements.
    if (this.#count > 0) this.#values ??= new Array(this.length);
  }

  // A run of numbers becomes one typed array that travels as it is; anything else a slice.
  #cut(): void {
    const src = this.#source!;
    const start = this.#chunks.length * this.chunksize;
    const end = Math.min(start + this.chunksize, src.length);
    this.#chunks.push((this.star ? null : packNumbers(src, start, end)) ?? src.slice(start, end));
  }

  take(): Take {
    if (this.#next >= this.#count) return 'done';
    while (this.#chunks.length <= this.#next) this.#cut();
    const items = this.#chunks[this.#next]!;
    this.#chunks[this.#next] = null;
    return { fn: this.fn, items, star: this.star, index: this.#next++ };
  }

  settle(index: number, ok: boolean, v: unknown): void {
    if (this.result.ready()) return;
    // As Python's map: the first failed chunk fails the whole result.
    if (!ok) return settleResult(this.result, false, v);
    const values = v as ArrayLike<unknown>;
    // Made by cutAll(), after the first chunks went out.
    const out = this.#values ??= new Array(this.length);
    copyInto(out, index * this.chunksize, values);
    if (--this.#left === 0) settleResult(this.result, true, out);
  }

  abort(err: Error): void {
    settleResult(this.result, false, err);
  }
}

// One loop per kind of chunk: a loop that sees Int32Arrays, Float64Arrays and
// arrays alike reads each element through a slow generic path.
function copyInto(out: unknown[], base: number, values: ArrayLike<unknown>): void {
  if (values instanceof Int32Array) copyInts(out, base, values);
  else if (values instanceof Float64Array) copyDoubles(out, base, values);
  else for (let i = 0; i < values.length; i++) out[base + i] = values[i];
}

function copyInts(out: unknown[], base: number, values: Int32Array): void {
  for (let i = 0; i < values.length; i++) out[base + i] = values[i];
}

function copyDoubles(out: unknown[], base: number, values: Float64Array): void {
  for (let i = 0; i < values.length; i++) out[base + i] = values[i];
}

type Outcome = { ok: true; values: ArrayLike<unknown> } | { ok: false; error: unknown };

/**
 * imap and imapUnordered: pulls inputs from the iterator only when a worker
 * is free and fewer than `ahead` finished chunks wait for the reader, so
 * memory stays flat however long the input is.
 */
export class StreamJob implements Job, AsyncIterableIterator<unknown> {
  #source: Iterator<unknown> | null;
  #pulled = 0;          // chunks taken from the source
  #inFlight = 0;
  #done = false;        // the source is exhausted (or failed)
  #sourceError: { error: unknown } | null = null;
  #finished = new Map<number, Outcome>();   // ordered: by chunk index
  #arrivals: Outcome[] = [];                // unordered: in arrival order
  #nextIndex = 0;                           // ordered: next chunk to hand out
  #current: ArrayLike<unknown> = [];       // values of the chunk being handed out
  #pos = 0;
  #closed = false;
  #reader: (() => void) | null = null;
  #aborted: Error | null = null;

  constructor(readonly fn: string, iterable: Iterable<unknown>, readonly star: boolean,
    readonly chunksize: number, readonly ordered: boolean, readonly ahead: number,
    readonly kick: () => void) {
    this.#source = iterable[Symbol.iterator]();
  }

  get #buffered(): number {
    return this.ordered ? this.#finished.size : this.#arrivals.length;
  }

  take(): Take {
    if (this.#closed || this.#aborted) return 'done';
    if (this.#done || this.#source === null) return 'done';
    if (this.#buffered + this.#inFlight >= this.ahead) return 'wait';
    const items: unknown[] = [];
    try {
      while (items.length < this.chunksize) {
        const r = this.#source.next();
        if (r.done) {
          this.#done = true;
          break;
        }
        items.push(this.star ? [...(r.value as Iterable<unknown>)] : r.value);
      }
    } catch (error) {
      this.#done = true;
      this.#sourceError = { error };
    }
    if (items.length === 0) {
      this.#wake();
      return 'done';
    }
    this.#inFlight++;
    return { fn: this.fn, items, star: this.star, index: this.#pulled++ };
  }

  settle(index: number, ok: boolean, v: unknown): void {
    this.#inFlight--;
    if (this.#closed) return;
    const outcome: Outcome = ok ? { ok: true, values: v as ArrayLike<unknown> } : { ok: false, error: v };
    if (this.ordered) this.#finished.set(index, outcome);
    else this.#arrivals.push(outcome);
    this.#wake();
  }

  abort(err: Error): void {
    this.#aborted ??= err;
    this.#wake();
  }

  async next(): Promise<IteratorResult<unknown>> {
    for (;;) {
      if (this.#pos < this.#current.length) {
        const current = this.#current;
        const value = current[this.#pos];
        // Let handed-out values go (a typed array of numbers holds nothing to free).
        if (Array.isArray(current)) current[this.#pos] = undefined;
        this.#pos++;
        return { value, done: false };
      }
      if (this.#closed) return { value: undefined, done: true };
      const outcome = this.ordered ? this.#finished.get(this.#nextIndex) : this.#arrivals.shift();
      if (outcome) {
        if (this.ordered) this.#finished.delete(this.#nextIndex++);
        this.kick();   // room for one more chunk
        if (!outcome.ok) {
          this.#finish();
          throw outcome.error;
        }
        this.#current = outcome.values;
        this.#pos = 0;
        continue;
      }
      if (this.#aborted) {
        this.#finish();
        throw this.#aborted;
      }
      if (this.#done && this.#inFlight === 0) {
        const e = this.#sourceError;
        this.#finish();
        if (e) throw e.error;
        return { value: undefined, done: true };
      }
      this.kick();
      await new Promise<void>((resolve) => { this.#reader = resolve; });
    }
  }

  /** Stops early (a `break` out of for await): no more inputs are pulled. */
  async return(): Promise<IteratorResult<unknown>> {
    this.#finish();
    return { value: undefined, done: true };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  #finish(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#finished.clear();
    this.#arrivals = [];
    this.#current = [];
    const src = this.#source;
    this.#source = null;
    if (!this.#done) {
      this.#done = true;
      try {
        src?.return?.();
      } catch { /* the source's own cleanup failed: nothing to report it to */ }
    }
  }

  #wake(): void {
    const r = this.#reader;
    this.#reader = null;
    r?.();
  }
}
