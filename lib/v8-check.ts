// Checks a V8-format payload (what `v8.serialize` writes) before `v8.deserialize`
// reads it, for the one thing V8 does not bound by the payload's own size: an
// array with holes (tag 'a') declares a length, and V8 sets aside 8 bytes per
// element of it before reading any. A 12-byte message could make the receiver
// allocate 256 MB, and a Map of a hundred such arrays (1.3 KB) 25 GB: the
// receiving process dies of it. Every other length in the format (strings,
// buffers, dense arrays, BigInts) is checked by V8 against the bytes present,
// but each dense array only against the bytes left after it: arrays nested in
// each other could each declare nearly the whole payload, so the walk also
// bounds their lengths in all by the payload's size (each element takes a
// byte at least: no payload V8 reads declares more).
//
// The walk skips values without making them (no allocation), and needs no
// recursion: every container is a run of values up to its end tag. It accepts
// exactly the format versions 13-15 that Node 20-24 write; anything it cannot
// walk, V8 could not read either.
//
// It must read every field as V8 does (V8 reads a varint of 32 bits in 5 bytes
// at most, whatever the 5th byte's top bit says; a sub-tag of 8 bits in 2), or
// the bytes it skips as a string's are not the ones V8 skips, and V8 finds
// arrays there that the walk never saw.
/**
 * Most elements that the arrays with holes of one payload may declare, in
 * all: what a frame of the default 64 MiB limit could carry as dense values.
 */
export const MAX_SPARSE_LENGTH = 8 * 1024 * 1024;

/** Most bytes the resizable ArrayBuffers of one payload may reserve (their max lengths), in all. */
export const MAX_RESIZABLE_BYTES = 2 ** 32;

class Malformed extends Error {}

// Deeper than V8 reads (a few thousand levels exhaust its stack): the walk's
// own stack stays bounded (16 bytes a level) whatever the payload.
const MAX_NESTING = 1 << 20;

// What the walk is inside of, innermost last.
const IN_CONTAINER = 0; // values up to an end tag (objects, arrays, maps, sets)
const IN_REGEXP = 1; // a pattern string, then a flags varint
const IN_ERROR = 2; // error sub-tags up to '.'

/**
 * Throws a RangeError when the arrays with holes in `bytes[start, end)`
 * declare more than `budget` elements in all, and an Error when the bytes are
 * not a V8-format value V8 could read. Returns when v8.deserialize may read it.
 */
export function checkV8Payload(bytes: Uint8Array, start: number, end: number, budget = MAX_SPARSE_LENGTH): void {
  // V8 reads version 13 data that it fails to read a second time, as the
  // broken version 13 some V8 wrote (views with the flags of version 14,
  // crbug.com/1284506): with views, such data must walk both ways.
  if (walk(bytes, start, end, budget, false)) walk(bytes, start, end, budget, true);
}

