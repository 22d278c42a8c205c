// The shared memory a Pool and one of its workers pass numeric chunks through
// (internal). SLOTS slots, each an input region and an output region of REGION
// bytes, in a nameless segment (memfd) the worker inherits as fd 4. A chunk of
// numbers is copied into a free slot's input region and only its place crosses
// the control socket; the worker writes int32 or double results into the
// output region and answers with their place. Measured before: writing 40 KB
// chunks through the socket and back was the largest cost of a 100k-task map
// (the kernel copies into freshly allocated buffers each time); the arena's
// pages are faulted in once and then reused.
//
// A slot belongs to one task from dispatch until its answer has been copied
// out; neither side touches a slot the other may be using.

/** The tasks a worker may have in flight (Pool's PREFETCH) plus one being copied out. */
export const ARENA_SLOTS = 3;
/** Bytes of each region: chunks of up to 128k doubles or 256k int32s go through it. */
export const ARENA_REGION = 1 << 20;
export const ARENA_BYTES = ARENA_SLOTS * 2 * ARENA_REGION;
/** The worker's fd for the arena. */
export const ARENA_FD = 4;

export const ARENA_I32 = 1;
export const ARENA_F64 = 2;

export type Numbers = Int32Array | Float64Array;

/** The kind of a packed chunk, as it travels. */
export function arenaType(a: Numbers): number {
  return a instanceof Int32Array ? ARENA_I32 : ARENA_F64;
}

/** Whether a packed chunk fits a region. */
export function fitsArena(a: Numbers): boolean {
  return a.byteLength <= ARENA_REGION;
}

function view(buffer: ArrayBuffer, at: number, type: number, length: number): Numbers {
  if (!Number.isInteger(length) || length < 0 || length * (type === ARENA_I32 ? 4 : 8) > ARENA_REGION) {
    throw new RangeError(`a pool chunk of ${length} numbers does not fit its arena region`);
  }
  return type === ARENA_I32 ? new Int32Array(buffer, at, length) : new Float64Array(buffer, at, length);
}

function slotStart(slot: number): number {
  if (!Number.isInteger(slot) || slot < 0 || slot >= ARENA_SLOTS) throw new RangeError(`no arena slot ${slot}`);
  return slot * 2 * ARENA_REGION;
}

/** The input region of `slot` as `length` numbers of `type`. */
export function arenaInput(buffer: ArrayBuffer, slot: number, type: number, length: number): Numbers {
  return view(buffer, slotStart(slot), type, length);
}

/** The output region of `slot` as `length` numbers of `type`. */
export function arenaOutput(buffer: ArrayBuffer, slot: number, type: number, length: number): Numbers {
  return view(buffer, slotStart(slot) + ARENA_REGION, type, length);
}
