import { afterEach, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import {
  Array as ArrayExport, ClosedError, MAX_SHARED_MEMORY_SIZE, RawArray, SharedArray, SharedMemory, kTransfer,
} from 'osipc';
import { packHandles } from '../dist/transfer.js';
import { collect, packageRoot, runNode, testName, waitForLine } from './helpers/child.js';

const made: { close(): void }[] = [];
afterEach(() => {
  for (const m of made.splice(0)) m.close();
});
function keep<T extends { close(): void }>(x: T): T {
  made.push(x);
  return x;
}

const pyPeer = join(packageRoot, 'examples/python/osipc_value.py');
const hasPython = spawnSync('python3', ['-c', 'import multiprocessing.shared_memory'], { stdio: 'ignore' }).status === 0;

describe('SharedArray: one process', () => {
  it('is exported as Array too, and the global Array is untouched', () => {
    expect(ArrayExport).toBe(SharedArray);
    expect(globalThis.Array.isArray([])).toBe(true);
    expect(new globalThis.Array(3).length).toBe(3);
  });

  it('is made from a length, a list, a typed array or any iterable', () => {
    const zeros = keep(new SharedArray('i', 5));
    expect(zeros.length).toBe(5);
    expect(zeros.toArray()).toEqual([0, 0, 0, 0, 0]);
    expect(zeros.view).toBeInstanceOf(Int32Array);
    const list = keep(new SharedArray('d', [1.5, -2, 3]));
    expect([...list]).toEqual([1.5, -2, 3]);
    const typed = keep(new SharedArray('h', Int16Array.of(-1, 2, -3)));
    expect(typed.toArray()).toEqual([-1, 2, -3]);
    const set = keep(new SharedArray('Q', new Set([1n, 2n ** 64n - 1n])));
    expect(set.toArray()).toEqual([1n, 2n ** 64n - 1n]);
    expect(set.view).toBeInstanceOf(BigUint64Array);
    const gen = keep(new SharedArray('B', (function* () { yield 1; yield 255; })()));
    expect(gen.toArray()).toEqual([1, 255]);
  });

  it('gets, sets, views and iterates', () => {
    const a = keep(new SharedArray('i', [1, 2, 3]));
    a.set(1, 20);
    expect(a.get(1)).toBe(20);
    a.view[2] = 30; // the view is live shared memory
    expect(a.get(2)).toBe(30);
    expect([...a]).toEqual([1, 20, 30]);
    expect(a.typecode).toBe('i');
    expect(a.owner).toBe(true);
  });

  it("'c' arrays work like Python's: bytes in, bytes out, .value up to NUL, .raw", () => {
    const c = keep(new SharedArray('c', 'hello'));
    expect(c.length).toBe(5);
    expect(c.get(0)).toEqual(Buffer.from('h'));
    c.set(0, 'H');
    c.set(4, 0x21);
    expect(c.value.toString()).toBe('Hell!');
    c.value = 'hi';
    expect(c.value.toString()).toBe('hi');
    expect(c.raw).toEqual(Buffer.from('hi\0l!'));
    c.raw = Buffer.from('abcde');
    expect(c.value.toString()).toBe('abcde');
    expect(c.toArray()).toEqual(['a', 'b', 'c', 'd', 'e'].map((x) => Buffer.from(x)));
    const fromBytes = keep(new SharedArray('c', Buffer.from([0xff, 0])));
    expect(fromBytes.raw).toEqual(Buffer.from([0xff, 0]));
    const sized = keep(new SharedArray('c', 3));
    expect(sized.value).toEqual(Buffer.alloc(0));
    expect(() => { c.value = 'too long!'; }).toThrow(RangeError);
    expect(() => { c.raw = 5 as never; }).toThrow(TypeError);
    expect(() => c.set(0, 'ab')).toThrow(RangeError);
    const nums = keep(new SharedArray('i', 2));
    expect(() => nums.value).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_OSIPC_NOT_BYTES' }));
    expect(() => nums.raw).toThrow(TypeError);
  });

  it('has atomic operations by index on integer codes only', () => {
    const a = keep(new SharedArray('I', 3));
    expect(a.add(0, 5)).toBe(0);
    expect(a.sub(0, 1)).toBe(5);
    expect(a.exchange(1, 7)).toBe(0);
    expect(a.compareExchange(1, 7, 8)).toBe(7);
    expect(a.load(1)).toBe(8);
    expect(a.store(2, 4_000_000_000)).toBe(4_000_000_000);
    expect(a.toArray()).toEqual([4, 8, 4_000_000_000]);
    const q = keep(new SharedArray('q', 2));
    expect(q.add(1, -5n)).toBe(0n);
    expect(q.get(1)).toBe(-5n);
    const f = keep(new SharedArray('f', 2));
    expect(() => f.add(0, 1 as never)).toThrow(expect.objectContaining({ code: 'ERR_OSIPC_NOT_ATOMIC' }));
    expect(() => a.add(3, 1)).toThrow(RangeError);
  });

  it('rejects bad sizes, bad elements and bad indexes', () => {
    expect(() => new SharedArray('i', 0)).toThrow(RangeError);
    expect(() => new SharedArray('i', -1)).toThrow(RangeError);
    expect(() => new SharedArray('i', 1.5)).toThrow(RangeError);
    expect(() => new SharedArray('i', 2 ** 53)).toThrow(RangeError);
    expect(() => new SharedArray('d', Math.floor(MAX_SHARED_MEMORY_SIZE / 8))).toThrow(RangeError);
    expect(() => new SharedArray('i', [])).toThrow(RangeError);
    expect(() => new SharedArray('c', '')).toThrow(RangeError);
    expect(() => new SharedArray('i', 'abc' as never)).toThrow(TypeError);
    expect(() => new SharedArray('i', undefined as never)).toThrow(TypeError);
    expect(() => new SharedArray('i', { length: 3 } as never)).toThrow(TypeError);
    expect(() => new SharedArray('i', [1, 2 ** 31])).toThrow(/sizeOrInit\[1\]/);
    expect(() => new SharedArray('q', [1n, 2])).toThrow(TypeError);
    expect(() => new SharedArray('B', Int16Array.of(1, -1))).toThrow(RangeError);
    expect(() => new SharedArray('y' as never, 3)).toThrow(TypeError);
    const a = keep(new SharedArray('i', 3));
    for (const i of [-1, 3, 1.5, NaN, 2 ** 40]) expect(() => a.get(i)).toThrow(RangeError);
    for (const i of ['0', 0n, null]) expect(() => a.get(i as never)).toThrow(TypeError);
    expect(() => a.set(3, 1)).toThrow(RangeError);
    expect(() => a.set(0, 2 ** 31)).toThrow(RangeError);
    expect(() => a.set(0, 1n as never)).toThrow(TypeError);
    expect(a.toArray()).toEqual([0, 0, 0]);
  });

  it('throws ClosedError after close; old views read as empty', () => {
    const a = new SharedArray('i', [1, 2]);
    const view = a.view;
    a.close();
    a.close();
    expect(view.length).toBe(0);
    for (const op of [() => a.get(0), () => a.set(0, 1), () => a.view, () => a.toArray(), () => [...a],
      () => a.add(0, 1), () => a.getLock(), () => a[kTransfer]()]) {
      expect(op).toThrow(ClosedError);
    }
    const c = new SharedArray('c', 'x');
    c.close();
    expect(() => c.value).toThrow(ClosedError);
  });

  it('RawArray and lock: false have no lock; a SharedArray has one', () => {
    const noLock = expect.objectContaining({ code: 'ERR_OSIPC_NO_LOCK' });
    expect(() => keep(new RawArray('i', 2)).getLock()).toThrow(noLock);
    expect(() => keep(new SharedArray('i', 2, { lock: false })).getLock()).toThrow(noLock);
    const a = keep(new SharedArray('i', 2, { name: testName('arr') }));
    expect(a.getLock().withLockSync(() => a.add(0, 1))).toBe(0);
    expect(() => keep(RawArray.open(a.name)).getLock()).toThrow(noLock);
  });

  it('refuses a segment whose count does not fit', () => {
    const a = keep(new SharedArray('i', 4));
    const shm = SharedMemory.open(a.name);
    Buffer.from(shm.buffer).writeBigUInt64LE(5n, 16);
    shm.close();
    expect(() => SharedArray.open(a.name)).toThrow(expect.objectContaining({ code: 'ERR_OSIPC_INVALID_SEGMENT' }));
    expect(() => SharedArray.open(testName('none'))).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect(() => new SharedArray('i', 1, { name: a.name })).toThrow(expect.objectContaining({ code: 'EEXIST' }));
  });
});

describe('SharedArray: across processes', () => {
  it("a child changes an Array('c', 'hello') and squares a numeric array", async () => {
    const c = keep(new SharedArray('c', 'hello'));
    const n = keep(new SharedArray('i', [1, 2, 3, 4]));
    const r = await runNode(`
      import { SharedArray } from 'osipc';
      const c = SharedArray.open(process.argv[2]), n = SharedArray.open(process.argv[3]);
      console.log(c.value.toString(), n.length);
      c.set(0, 'H');
      for (let i = 0; i < n.length; i++) n.set(i, n.get(i) ** 2);
      c.close(); n.close();`, [c.name, n.name]);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('hello 4');
    expect(c.value.toString()).toBe('Hello');
    expect(n.toArray()).toEqual([1, 4, 9, 16]);
  });

  it('atomic adds by index from two processes are exact', async () => {
    const a = keep(new SharedArray('i', 3));
    const code = `
      import { SharedArray } from 'osipc';
      const a = SharedArray.open(process.argv[2]);
      for (let i = 0; i < 1_000_000; i++) { a.add(0, 1); a.add(i % 2 ? 1 : 2, 1); }
      a.close();`;
    const rs = await Promise.all([runNode(code, [a.name]), runNode(code, [a.name])]);
    expect(rs.map((r) => r.stderr).join('')).toBe('');
    expect(a.toArray()).toEqual([2_000_000, 1_000_000, 1_000_000]);
  });

  it('travels by name and is not unlinked by the opener', async () => {
    const a = keep(new SharedArray('d', [0.5]));
    const packed = packHandles([a, keep(new RawArray('c', 'ab'))]);
    const r = await runNode(`
      import 'osipc';
      import { unpackHandles } from './dist/transfer.js';
      const [a, raw] = unpackHandles(JSON.parse(process.argv[2]), []);
      a.set(0, a.get(0) * 3);
      console.log(a.constructor.name, raw.constructor.name, raw.value.toString());`, [JSON.stringify(packed.value)]);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('SharedArray RawArray ab');
    expect(a.get(0)).toBe(1.5);
    expect(existsSync(`/dev/shm${a.name}`)).toBe(true);
  });
});

describe.skipIf(!hasPython)('SharedArray: Python interop', () => {
  it('Python reads and writes an array made here', () => {
    const a = keep(new SharedArray('d', [1.25, 2.5, -3]));
    const seen = JSON.parse(execFileSync('python3', [pyPeer, 'read', a.name], { encoding: 'utf8' }));
    expect(seen).toEqual({ typecode: 'd', count: 3, flags: 3, values: [1.25, 2.5, -3] });
    execFileSync('python3', [pyPeer, 'write', a.name, '2', '9.75']);
    expect(a.get(2)).toBe(9.75);
    const c = keep(new SharedArray('c', 'hello'));
    execFileSync('python3', [pyPeer, 'write', c.name, '0', 'J']);
    expect(c.value.toString()).toBe('Jello');
    const l = keep(new SharedArray('l', [-(2n ** 40n), 7n]));
    expect(JSON.parse(execFileSync('python3', [pyPeer, 'read', l.name], { encoding: 'utf8' })).values)
      .toEqual([String(-(2n ** 40n)), '7']);
  });

  it('an array made by Python opens here', async () => {
    const name = testName('pyarr');
    const py = spawn('python3', [pyPeer, 'create', '--array', name, 'h', '1', '-2', '3'], { stdio: ['pipe', 'pipe', 'pipe'] });
    await waitForLine(py, /ready/);
    const a = SharedArray.open(name);
    expect(a.toArray()).toEqual([1, -2, 3]);
    a.set(0, -100);
    a.close();
    py.stdin!.write('\n');
    const r = await collect(py);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout.split('\n').find((l) => l.startsWith('{'))!).values).toEqual(['-100', '-2', '3']);
  });
});
