// A fast path for the V8 serialization format (the bytes `v8.serialize` writes).
// `v8.serialize` costs 2-4 µs for a small object, mostly fixed overhead, which
// alone would cap a Connection near 300k messages a second. Plain data (plain
// objects, dense arrays, strings, numbers, booleans, null, undefined, without
// shared references) is encoded and decoded here in JS, in the same format, so
// every payload is still valid `v8.deserialize` input and any V8-format reader
// (another Node, docs/interop/pipes.md) understands it. Anything else (Map,
// Date, Buffer, BigInt, cycles, class instances...) goes to the real v8
// serializer: the result is the same bytes a v8 reader expects either way.
import v8 from 'node:v8';
import { checkV8Payload, MAX_SPARSE_LENGTH } from './v8-check.js';

export { MAX_SPARSE_LENGTH };

const VERSION = 15; // the format version Node 20-22 write (0xFF 0x0F header)

// Thrown internally when the value (or the bytes) leave the fast subset.
const BAIL = Symbol('bail');
const MAX_DEPTH = 64;
const MAX_FAST_ARRAY = 256; // longer arrays: v8's fixed cost no longer matters

// ---- encoding -------------------------------------------------------------

const SCRATCH_SIZE = 64 * 1024;
let out = Buffer.allocUnsafeSlow(SCRATCH_SIZE);
let pos = 0;
const seen = new Set<object>();
const nonLatin1 = /[^\x00-\xff]/;

function grow(need: number): void {
  let size = out.length * 2;
  while (size < pos + need) size *= 2;
  const next = Buffer.allocUnsafeSlow(size);
  out.copy(next, 0, 0, pos);
  out = next;
}

