// What Value and SharedArray have in common: a mapped segment of typed
// elements (lib/value-layout.ts), its optional lock, closing, and the checks on
// atomic operations. Each class keeps its own fast path for element access.
import { ClosedError, OsipcError } from './errors.js';
import { Lock } from './lock.js';
import { isIntegerCode, type AnyView, type IntegerView, type TypecodeInfo } from './typecodes.js';
import { LOCK_OFFSET, type Segment } from './value-layout.js';

/** Element access on any of the typed arrays, whatever its element type. */
export type Cells = { [index: number]: number | bigint; readonly length: number };

/** `Atomics` over any integer view, with number or bigint operands as the view needs. */
export const atomics = Atomics as unknown as {
  add(v: IntegerView, i: number, x: number | bigint): number | bigint;
  sub(v: IntegerView, i: number, x: number | bigint): number | bigint;
  exchange(v: IntegerView, i: number, x: number | bigint): number | bigint;
  compareExchange(v: IntegerView, i: number, expected: number | bigint, next: number | bigint): number | bigint;
  load(v: IntegerView, i: number): number | bigint;
  store(v: IntegerView, i: number, x: number | bigint): number | bigint;
};

export class SegmentHandle {
  #segment: Segment | null;
  readonly name: string;
  readonly info: TypecodeInfo;
  readonly count: number;
  readonly owner: boolean;
  /** Whether the segment has a lock (its creator asked for one). */
  readonly hasLock: boolean;
  /** The lock, when this handle exposes one (not for Raw ones). */
  readonly #lock: Lock | null;
  readonly #what: string;

  constructor(segment: Segment, exposeLock: boolean, what: string) {
    this.#segment = segment;
    this.name = segment.shm.name;
    this.info = segment.info;
    this.count = segment.count;
    this.owner = segment.shm.owner;
    this.hasLock = segment.hasLock;
    this.#what = what;
    this.#lock = exposeLock && segment.hasLock ? Lock.fromBuffer(segment.shm.buffer, LOCK_OFFSET) : null;
  }

  get closed(): boolean {
    return this.#segment === null;
  }

  /** The data view; ClosedError after close(). */
  view(): AnyView {
    if (this.#segment === null) throw new ClosedError(this.#what);
    return this.#segment.view;
  }

  /** The data view for an atomic operation: TypeError for float and `c` codes. */
  atomicView(op: string): IntegerView {
    const view = this.view();
    if (!isIntegerCode(this.info)) {
      const err = new TypeError(`${this.#what}.${op}() needs an integer typecode; '${this.info.code}' (C ${this.info.ctype}) has no atomic operations`);
      (err as { code?: string }).code = 'ERR_OSIPC_NOT_ATOMIC';
      throw err;
    }
    return view as IntegerView;
  }

  getLock(): Lock {
    if (this.#segment === null) throw new ClosedError(this.#what);
    if (this.#lock === null) {
      throw new OsipcError(`this ${this.#what} has no lock (made with lock: false, or a Raw one); ` +
        'use its atomic operations or a separate Lock', 'ERR_OSIPC_NO_LOCK');
    }
    return this.#lock;
  }

  /** Unmaps; the creator also unlinks the name. Idempotent. */
  close(): void {
    const seg = this.#segment;
    if (seg === null) return;
    this.#segment = null;
    // Before unmapping: pending acquires reject with ClosedError.
    this.#lock?.close();
    seg.shm.close();
  }
}
