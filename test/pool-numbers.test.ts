// The packing of numeric pool chunks (lib/pool-numbers.ts), in this process;
// test/pool.test.ts checks the same values through real workers.
import { describe, expect, it } from 'vitest';
// Internal module: not part of the public API, reached through the build output.
import { MIN_PACKED, isPacked, packNumbers } from '../dist/pool-numbers.js';

const fill = (n: number, f: (i: number) => unknown): unknown[] => Array.from({ length: n }, (_, i) => f(i));
const same = (a: ArrayLike<unknown>, b: ArrayLike<unknown>): boolean =>
  a.length === b.length && Array.from(a).every((v, i) => Object.is(v, b[i]));

describe('packNumbers', () => {
  it('packs int32s as an Int32Array', () => {
    const xs = fill(100, (i) => (i % 2 ? 2 ** 31 - 1 - i : -(2 ** 31) + i));
    const p = packNumbers(xs);
    expect(p).toBeInstanceOf(Int32Array);
    expect(same(p!, xs)).toBe(true);
    expect(isPacked(p)).toBe(true);
  });

  it('switches to a Float64Array for -0, NaN, infinities, fractions and numbers past int32', () => {
    for (const odd of [-0, NaN, Infinity, -Infinity, 0.1, 2 ** 31, -(2 ** 31) - 1, 2 ** 53, Number.MIN_VALUE]) {
      for (const at of [0, 7, MIN_PACKED - 1]) {
        const xs = fill(MIN_PACKED, (i) => (i === at ? odd : i - 3));
        const p = packNumbers(xs);
        expect(p, `${odd} at ${at}`).toBeInstanceOf(Float64Array);
        expect(same(p!, xs), `${odd} at ${at}`).toBe(true);
      }
    }
  });

  it('leaves anything that is not a number as a plain array', () => {
    for (const odd of [1n, '1', null, undefined, true, {}, [1], new Int32Array(1)]) {
      for (const at of [0, 5, MIN_PACKED - 1]) {
        expect(packNumbers(fill(MIN_PACKED, (i) => (i === at ? odd : i)))).toBeNull();
        // Also after the switch to doubles.
        expect(packNumbers(fill(MIN_PACKED, (i) => (i === at ? odd : i === 0 ? 0.5 : i)))).toBeNull();
      }
    }
    // eslint-disable-next-line no-sparse-arrays
    const holey = [1, , 3, ...fill(MIN_PACKED, (i) => i)];
    expect(packNumbers(holey)).toBeNull();
  });

  it('packs a range of the array (a chunk of map\'s inputs)', () => {
    const xs = [...fill(40, (i) => i), 0.5, ...fill(40, (i) => i), 'x'];
    const ints = packNumbers(xs, 3, 40);
    expect(ints).toBeInstanceOf(Int32Array);
    expect(Array.from(ints!)).toEqual(xs.slice(3, 40));
    const doubles = packNumbers(xs, 20, 81);
    expect(doubles).toBeInstanceOf(Float64Array);
    expect(Array.from(doubles!)).toEqual(xs.slice(20, 81));
    expect(packNumbers(xs, 50, 82)).toBeNull();
    expect(packNumbers(xs, 10, 10 + MIN_PACKED - 1)).toBeNull();
  });

  it('short chunks stay plain arrays', () => {
    expect(packNumbers(fill(MIN_PACKED - 1, (i) => i))).toBeNull();
    expect(packNumbers([])).toBeNull();
    expect(isPacked([1, 2])).toBe(false);
    expect(isPacked(new Uint8Array(2))).toBe(false);
  });
});
