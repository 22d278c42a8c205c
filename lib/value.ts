// Value: one typed element in named shared memory, as Python's
// multiprocessing.Value, reachable from any process (Node, C, Python) by name.
// Integer Values also have lock-free atomic operations; `.getLock()` is the
// process-shared lock for longer read-modify-write sequences.
import { inspect } from 'node:util';
import { ClosedError } from './errors.js';
import type { Lock } from './lock.js';
import { atomics, SegmentHandle, type Cells } from './shared-cells.js';
import { kTransfer, registerTransferable, type TransferDescriptor } from './transfer.js';
import {
  checkElement, toElement, typecodeInfo,
  type BigIntTypecode, type ElementInput, type ElementOf, type IntegerTypecode, type IntegerView,
  type Typecode, type TypecodeInfo,
} from './typecodes.js';
import { validateBoolean, validateIpcName, validateOptions } from './validate.js';
import { createSegment, openSegment, type Segment } from './value-layout.js';

export interface ValueOptions {
  /** Give the Value a process-shared lock (`getLock()`); true by default. */
  lock?: boolean;
  /** `/name` for the segment; a random `/osipc-<pid>-<hex>` when omitted. */
  name?: string;
}

/** Operand of the atomic operations: number, or bigint for 64-bit codes; never for float/`c`. */
export type AtomicInput<T extends Typecode> =
  T extends BigIntTypecode ? bigint : T extends IntegerTypecode ? number : never;

// Opening goes through the constructor with this token (never exported), so
// that every instance gets its private fields the same way.
const kAttach = Symbol('osipc.value.attach');

function zeroOf(info: TypecodeInfo): number | bigint {
  return info.kind === 'bigint' ? 0n : 0;
}

export class Value<T extends Typecode = Typecode> {
  readonly #handle: SegmentHandle;
  readonly #info: TypecodeInfo;
  // Hot path: the data view (null once closed) and the same view for Atomics
  // (null for float and `c` codes).
  #cells: Cells | null;
  #atomic: IntegerView | null;
  // The range of number-valued integer codes, for a fast operand check (NaN
  // for the others, whose operands take the full check).
  readonly #lo: number;
  readonly #hi: number;

  /**
   * Creates a Value in new shared memory: `new Value('i', 6000)`,
   * `new Value('q', 0n)`, `new Value('d', 1.5)`, `new Value('c', 'x')`.
   * `init` defaults to zero.
   */
  constructor(typecode: T, init?: ElementInput<T>, options?: ValueOptions) {
    let segment: Segment;
    let exposeLock: boolean;
    if ((typecode as unknown) === kAttach) {
      segment = init as unknown as Segment;
      exposeLock = options?.lock !== false;
    } else {
      const info = typecodeInfo(typecode);
      const o = validateOptions(options);
      const lock = o.lock === undefined ? true : validateBoolean(o.lock, 'options.lock');
      const name = o.name === undefined ? undefined : validateIpcName(o.name, 'options.name');
      const first = init === undefined ? zeroOf(info) : checkElement(info, init, 'init');
      segment = createSegment({ info, count: 1, lock, kind: 'value', name }, (data) => { (data as Cells)[0] = first; });
      exposeLock = lock;
    }
    this.#handle = new SegmentHandle(segment, exposeLock, new.target.name);
    this.#info = segment.info;
    this.#cells = segment.view as Cells;
    this.#atomic = this.#info.kind === 'int' || this.#info.kind === 'bigint' ? segment.view as IntegerView : null;
    this.#lo = this.#info.kind === 'int' ? this.#info.min as number : NaN;
    this.#hi = this.#info.kind === 'int' ? this.#info.max as number : NaN;
  }

  /** Opens a Value another process created (ENOENT if none; InvalidSegmentError if not a Value). */
  static open<T extends Typecode = Typecode>(name: string): Value<T> {
    return new Value<T>(kAttach as never, openSegment(validateIpcName(name, 'name'), 'value') as never);
  }

