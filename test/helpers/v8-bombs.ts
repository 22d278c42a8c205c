// V8-format payloads that a hostile peer could send: small messages that ask
// v8.deserialize for huge allocations.

function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return out;
}

/**
 * A Map of `count` arrays with holes, each declaring `length` elements, 11
 * bytes each: v8.deserialize sets aside up to 8 bytes per declared element
 * (32 million: 256 MB) before reading any.
 */
export function holeBomb(count: number, length: number): Buffer {
  const body = [0x3b]; // ';' a Map
  for (let i = 0; i < count; i++) {
    body.push(0x49, ...varint(2 * i), 0x61, ...varint(length), 0x40, 0x00, ...varint(length));
  }
  body.push(0x3a, ...varint(2 * count));
  return Buffer.from([0xff, 0x0f, ...body]);
}

// Sparse arrays of `length` nested in each other's properties (key 0), up to
// `room` bytes: what the payloads below hide where a walker that reads the
// format differently from V8 sees something else.
function nestedHoles(room: number, length: number): number[] {
  const out = [0x61, ...varint(length)];
  while (out.length + 3 + varint(length).length <= room) out.push(0x49, 0x00, 0x61, ...varint(length));
  while (out.length < room) out.push(0x00);
  return out;
}

/**
 * Arrays with holes that V8 reads but a walker reading varints past V8's 5
 * bytes (uint32) would take for the bytes of a string: V8 stops after the 5th
 * byte of a varint whatever its top bit says.
 */
export function longVarintBomb(length: number): Buffer {
  // Walker: 'U' with a 6-byte varint, then '"' of 0x61 (97) bytes.
  // V8: 'U' 0, 'U' 0x22, then 'a' (0x61) and the nested arrays.
  return Buffer.from([0xff, 0x0f, 0x41, 0x02, 0x55, 0x80, 0x80, 0x80, 0x80, 0x80, 0x55, 0x22,
    ...nestedHoles(98, length), 0x24, 0x00, 0x02]);
}

/**
 * The same through an error's sub-tag: V8 reads it as a varint of 8 bits, 2
 * bytes at most (0xe3 0x80: 'c', a cause).
 */
export function longSubTagBomb(length: number): Buffer {
  // Walker: sub-tag e3 80 55 ('c'), then '"' of 0x63 (99) bytes, then '.'.
  // V8: sub-tag e3 80 ('c'), cause 'U' 0x22, sub-tag 0x63 ('c'), cause 'a'...
  return Buffer.from([0xff, 0x0f, 0x72, 0xe3, 0x80, 0x55, 0x22, 0x63, ...nestedHoles(99, length), 0x2e]);
}

/**
 * Format version 13: when V8 fails to read it, it reads it again as the
 * "broken" version 13 some V8 wrote (array buffer views with a flags varint,
 * crbug.com/1284506). A walker that reads it one way only misses what the
 * other way holds: here the 8 bytes of a Date hold an array with holes.
 */
export function version13Bomb(count: number, length: number): Buffer {
  const block: number[] = [];
  for (let i = 0; i < count; i++) {
    const hidden = [0x61, ...varint(length), 0x49, 0x00];
    while (hidden.length < 8) hidden.push(0x00);
    if (hidden.length > 8) throw new Error('length too long to hide');
    // ArrayBuffer(0), a Uint8Array view of it, then a Date ('D' is the flags
    // the second reading takes).
    block.push(0x42, 0x00, 0x56, 0x42, 0x00, 0x00, 0x44, ...hidden);
  }
  // One element more than there are: the first reading fails at '$'.
  const n = 2 * count + 1;
  return Buffer.from([0xff, 0x0d, 0x41, ...varint(n), ...block, 0x24, 0x00, ...varint(n)]);
}

/**
 * `depth` dense arrays nested in each other, each declaring `length` elements
 * (V8 checks each against the bytes left, and allocates 8 bytes an element
 * before reading any), around a run of `length` undefineds.
 */
export function denseNest(depth: number, length: number): Buffer {
  const head = [0xff, 0x0f];
  for (let i = 0; i < depth; i++) head.push(0x41, ...varint(length));
  const tail = [0x24, 0x00, ...varint(length)];
  const b = Buffer.alloc(head.length + length + depth * tail.length, 0x5f);
  Buffer.from(head).copy(b, 0);
  for (let i = 0; i < depth; i++) Buffer.from(tail).copy(b, head.length + length + i * tail.length);
  return b;
}
