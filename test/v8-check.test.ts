// checkV8Payload: the walk over V8-format bytes that runs before v8.deserialize
// reads a peer's message. It must accept everything v8.serialize writes (and
// never refuse what v8 would read), and refuse arrays with holes whose declared
// lengths would make v8 allocate far past the message's own size.
import { describe, expect, it } from 'vitest';
import v8 from 'node:v8';
import { checkV8Payload, MAX_SPARSE_LENGTH } from '../dist/v8-check.js';
import { denseNest, holeBomb, longSubTagBomb, longVarintBomb, version13Bomb } from './helpers/v8-bombs.js';

function allKinds(): unknown[] {
  const shared = { a: 1 };
  const buffer = new ArrayBuffer(16);
  const holey = [1, , 3]; // eslint-disable-line no-sparse-arrays
  holey[100] = 'x';
  const deep: unknown[] = [];
  let at = deep;
  for (let i = 0; i < 3000; i++) {
    const next: unknown[] = [];
    at.push(next);
    at = next;
  }
  const cycle: Record<string, unknown> = { n: 1 };
  cycle.self = cycle;
  return [
    undefined, null, true, false, 0, -0, -1, 2 ** 31, 2 ** 32, 1.5, NaN, -Infinity,
    'x', 'héllo', '日本', '\ud800', 'a'.repeat(100_000), 10n, -(2n ** 200n), 0n,
    {}, { a: 1, b: [1, 2, { c: 'd' }] }, [1, 'a', null], holey, Object.assign([1, 2], { foo: 'bar' }),
    Object.assign([, 1], { k: { z: 1 } }), // eslint-disable-line no-sparse-arrays
    new Map<unknown, unknown>([[1, 'a'], ['b', { c: holey }]]), new Set([1, 'x', {}]), new Date(0), /a.b/gimsuy,
    new Boolean(true), new Number(3), new String('str'), Object(10n),
    new RangeError('boom', { cause: new Error('inner', { cause: new String('s') }) }),
    new TypeError('t'), new SyntaxError('s'), new EvalError('e'), new URIError('u'), new ReferenceError('r'),
    Buffer.from('hello'), new Uint8Array([1, 2]), new Float64Array([1.5]), new BigInt64Array([1n]),
    new DataView(buffer, 4, 8), buffer, new Uint16Array(buffer, 2, 3), new ArrayBuffer(8, { maxByteLength: 64 }),
    { s: shared, t: shared, list: [shared, shared] }, deep, cycle,
    [new Date(1), /x/, new String(''), new Error('m'), new Map([[holey, new Set([new Map()])]])],
  ];
}