function writeVarint(n: number): void {
  // n is a non-negative integer < 2^32
  while (n >= 0x80) {
    out[pos++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  out[pos++] = n;
}

function writeString(s: string): void {
  const len = s.length;
  if (pos + 11 + len * 2 > out.length) grow(11 + len * 2);
  if (len < 48) {
    // Short strings: one pass, falling back to two-byte on the first wide char.
    const start = pos;
    out[pos++] = 0x22; // '"' one-byte string
    writeVarint(len);
    for (let i = 0; i < len; i++) {
      const c = s.charCodeAt(i);
      if (c > 0xff) {
        pos = start;
        writeTwoByte(s);
        return;
      }
      out[pos++] = c;
    }
    return;
  }
  if (nonLatin1.test(s)) {
    writeTwoByte(s);
    return;
  }
  out[pos++] = 0x22;
  writeVarint(len);
  pos += out.latin1Write(s, pos, len);
}

function writeTwoByte(s: string): void {
  out[pos++] = 0x63; // 'c' two-byte string, UTF-16LE
  writeVarint(s.length * 2);
  pos += out.ucs2Write(s, pos, s.length * 2);
}

function writeNumber(n: number): void {
  if (pos + 10 > out.length) grow(10);
  if ((n | 0) === n && !Object.is(n, -0)) {
    out[pos++] = 0x49; // 'I' int32, zigzag varint
    writeVarint(((n << 1) ^ (n >> 31)) >>> 0);
  } else {
    out[pos++] = 0x4e; // 'N' double
    out.writeDoubleLE(n, pos);
    pos += 8;
  }
}

function writeTag(tag: number): void {
  if (pos + 1 > out.length) grow(1);
  out[pos++] = tag;
}

function writeValue(v: unknown, depth: number): void {
  switch (typeof v) {
    case 'string': return writeString(v);
    case 'number': return writeNumber(v);
    case 'boolean': return writeTag(v ? 0x54 : 0x46); // 'T' / 'F'
    case 'undefined': return writeTag(0x5f); // '_'
    case 'object':
      if (v === null) return writeTag(0x30); // '0'
      return writeObject(v, depth);
    default:
      throw BAIL; // bigint, symbol, function: v8 decides (serializes or throws)
  }
}

function writeObject(v: object, depth: number): void {
  if (depth >= MAX_DEPTH) throw BAIL; // also ends a cycle through the top-level value
  // Shared references keep their identity in v8's format: leave those to it.
  // (The top-level value needs no entry: a cycle back to it hits MAX_DEPTH.)
  if (depth > 0) {
    if (seen.has(v)) throw BAIL;
    seen.add(v);
  }
  const proto = Object.getPrototypeOf(v);
  if (proto === Array.prototype) {
    const a = v as unknown[];
    const len = a.length;
    // Holes and extra named properties need v8's sparse/property encoding.
    if (len > MAX_FAST_ARRAY || Object.keys(a).length !== len) throw BAIL;
    writeTag(0x41); // 'A' dense array
    if (pos + 5 > out.length) grow(5);
    writeVarint(len);
    for (let i = 0; i < len; i++) {
      if (!(i in a)) throw BAIL;
      writeValue(a[i], depth + 1);
    }
    if (pos + 11 > out.length) grow(11);
    out[pos++] = 0x24; // '$' end of dense array
    writeVarint(0); // named properties
    writeVarint(len);
    return;
  }
  if (proto !== Object.prototype) throw BAIL;
  const keys = Object.keys(v);
  writeTag(0x6f); // 'o' object
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    writeString(k);
    writeValue((v as Record<string, unknown>)[k], depth + 1);
  }
  if (pos + 6 > out.length) grow(6);
  out[pos++] = 0x7b; // '{' end of object
  writeVarint(keys.length);
}

/**
 * The bytes `v8.serialize(value)` would give, for plain data only (plain
 * objects, dense arrays, strings, numbers, booleans, null, undefined, no shared
 * references); null for anything else. The result is a view of a scratch
 * buffer: use it before the next call.
 */
export function fastSerialize(value: unknown): Uint8Array | null {
  const n = fastSerializeToScratch(value);
  return n < 0 ? null : out.subarray(0, n);
}

/**
 * fastSerialize without the view: the bytes are scratch()[0, n); -1 for a
 * value outside the fast subset.
 */
export function fastSerializeToScratch(value: unknown): number {
  pos = 0;
  if (out.length > 16 * SCRATCH_SIZE) out = Buffer.allocUnsafeSlow(SCRATCH_SIZE); // don't hold a big one
  out[pos++] = 0xff;
  out[pos++] = VERSION;
  try {
    writeValue(value, 0);
  } catch (err) {
    if (err !== BAIL) throw err;
    return -1;
  } finally {
    if (seen.size > 0) seen.clear();
  }
  return pos;
}

/** The encoder's scratch buffer (valid until the next call). */
export function scratch(): Buffer {
  return out;
}

/**
 * `v8.serialize(value)`, faster for plain data. The result may be a view of a
 * scratch buffer: use it before the next call. Throws as v8.serialize does
 * (DataCloneError) for values that cannot be cloned.
 */
export function serialize(value: unknown): Uint8Array {
  return fastSerialize(value) ?? v8.serialize(value);
}

// ---- decoding -------------------------------------------------------------

let d: Buffer = Buffer.alloc(0);
let p = 0;
let end = 0;
// Elements the arrays with holes read so far in this payload declared (each
// gets its length allocated up front): at most MAX_SPARSE_LENGTH in all.
let holes = 0;
// Elements the dense arrays of this payload may still declare: each takes a
// byte at least, so no payload v8 reads declares more than it has bytes.
// (Each array is checked against the bytes left after it only, and arrays
// nested in each other could each declare nearly all of them.)
let elementsLeft = 0;

function readVarint(): number {
  if (p >= end) throw BAIL;
  const b0 = d[p++]!;
  if (b0 < 0x80) return b0;
  let result = b0 & 0x7f;
  let scale = 0x80;
  for (let i = 1; i < 5; i++) {
    if (p >= end) throw BAIL;
    const b = d[p++]!;
    result += (b & 0x7f) * scale;
    if (b < 0x80) return result;
    scale *= 0x80;
  }
  throw BAIL;
}

function readValue(depth: number): unknown {
  for (;;) {
    if (p >= end) throw BAIL;
    const tag = d[p++]!;
    switch (tag) {
      case 0x00: continue; // padding
      case 0x22: { // '"' one-byte (Latin-1) string
        const n = readVarint();
        if (n > end - p) throw BAIL;
        const s = d.latin1Slice(p, p + n);
        p += n;
        return s;
      }
      case 0x63: { // 'c' two-byte string
        const n = readVarint();
        if (n > end - p || (n & 1) !== 0) throw BAIL;
        const s = d.ucs2Slice(p, p + n);
        p += n;
        return s;
      }
      case 0x53: { // 'S' UTF-8 string (older writers)
        const n = readVarint();
        if (n > end - p) throw BAIL;
        const s = d.utf8Slice(p, p + n);
        p += n;
        return s;
      }
      case 0x49: { // 'I' int32 zigzag
        const u = readVarint();
        if (u > 0xffffffff) throw BAIL;
        return (u >>> 1) ^ -(u & 1);
      }
      case 0x55: { // 'U' uint32
        const u = readVarint();
        if (u > 0xffffffff) throw BAIL;
        return u;
      }
      case 0x4e: { // 'N' double
        if (end - p < 8) throw BAIL;
        const n = d.readDoubleLE(p);
        p += 8;
        return n;
      }
      case 0x54: return true;
      case 0x46: return false;
      case 0x30: return null;
      case 0x5f: return undefined;
      case 0x6f: return readObject(depth);
      case 0x41: return readArray(depth);
      case 0x61: return readSparseArray(depth);
      default: throw BAIL; // anything else: let v8 read the whole payload
    }
  }
}

function setProperty(obj: Record<string, unknown>, key: unknown, value: unknown): void {
  if (typeof key !== 'string' && typeof key !== 'number') throw BAIL;
  if (key === '__proto__') {
    Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
  } else {
    obj[key] = value;
  }
}

// Object keys repeat from message to message: short one-byte keys are looked
// up here by a hash of their bytes instead of being decoded each time.
const KEY_CACHE_SIZE = 512;
const MAX_CACHED_KEY = 16;
const keyCache: (string | undefined)[] = new Array(KEY_CACHE_SIZE);

function readKey(depth: number): unknown {
  if (p < end && d[p] === 0x22 && p + 1 < end && d[p + 1]! <= MAX_CACHED_KEY) {
    const n = d[p + 1]!;
    const at = p + 2;
    if (n > end - at) throw BAIL;
    let h = n;
    for (let i = at; i < at + n; i++) h = (Math.imul(h, 31) + d[i]!) | 0;
    const slot = h & (KEY_CACHE_SIZE - 1);
    const cached = keyCache[slot];
    if (cached !== undefined && cached.length === n) {
      let same = true;
      for (let i = 0; i < n; i++) {
        if (cached.charCodeAt(i) !== d[at + i]) {
          same = false;
          break;
        }
      }
      if (same) {
        p = at + n;
        return cached;
      }
    }
    const key = d.latin1Slice(at, at + n);
    keyCache[slot] = key;
    p = at + n;
    return key;
  }
  return readValue(depth + 1);
}

function readObject(depth: number): object {
  if (depth >= MAX_DEPTH) throw BAIL;
  const obj: Record<string, unknown> = {};
  let count = 0;
  for (;;) {
    if (p >= end) throw BAIL;
    if (d[p] === 0x7b) { // '{'
      p++;
      if (readVarint() !== count) throw BAIL;
      return obj;
    }
    const key = readKey(depth);
    setProperty(obj, key, readValue(depth + 1));
    count++;
  }
}

function readArray(depth: number): unknown[] {
  if (depth >= MAX_DEPTH) throw BAIL;
  const len = readVarint();
  if (len > end - p) throw BAIL; // every element takes at least a byte
  elementsLeft -= len;
  if (elementsLeft < 0) throw BAIL; // v8-check refuses it
  const arr = new Array<unknown>(len);
  for (let i = 0; i < len; i++) {
    if (p < end && d[p] === 0x2d) throw BAIL; // '-' a hole
    arr[i] = readValue(depth + 1);
  }
  if (p >= end || d[p] !== 0x24) throw BAIL; // named properties: v8 reads them
  p++;
  if (readVarint() !== 0 || readVarint() !== len) throw BAIL;
  return arr;
}

// An array with holes: 'a' length, then index/value pairs, '@' count length.
// Read here (not by v8) so that its declared length is checked first.
function readSparseArray(depth: number): unknown[] {
  if (depth >= MAX_DEPTH) throw BAIL;
  const len = readVarint();
  holes += len;
  if (holes > MAX_SPARSE_LENGTH) {
    throw new RangeError(`arrays with holes declaring ${holes} elements (at most ${MAX_SPARSE_LENGTH} are read)`);
  }
  const arr = new Array<unknown>(len);
  let count = 0;
  for (;;) {
    if (p >= end) throw BAIL;
    if (d[p] === 0x40) { // '@'
      p++;
      if (readVarint() !== count || readVarint() !== len) throw BAIL;
      return arr;
    }
    const key = readValue(depth + 1);
    // Named properties, indexes past the length: v8 reads them.
    if (typeof key !== 'number' || !Number.isInteger(key) || key < 0 || key >= len) throw BAIL;
    arr[key] = readValue(depth + 1);
    count++;
  }
}

/**
 * `v8.deserialize(bytes)`, faster for plain data. Unless `owned`, `bytes` is
 * not kept: values v8 decodes as views (Buffers, typed arrays) get a copy.
 */
export function deserialize(bytes: Buffer, owned = false): unknown {
  return deserializeRange(bytes, 0, bytes.length, owned);
}

/** deserialize(bytes.subarray(start, stop)) without making the view first. */
export function deserializeRange(bytes: Buffer, start: number, stop: number, owned = false): unknown {
  if (stop - start >= 2 && bytes[start] === 0xff && bytes[start + 1]! >= 13 && bytes[start + 1]! <= VERSION) {
    d = bytes;
    p = start + 2;
    end = stop;
    holes = 0;
    elementsLeft = stop - start;
    try {
      return readValue(0);
    } catch (err) {
      if (err !== BAIL) throw err;
    } finally {
      d = EMPTY;
    }
  }
  // v8 would set aside memory for every hole an array declares: refuse a
  // payload whose holes pass the limit before v8 reads it.
  checkV8Payload(bytes, start, stop);
  // v8's Buffer/typed-array values alias the input: give them their own copy.
  const view = start === 0 && stop === bytes.length ? bytes : bytes.subarray(start, stop);
  return v8.deserialize(owned ? view : Buffer.from(view));
}

const EMPTY = Buffer.alloc(0);

declare global {
  interface Buffer {
    latin1Slice(start: number, end: number): string;
    ucs2Slice(start: number, end: number): string;
    utf8Slice(start: number, end: number): string;
    latin1Write(s: string, offset: number, length: number): number;
    ucs2Write(s: string, offset: number, length: number): number;
  }
}
