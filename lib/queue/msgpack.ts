// MessagePack (https://msgpack.org/) writer and reader for the Queue's records.
// Why our own: the writer encodes straight into the shared ring (no
// intermediate buffer), it can give up on a value it cannot carry exactly so
// that the v8 serializer takes it instead (the 'auto' codec), and the reader
// must treat its input as hostile (it was written by another process):
// every length is bounds-checked and nesting is limited.
//
// Extension types (msgpack "ext"), for what plain msgpack has no word for:
//   0  undefined (fixext1, data byte 0)
//   1  Node Buffer (bytes)                 bin (0xc4-0xc6) is a plain Uint8Array
//   2  Int8Array  3 Uint8ClampedArray  4 Int16Array  5 Uint16Array  6 Int32Array
//   7  Uint32Array  8 Float32Array  9 Float64Array  10 BigInt64Array  11 BigUint64Array
//      (elements little-endian, as stored in memory on every platform Node runs on)
// Integers outside the int32/uint32 range are written as float64, like JS numbers.

/** Thrown by the writer (auto mode) when a value needs the v8 serializer. */
export const NEEDS_V8 = Symbol('osipc.msgpack.needsV8');
/** Thrown by the writer when its fixed-size target is too small. */
export const OUT_OF_SPACE = Symbol('osipc.msgpack.outOfSpace');

/** Nesting beyond this goes to the v8 serializer (auto) or is refused (strict). */
export const MAX_WRITE_DEPTH = 200;
/** The reader refuses deeper input (a hostile peer could exhaust the stack). */
export const MAX_READ_DEPTH = 256;

const EXT_UNDEFINED = 0;
const EXT_BUFFER = 1;
// Typed array constructors by extension type (2..11).
const TYPED: (new (b: ArrayBuffer) => ArrayBufferView)[] = [];
TYPED[2] = Int8Array; TYPED[3] = Uint8ClampedArray; TYPED[4] = Int16Array; TYPED[5] = Uint16Array;
TYPED[6] = Int32Array; TYPED[7] = Uint32Array; TYPED[8] = Float32Array; TYPED[9] = Float64Array;
TYPED[10] = BigInt64Array; TYPED[11] = BigUint64Array;

function typedExt(v: ArrayBufferView): number {
  switch (v.constructor) {
    case Int8Array: return 2;
    case Uint8ClampedArray: return 3;
    case Int16Array: return 4;
    case Uint16Array: return 5;
    case Int32Array: return 6;
    case Uint32Array: return 7;
    case Float32Array: return 8;
    case Float64Array: return 9;
    case BigInt64Array: return 10;
    case BigUint64Array: return 11;
    default: return -1;
  }
}

const encoder = new TextEncoder();
const hasOwn = Object.prototype.hasOwnProperty;

/** What to do with a value msgpack (plus our extensions) cannot carry exactly. */
export type WriterMode = 'auto' | 'strict';

/**
 * Writes one value. The target is either a fixed window (`fixed`: the ring's
 * free space; OUT_OF_SPACE when it does not fit) or a growable scratch buffer.
 */
export class MsgpackWriter {
  bytes!: Uint8Array;
  view!: DataView;
  pos = 0;
  end = 0;
  fixed = true;
  mode: WriterMode = 'auto';
  // Containers seen so far in this value: a second sight of one (a cycle or a
  // shared reference) needs the v8 serializer, which keeps identity. A short
  // list with a count is cheapest for the usual few containers.
  #seen: object[] = [];
  #seenCount = 0;
  #seenSet: Set<object> | null = null;

  /** Targets `bytes[start, end)`, which must not grow. */
  target(bytes: Uint8Array, view: DataView, start: number, end: number): void {
    this.bytes = bytes;
    this.view = view;
    this.pos = start;
    this.end = end;
    this.fixed = true;
  }

  /** Targets a growable buffer starting at 0. */
  targetScratch(bytes: Uint8Array): void {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = 0;
    this.end = bytes.byteLength;
    this.fixed = false;
  }