// True when the data is of version 13 and holds a view (read without flags
// unless `broken13`).
function walk(bytes: Uint8Array, start: number, end: number, budget: number, broken13: boolean): boolean {
  let p = start;
  let holes = 0;
  let dense = 0; // elements the dense arrays declare, in all
  let reserved = 0; // max lengths of resizable ArrayBuffers, in all
  let sawView = false;
  const stack: number[] = []; // IN_* kinds; containers also push their end tag

  const byte = (): number => {
    if (p >= end) throw new Malformed('truncated');
    return bytes[p++]!;
  };
  const varint = (): number => {
    // As V8 reads a uint32: 7 bits a byte, 5 bytes at most (the 5th ends it
    // whatever its top bit says), bits past the 32nd dropped.
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 5; i++) {
      const b = byte();
      value += (b & 0x7f) * scale;
      if (b < 0x80) break;
      scale *= 128;
    }
    return value % 2 ** 32;
  };
  // A one-byte varint field (V8 reads these sub-tags as varints of 8 bits:
  // 2 bytes at most).
  const varint8 = (): number => {
    const b = byte();
    if (b < 0x80) return b;
    return ((b & 0x7f) | ((byte() & 0x7f) << 7)) & 0xff;
  };
  const skip = (n: number): void => {
    if (n > end - p) throw new Malformed('truncated');
    p += n;
  };
  const tag = (): number => {
    let t = byte();
    while (t === 0x00) t = byte(); // padding
    return t;
  };

  if (byte() !== 0xff) throw new Malformed('no version header');
  const version = varint();
  if (version < 13 || version > 15) throw new Malformed(`format version ${version}`);
  const viewFlags = version >= 14 || broken13;
  const push = (kind: number, endTag: number): void => {
    if (stack.length >= 2 * MAX_NESTING) throw new Malformed('nested too deep');
    stack.push(kind, endTag);
  };

  // A tag read said a value follows (a String object's string, an error's
  // message): no end tag or error sub-tag can come first.
  let needValue = false;
  for (;;) {
    const kind = stack.length === 0 ? -1 : stack[stack.length - 2]!;
    if (kind === IN_ERROR && !needValue && !viewNext()) {
      const sub = varint8();
      if (sub === 0x2e) { // '.' the error ends
        stack.length -= 2;
        if (completed()) return sawView;
        continue;
      }
      // 'm' message and 's' stack: a string value; 'c' cause: any value;
      // the prototype sub-tags carry nothing.
      if (sub !== 0x6d && sub !== 0x73 && sub !== 0x63) {
        if (!ERROR_PROTOTYPES.includes(sub)) throw new Malformed(`error sub-tag 0x${sub.toString(16)}`);
        continue;
      }
    }
    let t = tag();
    if (kind === IN_CONTAINER && !needValue && t === stack[stack.length - 1]) {
      // The end tag, and its counts (arrays: properties, then length).
      varint();
      if (t === 0x24 || t === 0x40) varint(); // '$' '@'
      stack.length -= 2;
      if (completed()) return sawView;
      continue;
    }
    needValue = false;
    while (t === 0x3f) { // '?' an object count to ignore, then the value
      varint();
      t = tag();
    }
    switch (t) {
      case 0x2d: case 0x5f: case 0x30: case 0x54: case 0x46: case 0x79: case 0x78:
        break; // hole, undefined, null, true, false, Boolean objects
      case 0x49: case 0x55: case 0x5e: case 0x74: case 0x75: case 0x70: case 0x77:
        varint(); // int32, uint32, object reference, transfer and shared ids
        break;
      case 0x4e: case 0x44: case 0x6e:
        skip(8); // double, Date, Number object
        break;
      case 0x5a: case 0x7a: // BigInt, BigInt object: sign bit, then byte length
        skip((varint() >>> 1) & 0x3fffffff);
        break;
      case 0x22: case 0x63: case 0x53: case 0x42: // strings, ArrayBuffer
        skip(varint());
        break;
      case 0x7e: { // '~' resizable ArrayBuffer: length, max length, bytes
        const n = varint();
        // V8 reserves address space for the max length (4 GB each: a 7 KB
        // payload reserved 4 TB, and other allocations could fail meanwhile).
        reserved += varint();
        if (reserved > MAX_RESIZABLE_BYTES) {
          throw new RangeError(`resizable ArrayBuffers reserving ${reserved} bytes (at most ${MAX_RESIZABLE_BYTES})`);
        }
        skip(n);
        break;
      }
      case 0x56: // 'V' a view of the ArrayBuffer before it
        varint8();
        varint();
        varint();
        if (viewFlags) varint();
        if (version === 13) sawView = true;
        break;
      case 0x5c: // '\' Node's host object (Buffer, typed array): type, length, bytes
        varint();
        skip(varint());
        break;
      case 0x6d: // 'm' WebAssembly.Memory: pages, then its buffer (the next value)
        varint();
        needValue = true;
        continue;
      case 0x73: // 's' String object: the string value follows
        needValue = true;
        continue;
      case 0x52: // 'R' RegExp: the pattern (a string value), then flags
        push(IN_REGEXP, 0);
        needValue = true;
        continue;
      case 0x72: // 'r' Error: sub-tags
        push(IN_ERROR, 0);
        continue;
      case 0x6f: push(IN_CONTAINER, 0x7b); continue; // 'o' ... '{'
      case 0x3b: push(IN_CONTAINER, 0x3a); continue; // ';' ... ':'
      case 0x27: push(IN_CONTAINER, 0x2c); continue; // "'" ... ','
      case 0x41: // 'A' dense array: V8 checks its length against the bytes left
        dense += varint();
        if (dense > end - start) {
          throw new RangeError(`dense arrays declaring ${dense} elements in a payload of ${end - start} bytes`);
        }
        push(IN_CONTAINER, 0x24);
        continue;
      case 0x61: { // 'a' array with holes: the length V8 allocates for
        holes += varint();
        if (holes > budget) {
          throw new RangeError(`arrays with holes declaring ${holes} elements (at most ${budget} are read)`);
        }
        push(IN_CONTAINER, 0x40);
        continue;
      }
      default:
        throw new Malformed(`tag 0x${t.toString(16)}`);
    }
    if (completed()) return sawView;
  }

  // An error's cause that is an ArrayBuffer takes the view after it (V8 looks
  // for one, past padding, after every ArrayBuffer it reads): true when a
  // view comes next rather than a sub-tag.
  function viewNext(): boolean {
    let q = p;
    while (q < end && bytes[q] === 0x00) q++;
    return q < end && bytes[q] === 0x56;
  }

  // A value just ended. A RegExp around it (its pattern) takes its flags and
  // ends too. True when that was the whole payload's value.
  function completed(): boolean {
    while (stack.length > 0 && stack[stack.length - 2] === IN_REGEXP) {
      varint();
      stack.length -= 2;
    }
    return stack.length === 0;
  }
}

// 'E' 'R' 'F' 'S' 'T' 'U': EvalError ... URIError.
const ERROR_PROTOTYPES = [0x45, 0x52, 0x46, 0x53, 0x54, 0x55];