  // The element view, or ClosedError.
  #view(): Cells {
    const c = this.#cells;
    if (c === null) throw new ClosedError(this.constructor.name);
    return c;
  }

  // An atomic operation's operand, checked (the fast path first: atomics are hot).
  #operand(n: unknown, name: string): number | bigint {
    if (typeof n === 'number' && n >= this.#lo && n <= this.#hi && Number.isInteger(n)) return n;
    return checkElement(this.#info, n, name);
  }

  #atomicView(op: string): IntegerView {
    return this.#atomic ?? this.#handle.atomicView(op);
  }

  /** The segment's name: what `Value.open()`, C and Python open. */
  get name(): string {
    return this.#handle.name;
  }

  get typecode(): T {
    return this.#info.code as T;
  }

  /** True when this process created the segment (and unlinks it on close and at exit). */
  get owner(): boolean {
    return this.#handle.owner;
  }

  get closed(): boolean {
    return this.#handle.closed;
  }

  /**
   * The current value. A read or a write is one aligned access and never torn,
   * but `v.value += 1` is a read then a write: use `add()` or the lock.
   */
  get value(): ElementOf<T> {
    return toElement(this.#info, this.#view()[0]!) as ElementOf<T>;
  }

  set value(v: ElementInput<T>) {
    const cells = this.#view();
    cells[0] = checkElement(this.#info, v, 'value');
  }

  /** The process-shared lock; an error (ERR_OSIPC_NO_LOCK) for `lock: false` and RawValue. */
  getLock(): Lock {
    return this.#handle.getLock();
  }

  /** Atomically adds `n`; returns the value before. Wraps around at the type's limits, as C does. */
  add(n: AtomicInput<T>): ElementOf<T> {
    const view = this.#atomicView('add');
    return atomics.add(view, 0, this.#operand(n, 'n')) as ElementOf<T>;
  }

  /** Atomically subtracts `n`; returns the value before. */
  sub(n: AtomicInput<T>): ElementOf<T> {
    const view = this.#atomicView('sub');
    return atomics.sub(view, 0, this.#operand(n, 'n')) as ElementOf<T>;
  }

  /** Atomically stores `v`; returns the value before. */
  exchange(v: AtomicInput<T>): ElementOf<T> {
    const view = this.#atomicView('exchange');
    return atomics.exchange(view, 0, this.#operand(v, 'value')) as ElementOf<T>;
  }

  /**
   * Atomically stores `next` if the value is `expected`. Returns the value
   * before: the exchange happened when that equals `expected`.
   */
  compareExchange(expected: AtomicInput<T>, next: AtomicInput<T>): ElementOf<T> {
    const view = this.#atomicView('compareExchange');
    return atomics.compareExchange(view, 0, this.#operand(expected, 'expected'),
      this.#operand(next, 'next')) as ElementOf<T>;
  }

  /** Atomic (sequentially consistent) read. */
  load(): ElementOf<T> {
    return atomics.load(this.#atomicView('load'), 0) as ElementOf<T>;
  }

  /** Atomic (sequentially consistent) write; returns `v`. */
  store(v: AtomicInput<T>): ElementOf<T> {
    const view = this.#atomicView('store');
    return atomics.store(view, 0, this.#operand(v, 'value')) as ElementOf<T>;
  }

  /** Unmaps the segment; the creator also unlinks its name. Idempotent. */
  close(): void {
    this.#cells = null;
    this.#atomic = null;
    this.#handle.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  [kTransfer](): TransferDescriptor {
    if (this.#handle.closed) throw new ClosedError(this.constructor.name);
    return { kind: 'Value', data: { name: this.name, raw: this instanceof RawValue } };
  }

  [inspect.custom](): string {
    const shown = this.closed ? '<closed>' : inspect(this.value);
    return `${this.constructor.name}('${this.#info.code}', ${shown}) ${this.name}`;
  }
}

/** A Value without a lock (Python's RawValue): only `value` and the atomic operations. */
export class RawValue<T extends Typecode = Typecode> extends Value<T> {
  constructor(typecode: T, init?: ElementInput<T>, options?: Omit<ValueOptions, 'lock'>) {
    super(typecode, init, (typecode as unknown) === kAttach ? { lock: false } : { ...validateOptions(options), lock: false });
  }

  /** Opens any Value segment by name, without its lock. */
  static override open<T extends Typecode = Typecode>(name: string): RawValue<T> {
    return new RawValue<T>(kAttach as never, openSegment(validateIpcName(name, 'name'), 'value') as never);
  }
}

registerTransferable('Value', (data) => {
  const d = data as { name: string; raw: boolean };
  return d.raw ? RawValue.open(d.name) : Value.open(d.name);
});