describe('checkV8Payload', () => {
  it('accepts every kind of value v8.serialize writes, nested 3000 deep too', () => {
    for (const v of allKinds()) {
      const bytes = v8.serialize(v);
      expect(() => checkV8Payload(bytes, 0, bytes.length)).not.toThrow();
    }
  });

  it('refuses holes past the limit in all, however they are nested, before any allocation', () => {
    const before = process.memoryUsage().rss;
    // 100 arrays of 32 million holes in 1.1 KB: v8.deserialize would take 25 GB.
    expect(() => { const b = holeBomb(100, 32_000_000); checkV8Payload(b, 0, b.length); }).toThrow(RangeError);
    // Many small ones add up.
    expect(() => { const b = holeBomb(9, 1_000_000); checkV8Payload(b, 0, b.length); }).toThrow(RangeError);
    const fits = holeBomb(8, MAX_SPARSE_LENGTH / 8);
    expect(() => checkV8Payload(fits, 0, fits.length)).not.toThrow();
    expect(process.memoryUsage().rss - before).toBeLessThan(64 * 1024 * 1024);
  });

  it('never refuses what v8 would read: every truncation and 20k mutations of real payloads', () => {
    const payloads = allKinds().map((v) => Buffer.from(v8.serialize(v))).filter((b) => b.length < 4096);
    const v8Reads = (b: Buffer): boolean => {
      try {
        v8.deserialize(b);
        return true;
      } catch {
        return false;
      }
    };
    const checkerAccepts = (b: Buffer): boolean => {
      try {
        checkV8Payload(b, 0, b.length);
        return true;
      } catch (err) {
        expect(err).toBeInstanceOf(Error);
        return false;
      }
    };
    let refused = 0;
    for (const b of payloads) {
      for (let cut = 1; cut < Math.min(b.length, 200); cut++) {
        const part = b.subarray(0, cut);
        if (!checkerAccepts(part)) {
          refused++;
          expect(v8Reads(part)).toBe(false);
        }
      }
    }
    for (let i = 0; i < 20_000; i++) {
      const b = Buffer.from(payloads[i % payloads.length]!);
      for (let k = 0; k < 1 + (i % 3); k++) b[2 + Math.floor(Math.random() * (b.length - 2))] = Math.floor(Math.random() * 256);
      if (!checkerAccepts(b)) {
        refused++;
        expect(v8Reads(b)).toBe(false);
      }
    }
    expect(refused).toBeGreaterThan(0);
  });

  // The walk must read every varint as V8 does, or the bytes it skips are not
  // the bytes V8 skips: each of these hid arrays with holes that killed a
  // receiver with OOM (16 of 32 million: 4 GB) behind what the walk took for
  // a string.
  it('reads varints as V8 does: at most 5 bytes (2 for sub-tags), whatever the top bit says', () => {
    for (const b of [longVarintBomb(32_000_000), longSubTagBomb(32_000_000)]) {
      expect(() => checkV8Payload(b, 0, b.length)).toThrow(RangeError);
    }
    // V8 reads these: a 5-byte varint ends at its 5th byte.
    const five = Buffer.from([0xff, 0x0f, 0x41, 0x02, 0x55, 0x80, 0x80, 0x80, 0x80, 0x80, 0x55, 0x01, 0x24, 0x00, 0x02]);
    expect(v8.deserialize(five)).toEqual([0, 1]);
    expect(() => checkV8Payload(five, 0, five.length)).not.toThrow();
    const sub = Buffer.from([0xff, 0x0f, 0x72, 0xed, 0x80, 0x22, 0x01, 0x78, 0x2e]); // 'm' in 2 bytes
    expect((v8.deserialize(sub) as Error).message).toBe('x');
    expect(() => checkV8Payload(sub, 0, sub.length)).not.toThrow();
  });

  it('walks version 13 data both ways V8 reads it (with and without view flags)', () => {
    const b = version13Bomb(3, 32_000_000);
    expect(() => checkV8Payload(b, 0, b.length)).toThrow(RangeError);
    // A view in version 13 data that both ways read (Node writes views as
    // host objects, and version 15: no peer of Node 20+ sends a view in
    // version 13 data that only one way reads).
    const view = Buffer.from([0xff, 0x0d, 0x41, 0x01, 0x42, 0x02, 0x07, 0x08, 0x56, 0x42, 0x00, 0x02, 0x00, 0x24, 0x00, 0x01]);
    expect(v8.deserialize(view)).toEqual([new Uint8Array([7, 8])]);
    expect(() => checkV8Payload(view, 0, view.length)).not.toThrow();
  });

  it('refuses dense arrays that declare more elements in all than the payload has bytes', () => {
    // 50 nested arrays of 64k elements: V8 set aside 50 times 512 KB for 64 KB.
    const b = denseNest(50, 65_536);
    expect(() => checkV8Payload(b, 0, b.length)).toThrow(RangeError);
    const one = denseNest(1, 65_536);
    expect(v8.deserialize(one)).toHaveLength(65_536);
    expect(() => checkV8Payload(one, 0, one.length)).not.toThrow();
  });

  it('nesting deeper than V8 can read is refused without the walk growing with it', () => {
    // V8 gives up past a few thousand levels (its stack); the walk kept 16
    // bytes a level: a 64 MiB message of ';' killed the process.
    const b = Buffer.alloc(8 * 1024 * 1024, 0x3b);
    b[0] = 0xff;
    b[1] = 0x0f;
    const before = process.memoryUsage().heapUsed;
    expect(() => checkV8Payload(b, 0, b.length)).toThrow(Error);
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(64 * 1024 * 1024);
  });

  it('an error whose cause is a view of an ArrayBuffer', () => {
    const b = Buffer.from([0xff, 0x0f, 0x72, 0x63, 0x42, 0x02, 0x07, 0x08, 0x56, 0x42, 0x00, 0x02, 0x00, 0x2e]);
    expect((v8.deserialize(b) as Error).cause).toEqual(new Uint8Array([7, 8]));
    expect(() => checkV8Payload(b, 0, b.length)).not.toThrow();
  });

  it('random bytes end in an Error or a pass, never a hang', () => {
    for (let i = 0; i < 50_000; i++) {
      const b = Buffer.alloc(2 + (i % 48));
      for (let j = 0; j < b.length; j++) b[j] = Math.floor(Math.random() * 256);
      if (i % 4 !== 0) { b[0] = 0xff; b[1] = 0x0f; }
      try {
        checkV8Payload(b, 0, b.length);
      } catch (err) {
        expect(err).toBeInstanceOf(Error);
      }
    }
  });
  // V8 reserves address space for a resizable ArrayBuffer's max length: a 7 KB
  // payload of them reserved 4 TB, and other allocations could fail meanwhile.
  it('resizable ArrayBuffers may reserve 4 GiB in all, no more', () => {
    // Written by hand ('A' 2, then two '~' of byte length 0 and the given max
    // lengths, '$'): making such buffers for real would reserve the space here.
    const pair = (max: string): Buffer => Buffer.from(`ff0f4102 7e00${max} 7e00${max} 240002`.replace(/ /g, ''), 'hex');
    const twoGiB = '8080808008'; // 2^31 as a varint
    const almost4GiB = 'ffffffff0f'; // 2^32 - 1
    const fits = pair(twoGiB);
    expect(() => checkV8Payload(fits, 0, fits.length)).not.toThrow();
    expect(v8.deserialize(Buffer.from(v8.serialize(new ArrayBuffer(0, { maxByteLength: 8 })))).resizable).toBe(true);
    const past = pair(almost4GiB);
    expect(() => checkV8Payload(past, 0, past.length)).toThrow(RangeError);
  });
});
