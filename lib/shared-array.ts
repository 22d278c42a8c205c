// SharedArray: a fixed-length array of typed elements in named shared memory,
// as Python's multiprocessing.Array (the package also exports it as `Array`;
// inside osipc it is only ever called SharedArray, so the global Array is never
// shadowed here). Integer arrays have lock-free atomic operations by index.
import { inspect } from 'node:util';
import { ClosedError } from './errors.js';
import type { Lock } from './lock.js';
import { atomics, SegmentHandle, type Cells } from './shared-cells.js';
import { kTransfer, registerTransferable, type TransferDescriptor } from './transfer.js';
import {
  checkBytes, checkElement, toElement, typecodeInfo,
  type AnyView, type ElementInput, type ElementOf, type IntegerView, type Typecode, type TypecodeInfo, type ViewOf,
} from './typecodes.js';
import { rangeError, typeError, validateBoolean, validateInteger, validateIpcName, validateOptions } from './validate.js';
import { createSegment, maxCount, openSegment, type Segment } from './value-layout.js';
import type { AtomicInput, ValueOptions } from './value.js';

export type SharedArrayOptions = ValueOptions;

/** A length, the elements (any iterable), or for `c` a string (UTF-8) or bytes. */
export type SizeOrInit<T extends Typecode> =
  number | Iterable<ElementInput<T>> | (T extends 'c' ? string | Uint8Array : never);

const kAttach = Symbol('osipc.array.attach');

// Reads `sizeOrInit` into a length and (unless zero-filled) the checked elements.
function readInit(info: TypecodeInfo, sizeOrInit: unknown): { count: number; fill: ((view: AnyView) => void) | null } {
  const limit = maxCount(info);
  if (typeof sizeOrInit === 'number') {
    return { count: validateInteger(sizeOrInit, 'sizeOrInit', 1, limit), fill: null };
  }
  const counted = (n: number): number => {
    if (n < 1 || n > limit) throw rangeError('sizeOrInit', `1 to ${limit} elements long`, `${n} elements`);
    return n;
  };
  if (info.kind === 'bytes' && (typeof sizeOrInit === 'string' || sizeOrInit instanceof Uint8Array)) {
    const bytes = checkBytes(sizeOrInit, 'sizeOrInit');
    return { count: counted(bytes.length), fill: (view) => (view as Uint8Array).set(bytes) };
  }
  // A typed array of the very element type needs no element checks.
  if (sizeOrInit instanceof info.View) {
    const same = sizeOrInit as AnyView;
    return { count: counted(same.length), fill: (view) => (view as Uint8Array).set(same as Uint8Array) };
  }
  if (typeof sizeOrInit === 'string' || typeof sizeOrInit !== 'object' || sizeOrInit === null ||
      typeof (sizeOrInit as Iterable<unknown>)[Symbol.iterator] !== 'function') {
    throw typeError('sizeOrInit', `a length or an iterable of elements (typecode '${info.code}')`, sizeOrInit);
  }
  const items: (number | bigint)[] = [];
  for (const x of sizeOrInit as Iterable<unknown>) {
    if (items.length >= limit) counted(limit + 1);
    items.push(checkElement(info, x, `sizeOrInit[${items.length}]`));
  }
  return {
    count: counted(items.length),
    fill: (view) => {
      const cells = view as Cells;
      for (let i = 0; i < items.length; i++) cells[i] = items[i]!;
    },
  };
}

export class SharedArray<T extends Typecode = Typecode> {
  readonly #handle: SegmentHandle;
  readonly #info: TypecodeInfo;
  readonly #length: number;
  #cells: Cells | null;
  #atomic: IntegerView | null;
  // The range of number-valued integer codes, for a fast operand check (NaN
  // for the others, whose operands take the full check).
  readonly #lo: number;
  readonly #hi: number;

