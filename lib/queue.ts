// Queue, JoinableQueue, SimpleQueue: Python's multiprocessing queues between
// real processes, on a ring in shared memory (queue/ring.ts) with futex
// wake-ups. Not the kernel's message queues: in C on this kind of machine a
// shared ring moves ~20M small messages a second, POSIX/System V queues ~0.4M
// (ANCHORS.md). There is no feeder thread: a put() that has resolved is in the
// shared memory, whatever happens to this process next.
import { ClosedError, OsipcError } from './errors.js';
import { kTransfer, registerTransferable, type TransferDescriptor } from './transfer.js';
import {
  defaultIpcName, invalidArg, typeError, validateInteger, validateIpcName, validateMode, validateOptions, validateString,
  type WaitOptions,
} from './validate.js';
import { CODEC_NAMES, type CodecName } from './queue/codec.js';
import { QueueEngine } from './queue/engine.js';
import {
  DEFAULT_CAPACITY, DEFAULT_MAX_MESSAGE, KIND_JOINABLE, KIND_QUEUE, KIND_SIMPLE, MAX_CAPACITY, MAX_MESSAGE_LIMIT,
  MIN_CAPACITY,
} from './queue/layout.js';
import { Ring } from './queue/ring.js';
import { validateSpin } from './spin.js';

export type { CodecName as QueueCodec } from './queue/codec.js';

export interface QueueOptions {
  /** Most items the queue holds (put waits beyond); 0 (default): bounded only by `capacity`. */
  maxsize?: number;
  /** The shared memory name, `/name`; a random `/osipc-<pid>-<hex>` by default. */
  name?: string;
  /** Bytes of the ring, rounded up to a power of two (4 KiB .. 1 GiB; default 1 MiB). */
  capacity?: number;
  /** How values become bytes (default 'auto'): see docs/api/queue.md. */
  codec?: CodecName;
  /** Largest encoded message in bytes (default 64 MiB); larger ones stream through the ring. */
  maxMessageSize?: number;
  /** Permission bits of the shared memory (default 0o600). */
  mode?: number;
  /**
   * Longest poll, in microseconds, of an empty queue before a get sleeps
   * (default 100; 0: never poll). Polling stops by itself while it does not pay.
   */
  spin?: number;
}

/** Options of this process's handle on a queue it opens. */
export interface QueueOpenOptions {
  /** As QueueOptions.spin. */
  spin?: number;
}

function spinOption(o: { spin?: number }, name: string): number {
  return o.spin === undefined ? 0 : validateSpin(o.spin, name);
}

interface Settings {
  spin: number;
  name: string;
  mode: number;
  capacity: number;
  maxsize: number;
  maxMessageSize: number;
  codec: CodecName;
}

function settings(options: QueueOptions | undefined, withMaxsize: boolean): Settings {
  const o = validateOptions(options);
  const maxsize = o.maxsize === undefined ? 0 : validateInteger(o.maxsize, 'options.maxsize', 0, 0x7fffffff);
  if (!withMaxsize && maxsize !== 0) throw invalidArg('options.maxsize', 'a SimpleQueue is unbounded');
  let capacity = o.capacity === undefined ? DEFAULT_CAPACITY
    : validateInteger(o.capacity, 'options.capacity', MIN_CAPACITY, MAX_CAPACITY);
  capacity = 2 ** Math.ceil(Math.log2(capacity));
  const maxMessageSize = o.maxMessageSize === undefined ? DEFAULT_MAX_MESSAGE
    : validateInteger(o.maxMessageSize, 'options.maxMessageSize', 1, MAX_MESSAGE_LIMIT);
  let codec: CodecName = 'auto';
  if (o.codec !== undefined) {
    validateString(o.codec, 'options.codec');
    if (!CODEC_NAMES.includes(o.codec)) {
      throw invalidArg('options.codec', `${JSON.stringify(o.codec)} is not one of ${CODEC_NAMES.join(', ')}`);
    }
    codec = o.codec;
  }
  const name = o.name === undefined ? defaultIpcName() : validateIpcName(o.name, 'options.name');
  const mode = o.mode === undefined ? 0o600 : validateMode(o.mode, 'options.mode');
  return { name, mode, capacity, maxsize, maxMessageSize, codec, spin: spinOption(o, 'options.spin') };
}

