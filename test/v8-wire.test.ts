// The fast V8-format codec behind Connection.send/recv: what it writes, v8
// reads back identically, and what v8 writes, it reads identically (or hands
// to v8); garbage ends in an error, never a crash or a huge allocation.
import { describe, expect, it } from 'vitest';
import v8 from 'node:v8';
import { deserialize, fastSerialize, serialize } from '../dist/v8-wire.js';
import { collect, spawnNode } from './helpers/child.js';

function randomValue(depth = 0): unknown {
  const r = Math.random();
  if (depth > 4 || r < 0.5) {
    const leaves = [
      () => Math.floor(Math.random() * 2 ** 40) - 2 ** 39, () => Math.random() * 1e6, () => -0,
      () => (Math.random() * 2 ** 31) | 0, () => 'x'.repeat((Math.random() * 100) | 0) + 'é',
      () => '日本' + Math.random(), () => 'long '.repeat(50), () => true, () => null, () => undefined,
    ];
    return leaves[(Math.random() * leaves.length) | 0]!();
  }
  if (r < 0.75) return Array.from({ length: (Math.random() * 10) | 0 }, () => randomValue(depth + 1));
  const o: Record<string, unknown> = {};
  const keys = ['a', 'b', '__proto__', '0', '12', 'ключ', 'k'];
  for (let i = 0; i < ((Math.random() * 8) | 0); i++) {
    Object.defineProperty(o, keys[(Math.random() * keys.length) | 0]!, {
      value: randomValue(depth + 1), enumerable: true, writable: true, configurable: true,
    });
  }
  return o;
}

describe('v8-wire', () => {
  it('round-trips random plain data exactly as v8 does, both ways', () => {
    for (let i = 0; i < 5000; i++) {
      const v = randomValue();
      const expected = v8.deserialize(v8.serialize(v));
      const fast = fastSerialize(v);
      expect(fast).not.toBeNull();
      expect(v8.deserialize(Buffer.from(fast!))).toEqual(expected);
      expect(deserialize(v8.serialize(v))).toEqual(expected);
      expect(deserialize(Buffer.from(serialize(v)))).toEqual(expected);
    }
  });

  it('leaves to v8 what is outside plain data, identity and cycles included', () => {
    const shared = { a: 1 };
    const dag = deserialize(Buffer.from(serialize({ x: shared, y: shared }))) as { x: object; y: object };
    expect(dag.x).toBe(dag.y);
    const cyclic: { self?: unknown } = {};
    cyclic.self = cyclic;
    const back = deserialize(Buffer.from(serialize(cyclic))) as { self: unknown };
    expect(back.self).toBe(back);
    for (const v of [new Map([[1, 2]]), new Set([1]), 10n, new Date(5), Buffer.from('hi'), [1, , 3],
      Object.assign([1], { x: 2 }), new (class Point { x = 1 })()]) {
      expect(fastSerialize(v)).toBeNull();
      expect(deserialize(Buffer.from(serialize(v)))).toEqual(v8.deserialize(v8.serialize(v)));
    }
    expect(() => serialize(() => 1)).toThrow(/could not be cloned/);
  });

  it('does not let "__proto__" keys reach the prototype', () => {
    const v = JSON.parse('{"__proto__": {"polluted": true}, "ok": 1}');
    const back = deserialize(Buffer.from(serialize(v))) as Record<string, unknown>;
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(Object.hasOwn(back, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('garbage: errors, not crashes, and nothing big stays allocated', () => {
    const tags = [0x22, 0x63, 0x53, 0x49, 0x55, 0x4e, 0x54, 0x46, 0x30, 0x5f, 0x6f, 0x7b, 0x41, 0x24, 0x61, 0x40,
      0x5e, 0x5c, 0x42, 0x56, 0x44, 0x52, 0x3b, 0x3a, 0x27, 0x72, 0x5a, 0x00, 0x2d, 0x3f, 0x6d, 0x73];
    let values = 0;
    for (let i = 0; i < 50_000; i++) {
      const b = Buffer.alloc(2 + ((Math.random() * 60) | 0));
      b[0] = 0xff;
      b[1] = 0x0f;
      for (let j = 2; j < b.length; j++) {
        b[j] = Math.random() < 0.5 ? tags[(Math.random() * tags.length) | 0]! : (Math.random() * 256) | 0;
      }
      try {
        deserialize(b);
        values++;
      } catch (err) {
        expect(err).toBeInstanceOf(Error);
      }
    }
    expect(values).toBeGreaterThan(0);
  });

  // A 7-byte message declaring an array of 21.5 million holes made v8 set aside
  // 170 MB before it found the message short (the raw-peer garbage test's RSS
  // bound failed about one run in six).
  it('arrays with holes round-trip; a declared length past the cap is an error, not an allocation', () => {
    const holey = [1, , 3]; // eslint-disable-line no-sparse-arrays
    const named = Object.assign([1, , 3], { extra: 'kept' }); // eslint-disable-line no-sparse-arrays
    for (const a of [holey, new Array(1000), Object.assign(new Array(10), { 3: 'x' }), named, [, { a: [, 2] }]]) { // eslint-disable-line no-sparse-arrays
      const back = deserialize(Buffer.from(v8.serialize(a)));
      expect(v8.serialize(back).equals(v8.serialize(a))).toBe(true);
    }
    const tooLong = Buffer.from(v8.serialize(new Array(9_000_000))); // a few bytes
    const before = process.memoryUsage().rss;
    expect(() => deserialize(Buffer.from('ff0f6182eba20a', 'hex'))).toThrow(RangeError);
    expect(() => deserialize(tooLong)).toThrow(RangeError);
    expect(process.memoryUsage().rss - before).toBeLessThan(64 * 1024 * 1024);
  });
  // Each dense array is checked against the bytes left after it only: 60
  // arrays nested in each other, each declaring 256k elements, made the fast
  // reader set aside 60 times 2 MB (new Array) for a 256 KB message, and v8
  // as much after it. With a 64 MB heap, the process died.
  it('dense arrays nested in each other declaring more elements than the message has bytes: an error, not an allocation', async () => {
    const result = await collect(spawnNode(`
      import { deserialize } from './dist/v8-wire.js';
      const head = [0xff, 0x0f];
      for (let i = 0; i < 60; i++) head.push(0x41, 0x80, 0x80, 0x10); // 'A' 262144
      const b = Buffer.alloc(head.length + 262144 + 60 * 5, 0x5f);
      Buffer.from(head).copy(b, 0);
      for (let i = 0; i < 60; i++) Buffer.from([0x24, 0x00, 0x80, 0x80, 0x10]).copy(b, head.length + 262144 + 5 * i);
      try {
        deserialize(b);
        console.log('read');
      } catch (err) {
        console.log(err.constructor.name);
      }`, [], { env: { ...process.env, NODE_OPTIONS: '--max-old-space-size=64' } }), 60_000);
    expect(result.stdout.trim()).toBe('RangeError');
    expect(result.code).toBe(0);
  });
});