  /**
   * Creates an array in new shared memory: `new SharedArray('i', 10)` (ten
   * zeros), `new SharedArray('d', [1.5, 2.5])`, `new SharedArray('c', 'hello')`.
   */
  constructor(typecode: T, sizeOrInit: SizeOrInit<T>, options?: SharedArrayOptions) {
    let segment: Segment;
    let exposeLock: boolean;
    if ((typecode as unknown) === kAttach) {
      segment = sizeOrInit as unknown as Segment;
      exposeLock = options?.lock !== false;
    } else {
      const info = typecodeInfo(typecode);
      const o = validateOptions(options);
      const lock = o.lock === undefined ? true : validateBoolean(o.lock, 'options.lock');
      const name = o.name === undefined ? undefined : validateIpcName(o.name, 'options.name');
      const { count, fill } = readInit(info, sizeOrInit);
      segment = createSegment({ info, count, lock, kind: 'array', name }, fill ?? undefined);
      exposeLock = lock;
    }
    this.#handle = new SegmentHandle(segment, exposeLock, new.target.name);
    this.#info = segment.info;
    this.#length = segment.count;
    this.#cells = segment.view as Cells;
    this.#atomic = this.#info.kind === 'int' || this.#info.kind === 'bigint' ? segment.view as IntegerView : null;
    this.#lo = this.#info.kind === 'int' ? this.#info.min as number : NaN;
    this.#hi = this.#info.kind === 'int' ? this.#info.max as number : NaN;
  }

  /** Opens an array another process created (ENOENT if none; InvalidSegmentError if not an array). */
  static open<T extends Typecode = Typecode>(name: string): SharedArray<T> {
    return new SharedArray<T>(kAttach as never, openSegment(validateIpcName(name, 'name'), 'array') as never);
  }

