// Chunks of plain numbers travel between a Pool and its workers as one typed
// array instead of one serialized value per element: the v8 serializer writes
// a typed array as raw bytes (a memcpy each way) where a JS array costs it
// tens of nanoseconds per element. Internal to Pool and its worker.
//
// The round trip is exact: an Int32Array only when every element is an int32
// other than -0, else a Float64Array (which keeps -0, NaN, the infinities and
// every other double). Anything that is not a number (a bigint, a string, a
// hole) leaves the chunk as a plain array.

/** Below this many elements a plain array serializes as fast; numbers stay as they are. */
export const MIN_PACKED = 16;

/**
 * The numbers of `items[start..end)` as an Int32Array or Float64Array, or
 * null when some element is not a number (or the run is too short to gain
 * anything).
 */
export function packNumbers(items: readonly unknown[], start = 0, end = items.length): Int32Array | Float64Array | null {
  const n = end - start;
  if (n < MIN_PACKED) return null;
  const ints = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = items[start + i];
    if (typeof v !== 'number') return null;
    // (v | 0) === v is false for NaN, ±Infinity, fractions and numbers past
    // int32; -0 passes it, yet an Int32Array would bring it back as +0.
    if ((v | 0) !== v || (v === 0 && 1 / v < 0)) return packDoubles(items, start, ints, i);
    ints[i] = v;
  }
  return ints;
}

// The first `done` elements are int32s already copied into `ints`.
function packDoubles(items: readonly unknown[], start: number, ints: Int32Array, done: number): Float64Array | null {
  const n = ints.length;
  const doubles = new Float64Array(n);
  for (let i = 0; i < done; i++) doubles[i] = ints[i]!;
  for (let i = done; i < n; i++) {
    const v = items[start + i];
    if (typeof v !== 'number') return null;
    doubles[i] = v;
  }
  return doubles;
}

/** A packed chunk (what packNumbers made, after the trip) or a plain array. */
export type Chunk = unknown[] | Int32Array | Float64Array;

export function isPacked(chunk: unknown): chunk is Int32Array | Float64Array {
  return chunk instanceof Int32Array || chunk instanceof Float64Array;
}