function openRing(name: string, options: QueueOpenOptions | undefined, kinds: number[], what: string):
  { ring: Ring; spin: number } {
  validateIpcName(name, 'name');
  const spin = spinOption(validateOptions(options), 'options.spin');
  const ring = Ring.open(name);
  if (!kinds.includes(ring.kind)) {
    const is = ring.kind === KIND_JOINABLE ? 'a JoinableQueue' : ring.kind === KIND_SIMPLE ? 'a SimpleQueue' : 'a Queue';
    ring.close();
    throw new OsipcError(`${name} is ${is}, not a ${what}`, 'ERR_OSIPC_NOT_A_QUEUE');
  }
  return { ring, spin };
}

// Set by open() just before it constructs: the constructor adopts this ring
// instead of creating one.
let adopting: { ring: Ring; spin: number } | null = null;
let engineOf: (q: Queue<unknown>) => QueueEngine;

/**
 * A FIFO queue between processes, like Python's multiprocessing.Queue.
 * `put`/`get` return Promises (the event loop runs while they wait);
 * `putSync`/`getSync` block; `putNowait`/`getNowait` never wait.
 */
export class Queue<T = unknown> {
  readonly #engine: QueueEngine;

  static {
    engineOf = (q) => q.#engine;
  }

  constructor(options?: QueueOptions) {
    let made = adopting;
    adopting = null;
    if (made === null) {
      const joinable = new.target === JoinableQueue || new.target.prototype instanceof JoinableQueue;
      const kind = joinable ? KIND_JOINABLE : KIND_QUEUE;
      const s = settings(options, true);
      made = { ring: Ring.create({ ...s, kind }), spin: s.spin };
    }
    this.#engine = new QueueEngine(made.ring, new.target.name, made.spin);
  }

  /** Opens a queue that another process (or this one) created, by name. Never unlinks it. */
  static open<T = unknown>(name: string, options?: QueueOpenOptions): Queue<T> {
    adopting = openRing(name, options, [KIND_QUEUE, KIND_JOINABLE], 'Queue');
    return new Queue<T>();
  }

  /** The shared memory name: pass it to `Queue.open` in another process. */
  get name(): string {
    return this.#engine.ring.name;
  }

  /** The item bound (0: unbounded). */
  get maxsize(): number {
    return this.#engine.ring.maxsize;
  }

  /** The codec producers of this queue use. */
  get codec(): CodecName {
    return this.#engine.ring.codec.name;
  }

  /** Ring bytes. */
  get capacity(): number {
    return this.#engine.ring.capacity;
  }

  get maxMessageSize(): number {
    return this.#engine.ring.maxMessageSize;
  }

  get closed(): boolean {
    return this.#engine.closed;
  }

  /**
   * Appends `value`. Resolves once it is in the queue; waits while the queue
   * is full (`maxsize` items, or no room in the ring). A `timeout` that passes
   * rejects with QueueFull; `signal` with AbortError.
   */
  put(value: T, options?: WaitOptions): Promise<void> {
    return this.#engine.put(value, options);
  }

  /** Like put(), blocking this thread for at most `timeout` ms. */
  putSync(value: T, options?: { timeout?: number }): void {
    this.#engine.putSync(value, options);
  }

  /**
   * Puts every value in order, like put() for each but taking the lock once
   * for as many as go in at once (cheaper per item). `timeout` covers the
   * whole call; on failure the error's `count` says how many went in.
   */
  putMany(values: readonly T[], options?: WaitOptions): Promise<void> {
    if (!Array.isArray(values)) return Promise.reject(typeError('values', 'an Array', values));
    return this.#engine.putMany(values, options);
  }