  #view(): Cells {
    const c = this.#cells;
    if (c === null) throw new ClosedError(this.constructor.name);
    return c;
  }

  #index(i: unknown): number {
    if (typeof i !== 'number') throw typeError('index', 'of type number', i);
    if (!Number.isInteger(i) || i < 0 || i >= this.#length) {
      throw rangeError('index', `an integer >= 0 and < ${this.#length}`, i);
    }
    return i;
  }

  // An atomic operation's operand, checked (the fast path first: atomics are hot).
  #operand(n: unknown, name: string): number | bigint {
    if (typeof n === 'number' && n >= this.#lo && n <= this.#hi && Number.isInteger(n)) return n;
    return checkElement(this.#info, n, name);
  }

  #atomicView(op: string): IntegerView {
    return this.#atomic ?? this.#handle.atomicView(op);
  }

  get name(): string {
    return this.#handle.name;
  }

  get typecode(): T {
    return this.#info.code as T;
  }

  get length(): number {
    return this.#length;
  }

  get owner(): boolean {
    return this.#handle.owner;
  }

  get closed(): boolean {
    return this.#handle.closed;
  }

  /** The elements as a live typed array over the shared memory (empty once closed). */
  get view(): ViewOf<T> {
    return this.#handle.view() as ViewOf<T>;
  }

  get(i: number): ElementOf<T> {
    const cells = this.#view();
    return toElement(this.#info, cells[this.#index(i)]!) as ElementOf<T>;
  }

  set(i: number, v: ElementInput<T>): void {
    const cells = this.#view();
    cells[this.#index(i)] = checkElement(this.#info, v, 'value');
  }

  /** A copy of the elements as a plain JS array. */
  toArray(): ElementOf<T>[] {
    const cells = this.#view();
    const out: ElementOf<T>[] = [];
    for (let i = 0; i < this.#length; i++) out.push(toElement(this.#info, cells[i]!) as ElementOf<T>);
    return out;
  }

  *[Symbol.iterator](): IterableIterator<ElementOf<T>> {
    for (let i = 0; i < this.#length; i++) yield this.get(i);
  }

  /**
   * `c` arrays: the bytes up to the first NUL (Python's `arr.value`). Setting
   * writes the bytes from the start and a NUL after them when they are shorter.
   */
  get value(): Buffer {
    const bytes = this.#bytes('value');
    const end = bytes.indexOf(0);
    return Buffer.from(end === -1 ? bytes : bytes.subarray(0, end));
  }

  set value(v: Uint8Array | string) {
    const bytes = this.#bytes('value');
    const src = this.#fitting(v);
    bytes.set(src);
    if (src.length < bytes.length) bytes[src.length] = 0;
  }

  /** `c` arrays: every byte (Python's `arr.raw`). Setting writes the bytes from the start. */
  get raw(): Buffer {
    return Buffer.from(this.#bytes('raw'));
  }

  set raw(v: Uint8Array | string) {
    this.#bytes('raw').set(this.#fitting(v));
  }

  #bytes(what: string): Uint8Array {
    const view = this.#view();
    if (this.#info.kind !== 'bytes') {
      const err = new TypeError(`.${what} is for 'c' arrays; this one has typecode '${this.#info.code}' (use get() or toArray())`);
      (err as { code?: string }).code = 'ERR_OSIPC_NOT_BYTES';
      throw err;
    }
    return view as unknown as Uint8Array;
  }

  #fitting(v: unknown): Uint8Array {
    const src = checkBytes(v, 'value');
    if (src.length > this.#length) throw rangeError('value', `at most ${this.#length} bytes long`, `${src.length} bytes`);
    return src;
  }

  /** The process-shared lock; an error (ERR_OSIPC_NO_LOCK) for `lock: false` and RawArray. */
  getLock(): Lock {
    return this.#handle.getLock();
  }

  /** Atomically adds `n` to element `i`; returns the element before. */
  add(i: number, n: AtomicInput<T>): ElementOf<T> {
    const view = this.#atomicView('add');
    return atomics.add(view, this.#index(i), this.#operand(n, 'n')) as ElementOf<T>;
  }

  sub(i: number, n: AtomicInput<T>): ElementOf<T> {
    const view = this.#atomicView('sub');
    return atomics.sub(view, this.#index(i), this.#operand(n, 'n')) as ElementOf<T>;
  }

  exchange(i: number, v: AtomicInput<T>): ElementOf<T> {
    const view = this.#atomicView('exchange');
    return atomics.exchange(view, this.#index(i), this.#operand(v, 'value')) as ElementOf<T>;
  }

  /** Stores `next` at `i` if it holds `expected`; returns the element before. */
  compareExchange(i: number, expected: AtomicInput<T>, next: AtomicInput<T>): ElementOf<T> {
    const view = this.#atomicView('compareExchange');
    return atomics.compareExchange(view, this.#index(i), this.#operand(expected, 'expected'),
      this.#operand(next, 'next')) as ElementOf<T>;
  }

  load(i: number): ElementOf<T> {
    const view = this.#atomicView('load');
    return atomics.load(view, this.#index(i)) as ElementOf<T>;
  }

  store(i: number, v: AtomicInput<T>): ElementOf<T> {
    const view = this.#atomicView('store');
    return atomics.store(view, this.#index(i), this.#operand(v, 'value')) as ElementOf<T>;
  }

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
    return { kind: 'SharedArray', data: { name: this.name, raw: this instanceof RawArray } };
  }

  [inspect.custom](): string {
    if (this.closed) return `${this.constructor.name}('${this.#info.code}', <closed>) ${this.name}`;
    const shown = this.#info.kind === 'bytes' ? inspect(this.raw.toString('latin1')) : inspect(this.toArray());
    return `${this.constructor.name}('${this.#info.code}', ${shown}) ${this.name}`;
  }
}

/** A SharedArray without a lock (Python's RawArray). */
export class RawArray<T extends Typecode = Typecode> extends SharedArray<T> {
  constructor(typecode: T, sizeOrInit: SizeOrInit<T>, options?: Omit<SharedArrayOptions, 'lock'>) {
    super(typecode, sizeOrInit,
      (typecode as unknown) === kAttach ? { lock: false } : { ...validateOptions(options), lock: false });
  }

  /** Opens any array segment by name, without its lock. */
  static override open<T extends Typecode = Typecode>(name: string): RawArray<T> {
    return new RawArray<T>(kAttach as never, openSegment(validateIpcName(name, 'name'), 'array') as never);
  }
}

registerTransferable('SharedArray', (data) => {
  const d = data as { name: string; raw: boolean };
  return d.raw ? RawArray.open(d.name) : SharedArray.open(d.name);
});