  /** Encodes `value`; returns the end position. Throws NEEDS_V8 / OUT_OF_SPACE. */
  write(value: unknown): number {
    this.#seenCount = 0;
    this.#seenSet = null;
    this.#value(value, 0);
    return this.pos;
  }

  #ensure(n: number): void {
    if (this.pos + n <= this.end) return;
    if (this.fixed) throw OUT_OF_SPACE;
    let size = this.bytes.byteLength * 2;
    while (size < this.pos + n) size *= 2;
    const bigger = new Uint8Array(size);
    bigger.set(this.bytes.subarray(0, this.pos));
    this.bytes = bigger;
    this.view = new DataView(bigger.buffer);
    this.end = size;
  }

  #refuse(what: string): never {
    if (this.mode === 'auto') throw NEEDS_V8;
    throw dataCloneError(`${what} cannot be carried by the msgpack codec`);
  }

  #remember(o: object): void {
    if (this.#seenSet !== null) {
      if (this.#seenSet.has(o)) this.#refuse('a value referenced twice (or a cycle)');
      this.#seenSet.add(o);
      return;
    }
    const seen = this.#seen;
    const n = this.#seenCount;
    for (let i = 0; i < n; i++) if (seen[i] === o) this.#refuse('a value referenced twice (or a cycle)');
    seen[n] = o;
    this.#seenCount = n + 1;
    if (n === 16) this.#seenSet = new Set(seen.slice(0, 17));
  }

  #value(v: unknown, depth: number): void {
    switch (typeof v) {
      case 'number': return this.#number(v);
      case 'string': return this.#string(v);
      case 'boolean':
        this.#ensure(1);
        this.bytes[this.pos++] = v ? 0xc3 : 0xc2;
        return;
      case 'undefined':
        this.#ensure(3);
        this.bytes[this.pos++] = 0xd4;
        this.bytes[this.pos++] = EXT_UNDEFINED;
        this.bytes[this.pos++] = 0;
        return;
      case 'object':
        if (v === null) {
          this.#ensure(1);
          this.bytes[this.pos++] = 0xc0;
          return;
        }
        if (depth >= MAX_WRITE_DEPTH) this.#refuse('a value nested this deep');
        if (Array.isArray(v)) return this.#array(v, depth);
        if (ArrayBuffer.isView(v)) return this.#binary(v);
        {
          const proto = Object.getPrototypeOf(v);
          if (proto === Object.prototype || proto === null) return this.#object(v as Record<string, unknown>, depth);
        }
        return this.#refuse(`an instance of ${(v as object).constructor?.name ?? 'Object'}`);
      case 'bigint': return this.#refuse('a bigint');
      default: return this.#refuse(`a ${typeof v}`);
    }
  }

  #number(v: number): void {
    if ((v | 0) === v && (v !== 0 || 1 / v > 0)) {
      if (v >= 0) {
        if (v < 0x80) { this.#ensure(1); this.bytes[this.pos++] = v; return; }
        if (v < 0x100) { this.#ensure(2); this.bytes[this.pos++] = 0xcc; this.bytes[this.pos++] = v; return; }
        if (v < 0x10000) { this.#ensure(3); this.bytes[this.pos] = 0xcd; this.view.setUint16(this.pos + 1, v); this.pos += 3; return; }
        this.#ensure(5); this.bytes[this.pos] = 0xce; this.view.setUint32(this.pos + 1, v); this.pos += 5; return;
      }
      if (v >= -32) { this.#ensure(1); this.bytes[this.pos++] = v & 0xff; return; }
      if (v >= -128) { this.#ensure(2); this.bytes[this.pos++] = 0xd0; this.bytes[this.pos++] = v & 0xff; return; }
      if (v >= -32768) { this.#ensure(3); this.bytes[this.pos] = 0xd1; this.view.setInt16(this.pos + 1, v); this.pos += 3; return; }
      this.#ensure(5); this.bytes[this.pos] = 0xd2; this.view.setInt32(this.pos + 1, v); this.pos += 5; return;
    }
    if (v >= 0x80000000 && v <= 0xffffffff && Number.isInteger(v)) {
      this.#ensure(5); this.bytes[this.pos] = 0xce; this.view.setUint32(this.pos + 1, v); this.pos += 5; return;
    }
    // Everything else (fractions, -0, NaN, ±Infinity, big integers) exactly as float64.
    this.#ensure(9);
    this.bytes[this.pos] = 0xcb;
    this.view.setFloat64(this.pos + 1, v);
    this.pos += 9;
  }

  #string(s: string): void {
    const n = s.length;
    // Short ASCII strings (keys, small values): a plain loop beats encodeInto's call.
    if (n < 32) {
      this.#ensure(n + 1);
      const b = this.bytes;
      const start = this.pos;
      let p = start + 1;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        b[p++] = c;
      }
      if (i === n) {
        b[start] = 0xa0 | n;
        this.pos = p;
        return;
      }
    }
    // Header sized for the worst case (3 bytes per UTF-16 unit), length patched after.
    const max = n * 3;
    const head = max < 32 ? 1 : max < 0x100 ? 2 : max < 0x10000 ? 3 : 5;
    this.#ensure(head + max);
    const start = this.pos;
    const { read, written } = encoder.encodeInto(s, this.bytes.subarray(start + head, start + head + max));
    // TextEncoder replaces lone surrogates with U+FFFD; structured clone keeps them.
    if (read !== n || (written !== n && !(s as unknown as { isWellFormed(): boolean }).isWellFormed())) this.#refuse('a string with lone surrogates');
    const b = this.bytes;
    if (head === 1) b[start] = 0xa0 | written;
    else if (head === 2) { b[start] = 0xd9; b[start + 1] = written; }
    else if (head === 3) { b[start] = 0xda; this.view.setUint16(start + 1, written); }
    else { b[start] = 0xdb; this.view.setUint32(start + 1, written); }
    this.pos = start + head + written;
  }

  #array(a: unknown[], depth: number): void {
    this.#remember(a);
    const n = a.length;
    if (n < 16) { this.#ensure(1); this.bytes[this.pos++] = 0x90 | n; }
    else if (n < 0x10000) { this.#ensure(3); this.bytes[this.pos] = 0xdc; this.view.setUint16(this.pos + 1, n); this.pos += 3; }
    else { this.#ensure(5); this.bytes[this.pos] = 0xdd; this.view.setUint32(this.pos + 1, n); this.pos += 5; }
    for (let i = 0; i < n; i++) {
      const x = a[i];
      // A hole would come back as undefined; structured clone keeps holes.
      if (x === undefined && !(i in a)) this.#refuse('a sparse array');
      this.#value(x, depth + 1);
    }
  }

  #object(o: Record<string, unknown>, depth: number): void {
    this.#remember(o);
    // for-in (own keys only) is cheaper than Object.keys, which allocates; the
    // count is known at the end, so a 1-byte fixmap header is patched, and
    // widened by shifting in the rare case of 16 keys or more.
    this.#ensure(1);
    const at = this.pos++;
    let n = 0;
    for (const k in o) {
      if (!hasOwn.call(o, k)) continue;
      this.#string(k);
      this.#value(o[k], depth + 1);
      n++;
    }
    if (n < 16) {
      this.bytes[at] = 0x80 | n;
      return;
    }
    const wide = n < 0x10000 ? 2 : 4;
    this.#ensure(wide);
    this.bytes.copyWithin(at + 1 + wide, at + 1, this.pos);
    this.pos += wide;
    if (wide === 2) { this.bytes[at] = 0xde; this.view.setUint16(at + 1, n); }
    else { this.bytes[at] = 0xdf; this.view.setUint32(at + 1, n); }
  }

  #binary(v: ArrayBufferView): void {
    if (v.buffer instanceof SharedArrayBuffer) this.#refuse('a view of a SharedArrayBuffer');
    let ext: number;
    if (Buffer.isBuffer(v)) ext = EXT_BUFFER;
    else if (v.constructor === Uint8Array) ext = -1; // msgpack bin
    else {
      ext = typedExt(v);
      if (ext < 0) this.#refuse(`an instance of ${v.constructor.name}`); // DataView, Float16Array, subclasses
    }
    this.#remember(v);
    const n = v.byteLength;
    if (ext === -1) {
      if (n < 0x100) { this.#ensure(2 + n); this.bytes[this.pos++] = 0xc4; this.bytes[this.pos++] = n; }
      else if (n < 0x10000) { this.#ensure(3 + n); this.bytes[this.pos] = 0xc5; this.view.setUint16(this.pos + 1, n); this.pos += 3; }
      else { this.#ensure(5 + n); this.bytes[this.pos] = 0xc6; this.view.setUint32(this.pos + 1, n); this.pos += 5; }
    } else if (n < 0x100) {
      this.#ensure(3 + n); this.bytes[this.pos] = 0xc7; this.bytes[this.pos + 1] = n; this.bytes[this.pos + 2] = ext; this.pos += 3;
    } else if (n < 0x10000) {
      this.#ensure(4 + n); this.bytes[this.pos] = 0xc8; this.view.setUint16(this.pos + 1, n); this.bytes[this.pos + 3] = ext; this.pos += 4;
    } else {
      this.#ensure(6 + n); this.bytes[this.pos] = 0xc9; this.view.setUint32(this.pos + 1, n); this.bytes[this.pos + 5] = ext; this.pos += 6;
    }
    this.bytes.set(new Uint8Array(v.buffer, v.byteOffset, n), this.pos);
    this.pos += n;
  }
}

/**
 * The msgpack header of a Buffer or typed array written as a whole value
 * (bin, or ext with its type), or null for other views. Lets a large binary
 * go to the ring as header + the caller's own bytes, without a scratch copy.
 */
export function binaryHeader(v: ArrayBufferView): Uint8Array | null {
  if (v.buffer instanceof SharedArrayBuffer) return null;
  let ext: number;
  if (Buffer.isBuffer(v)) ext = EXT_BUFFER;
  else if (v.constructor === Uint8Array) ext = -1;
  else if ((ext = typedExt(v)) < 0) return null;
  const n = v.byteLength;
  const h = new Uint8Array(ext === -1 ? 5 : 6);
  const dv = new DataView(h.buffer);
  if (ext === -1) {
    h[0] = 0xc6;
    dv.setUint32(1, n);
  } else {
    h[0] = 0xc9;
    dv.setUint32(1, n);
    h[5] = ext;
  }
  return h;
}

/** The error structured clone throws for a value it refuses. */
export function dataCloneError(message: string): Error {
  return new DOMException(message, 'DataCloneError');
}

/** Thrown for input that is not valid msgpack (truncated, unknown type, too deep). */
export class MsgpackFormatError extends Error {}

function bad(what: string): never {
  throw new MsgpackFormatError(`invalid msgpack: ${what}`);
}

// The short-string cache of the reader (see #str).
const SHORT_MAX = 24;
const SHORT_SLOTS = 1024;
const shortCache: (string | undefined)[] = new Array(SHORT_SLOTS).fill(undefined);

// Buffer's own decoders, without toString's argument handling.
declare module 'node:buffer' {
  interface Buffer {
    latin1Slice(start: number, end: number): string;
    utf8Slice(start: number, end: number): string;
  }
}

/** Binaries at least this large may be views of an owned input (no copy). */
const VIEW_MIN = 64 * 1024;

/**
 * Reads one value from `bytes[pos, end)`. Strings, binaries and typed arrays
 * are copied out (the ring is reused as soon as the record is consumed),
 * except that with `owned` input (a message assembled from chunks, which
 * nothing else uses) a large Buffer, Uint8Array or aligned typed array is a
 * view of it.
 */
export class MsgpackReader {
  bytes!: Buffer;
  view!: DataView;
  pos = 0;
  end = 0;
  owned = false;

  read(bytes: Buffer, view: DataView, start: number, end: number, owned = false): unknown {
    this.bytes = bytes;
    this.view = view;
    this.pos = start;
    this.end = end;
    this.owned = owned;
    const v = this.#value(0);
    if (this.pos !== end) bad(`${end - this.pos} bytes after the value`);
    return v;
  }

  #need(n: number): void {
    if (n > this.end - this.pos) bad('truncated');
  }

  #value(depth: number): unknown {
    if (this.pos >= this.end) bad('truncated');
    const t = this.bytes[this.pos++]!;
    if (t < 0x80) return t;
    if (t >= 0xe0) return t - 0x100;
    if (t >= 0xa0 && t < 0xc0) return this.#str(t & 0x1f);
    if (t >= 0x80 && t < 0x90) return this.#map(t & 0x0f, depth);
    if (t >= 0x90 && t < 0xa0) return this.#array(t & 0x0f, depth);
    const p = this.pos;
    const v = this.view;
    switch (t) {
      case 0xc0: return null;
      case 0xc2: return false;
      case 0xc3: return true;
      case 0xcc: this.#need(1); this.pos += 1; return this.bytes[p];
      case 0xcd: this.#need(2); this.pos += 2; return v.getUint16(p);
      case 0xce: this.#need(4); this.pos += 4; return v.getUint32(p);
      case 0xcf: this.#need(8); this.pos += 8; return bigToNumber(v.getBigUint64(p));
      case 0xd0: this.#need(1); this.pos += 1; return v.getInt8(p);
      case 0xd1: this.#need(2); this.pos += 2; return v.getInt16(p);
      case 0xd2: this.#need(4); this.pos += 4; return v.getInt32(p);
      case 0xd3: this.#need(8); this.pos += 8; return bigToNumber(v.getBigInt64(p));
      case 0xca: this.#need(4); this.pos += 4; return v.getFloat32(p);
      case 0xcb: this.#need(8); this.pos += 8; return v.getFloat64(p);
      case 0xd9: this.#need(1); this.pos += 1; return this.#str(this.bytes[p]!);
      case 0xda: this.#need(2); this.pos += 2; return this.#str(v.getUint16(p));
      case 0xdb: this.#need(4); this.pos += 4; return this.#str(v.getUint32(p));
      case 0xc4: this.#need(1); this.pos += 1; return this.#bin(this.bytes[p]!, -1);
      case 0xc5: this.#need(2); this.pos += 2; return this.#bin(v.getUint16(p), -1);
      case 0xc6: this.#need(4); this.pos += 4; return this.#bin(v.getUint32(p), -1);
      case 0xdc: this.#need(2); this.pos += 2; return this.#array(v.getUint16(p), depth);
      case 0xdd: this.#need(4); this.pos += 4; return this.#array(v.getUint32(p), depth);
      case 0xde: this.#need(2); this.pos += 2; return this.#map(v.getUint16(p), depth);
      case 0xdf: this.#need(4); this.pos += 4; return this.#map(v.getUint32(p), depth);
      case 0xd4: return this.#extHead(1);
      case 0xd5: return this.#extHead(2);
      case 0xd6: return this.#extHead(4);
      case 0xd7: return this.#extHead(8);
      case 0xd8: return this.#extHead(16);
      case 0xc7: this.#need(1); this.pos += 1; return this.#extHead(this.bytes[p]!);
      case 0xc8: this.#need(2); this.pos += 2; return this.#extHead(v.getUint16(p));
      case 0xc9: this.#need(4); this.pos += 4; return this.#extHead(v.getUint32(p));
      default: return bad(`unknown type byte 0x${t.toString(16)}`);
    }
  }

  #str(n: number): string {
    this.#need(n);
    const b = this.bytes;
    const start = this.pos;
    this.pos += n;
    if (n <= SHORT_MAX) {
      // Short ASCII strings (keys above all) come from a small cache: comparing
      // a few bytes is cheaper than making a string (and interning it as a key).
      let h = n;
      for (let i = start; i < start + n; i++) {
        const c = b[i]!;
        if (c >= 0x80) return b.toString('utf8', start, start + n);
        h = (Math.imul(h, 31) + c) | 0;
      }
      const slot = (h ^ (h >>> 13)) & (SHORT_SLOTS - 1);
      const hit = shortCache[slot];
      if (hit !== undefined && hit.length === n) {
        let same = true;
        for (let i = 0; i < n; i++) if (hit.charCodeAt(i) !== b[start + i]) { same = false; break; }
        if (same) return hit;
      }
      const made = n === 0 ? '' : n === 1 ? String.fromCharCode(b[start]!) : b.latin1Slice(start, start + n);
      shortCache[slot] = made;
      return made;
    }
    return b.utf8Slice(start, start + n);
  }

  #array(n: number, depth: number): unknown[] {
    if (depth >= MAX_READ_DEPTH) bad('nested too deep');
    // Each element takes at least one byte: a bogus huge count fails here, not in allocation.
    this.#need(n);
    const a = new Array(n);
    for (let i = 0; i < n; i++) a[i] = this.#value(depth + 1);
    return a;
  }

  #map(n: number, depth: number): Record<string, unknown> {
    if (depth >= MAX_READ_DEPTH) bad('nested too deep');
    this.#need(n * 2);
    const o: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) {
      if (this.pos >= this.end) bad('truncated');
      const t = this.bytes[this.pos]!;
      let k: unknown;
      if (t >= 0xa0 && t < 0xc0) { this.pos++; k = this.#str(t & 0x1f); }
      else {
        k = this.#value(depth + 1);
        // Other programs may key maps by numbers; JS object keys are strings.
        if (typeof k === 'number' || typeof k === 'bigint') k = String(k);
        else if (typeof k !== 'string') bad('a map key that is not a string or a number');
      }
      const v = this.#value(depth + 1);
      // A plain assignment to "__proto__" would set the prototype instead.
      if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
      else o[k as string] = v;
    }
    return o;
  }

  #copy(n: number): ArrayBuffer {
    const start = this.pos;
    this.pos += n;
    const out = new ArrayBuffer(n);
    new Uint8Array(out).set(this.bytes.subarray(start, start + n));
    return out;
  }

  #bin(n: number, ext: number): unknown {
    this.#need(n);
    const start = this.pos;
    const at = this.bytes.byteOffset + start;
    const viewable = this.owned && n >= VIEW_MIN;
    if (ext === -1) {
      if (!viewable) return new Uint8Array(this.#copy(n));
      this.pos += n;
      return new Uint8Array(this.bytes.buffer, at, n);
    }
    if (ext === EXT_BUFFER) {
      this.pos += n;
      const b = this.bytes.subarray(start, start + n);
      return viewable ? b : Buffer.from(b);
    }
    const Typed = TYPED[ext]! as unknown as { new (b: ArrayBuffer, o?: number, l?: number): ArrayBufferView; BYTES_PER_ELEMENT: number; name: string };
    const size = Typed.BYTES_PER_ELEMENT;
    if (n % size !== 0) bad(`a ${Typed.name} of ${n} bytes`);
    if (viewable && at % size === 0) {
      this.pos += n;
      return new Typed(this.bytes.buffer as ArrayBuffer, at, n / size);
    }
    return new Typed(this.#copy(n));
  }

  #extHead(n: number): unknown {
    this.#need(1 + n);
    const type = this.view.getInt8(this.pos++);
    if (type === EXT_UNDEFINED) {
      this.pos += n;
      return undefined;
    }
    if (type === EXT_BUFFER || (type >= 2 && type <= 11)) return this.#bin(n, type);
    // Unknown extension (from another program): keep its bytes.
    const data = Buffer.from(this.bytes.subarray(this.pos, this.pos + n));
    this.pos += n;
    return { type, data };
  }
}

function bigToNumber(b: bigint): number | bigint {
  // Exact when it fits a double's integers; otherwise keep the bigint.
  return b >= -9007199254740991n && b <= 9007199254740991n ? Number(b) : b;
}