  /**
   * Waits like get() for one item, then returns it with up to `max - 1` more
   * that are in the queue now, in order (cheaper per item).
   */
  getMany(max: number, options?: WaitOptions): Promise<T[]> {
    try {
      validateInteger(max, 'max', 1);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#engine.getMany(max, options) as Promise<T[]>;
  }

  /** Appends now or throws QueueFull. */
  putNowait(value: T): void {
    this.#engine.putNowait(value);
  }

  /**
   * Removes and returns the oldest item, waiting while the queue is empty.
   * A `timeout` that passes rejects with QueueEmpty; `signal` with AbortError.
   */
  get(options?: WaitOptions): Promise<T> {
    return this.#engine.get(options) as Promise<T>;
  }

  /** Like get(), blocking this thread for at most `timeout` ms. */
  getSync(options?: { timeout?: number }): T {
    return this.#engine.getSync(options) as T;
  }

  /** Returns the oldest item now or throws QueueEmpty. */
  getNowait(): T {
    return this.#engine.getNowait() as T;
  }

  /** Items in the queue now: completed puts minus completed gets, exact. */
  qsize(): number {
    return this.#engine.qsize();
  }

  empty(): boolean {
    return this.#engine.qsize() === 0;
  }

  full(): boolean {
    const max = this.#engine.ring.maxsize;
    return max !== 0 && this.#engine.qsize() >= max;
  }

  /**
   * Stops using the queue here: pending calls reject with ClosedError. The
   * creator also removes the name (processes that have it open keep working).
   */
  close(): void {
    this.#engine.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  [kTransfer](): TransferDescriptor {
    const kind = this instanceof JoinableQueue ? 'JoinableQueue' : 'Queue';
    if (this.#engine.closed) throw new ClosedError(kind);
    return { kind, data: { name: this.name } };
  }
}

/** A Queue that counts unfinished tasks: `taskDone()` after each item, `join()` waits for all. */
export class JoinableQueue<T = unknown> extends Queue<T> {
  static override open<T = unknown>(name: string, options?: QueueOpenOptions): JoinableQueue<T> {
    adopting = openRing(name, options, [KIND_JOINABLE], 'JoinableQueue');
    return new JoinableQueue<T>();
  }

  /** Marks one item taken with get() as processed. Throws ERR_OSIPC_TASK_DONE_TOO_MANY past the count. */
  taskDone(): void {
    engineOf(this).taskDone();
  }

  /** Resolves when every item ever put has had its taskDone(). */
  join(options?: WaitOptions): Promise<void> {
    return engineOf(this).join(options);
  }

  /** Like join(), blocking this thread for at most `timeout` ms (then TimeoutError). */
  joinSync(options?: { timeout?: number }): void {
    engineOf(this).joinSync(options);
  }

  /** Items put and not yet marked done. */
  unfinishedTasks(): number {
    return engineOf(this).ring.unfinished();
  }
}

/** The minimal unbounded queue: put, get, empty, close (Python's SimpleQueue). */
export class SimpleQueue<T = unknown> {
  readonly #engine: QueueEngine;

  constructor(options?: Omit<QueueOptions, 'maxsize'>) {
    let made = adopting;
    adopting = null;
    if (made === null) {
      const s = settings(options, false);
      made = { ring: Ring.create({ ...s, kind: KIND_SIMPLE }), spin: s.spin };
    }
    this.#engine = new QueueEngine(made.ring, 'SimpleQueue', made.spin);
  }

  static open<T = unknown>(name: string, options?: QueueOpenOptions): SimpleQueue<T> {
    adopting = openRing(name, options, [KIND_SIMPLE], 'SimpleQueue');
    return new SimpleQueue<T>();
  }

  get name(): string {
    return this.#engine.ring.name;
  }

  get closed(): boolean {
    return this.#engine.closed;
  }

  put(value: T, options?: WaitOptions): Promise<void> {
    return this.#engine.put(value, options);
  }

  putSync(value: T, options?: { timeout?: number }): void {
    this.#engine.putSync(value, options);
  }

  get(options?: WaitOptions): Promise<T> {
    return this.#engine.get(options) as Promise<T>;
  }

  getSync(options?: { timeout?: number }): T {
    return this.#engine.getSync(options) as T;
  }

  getNowait(): T {
    return this.#engine.getNowait() as T;
  }

  empty(): boolean {
    return this.#engine.qsize() === 0;
  }

  close(): void {
    this.#engine.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  [kTransfer](): TransferDescriptor {
    if (this.#engine.closed) throw new ClosedError('SimpleQueue');
    return { kind: 'SimpleQueue', data: { name: this.name } };
  }
}

registerTransferable('Queue', (data) => Queue.open((data as { name: string }).name));
registerTransferable('JoinableQueue', (data) => JoinableQueue.open((data as { name: string }).name));
registerTransferable('SimpleQueue', (data) => SimpleQueue.open((data as { name: string }).name));
