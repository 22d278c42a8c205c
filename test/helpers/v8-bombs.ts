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
