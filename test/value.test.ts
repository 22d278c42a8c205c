import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AbortError, ClosedError, InvalidSegmentError, Lock, RawValue, SharedArray, SharedMemory, TYPECODES, Value, kTransfer,
  type Typecode,
} from 'osipc';
import { packHandles } from '../dist/transfer.js';
import { collect, packageRoot, runNode, spawnNode, testName, waitForLine } from './helpers/child.js';

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
const hasCc = spawnSync('cc', ['--version'], { stdio: 'ignore' }).status === 0;

function python(...args: string[]): string {
  return execFileSync('python3', [pyPeer, ...args], { encoding: 'utf8' });
}

describe('Value: one process', () => {
  it('holds every typecode, zero by default, and reads back what was set', () => {
    const samples: Record<Typecode, unknown> = {
      b: -7, B: 200, h: -300, H: 60000, i: -6000, I: 4_000_000_000, l: -(2n ** 40n), L: 2n ** 63n,
      q: 2n ** 62n + 5n, Q: 2n ** 64n - 1n, f: 1.5, d: Math.PI, c: Buffer.from('x'),
    };
    for (const code of Object.keys(samples) as Typecode[]) {
      const zero = keep(new Value(code));
      expect(zero.typecode).toBe(code);
      expect(zero.value).toEqual(code === 'c' ? Buffer.from([0]) : TYPECODES[code].kind === 'bigint' ? 0n : 0);
      const v = keep(new Value(code, samples[code] as never));
      expect(v.value).toEqual(samples[code]);
      v.value = zero.value as never;
      expect(v.value).toEqual(zero.value);
    }
  });

  it('names its segment /osipc-<pid>-… or as asked, and lays it out as documented', () => {
    const v = keep(new Value('i', 6000));
    expect(v.name).toMatch(new RegExp(`^/osipc-${process.pid}-`));
    expect(v.owner).toBe(true);
    const name = testName('v');
    const w = keep(new Value('q', 3n, { name }));
    expect(w.name).toBe(name);
    const shm = SharedMemory.open(name);
    const b = Buffer.from(shm.buffer);
    expect(b.subarray(0, 4).toString()).toBe('OSVL');
    expect(b.readUInt16LE(4)).toBe(2); // version
    expect(b.readUInt16LE(6)).toBe(128); // header size
    expect(String.fromCharCode(b[8]!)).toBe('q');
    expect(b[9]).toBe(8);
    expect(b.readUInt16LE(10)).toBe(1); // has a lock, a Value
    expect(b.readBigUInt64LE(16)).toBe(1n);
    expect(b.readBigInt64LE(128)).toBe(3n);
    expect(shm.size).toBe(136);
    shm.close();
  });

  it('has atomic add, sub, exchange, compareExchange, load, store on integer codes', () => {
    const v = keep(new Value('i', 10));
    expect(v.add(5)).toBe(10);
    expect(v.sub(3)).toBe(15);
    expect(v.exchange(100)).toBe(12);
    expect(v.compareExchange(1, 2)).toBe(100); // no exchange
    expect(v.value).toBe(100);
    expect(v.compareExchange(100, 7)).toBe(100);
    expect(v.load()).toBe(7);
    expect(v.store(-1)).toBe(-1);
    expect(v.value).toBe(-1);
    const q = keep(new Value('Q', 2n ** 64n - 2n));
    expect(q.add(1n)).toBe(2n ** 64n - 2n);
    expect(q.add(1n)).toBe(2n ** 64n - 1n);
    expect(q.value).toBe(0n); // wraps as C does
    const b = keep(new Value('b', 127));
    b.add(1);
    expect(b.value).toBe(-128);
    const h = keep(new Value('H'));
    h.sub(1);
    expect(h.value).toBe(65535);
  });

  it('has no atomic operations on float and c codes (TypeError)', () => {
    const d = keep(new Value('d', 1));
    for (const op of [() => d.add(1 as never), () => d.load(), () => d.store(1 as never), () => d.compareExchange(1 as never, 2 as never)]) {
      expect(op).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_OSIPC_NOT_ATOMIC' }));
    }
    const c = keep(new Value('c', 'a'));
    expect(() => c.add(1 as never)).toThrow(TypeError);
  });

  it('rejects unknown typecodes and wrong options', () => {
    for (const code of ['z', '', 'ii', 'u', 'Z']) {
      expect(() => new Value(code as never)).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' }));
    }
    for (const code of [5, undefined, null, {}]) {
      expect(() => new Value(code as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    }
    expect(() => new Value('i', 0, { lock: 'yes' as never })).toThrow(/options\.lock/);
    expect(() => new Value('i', 0, { name: 'noslash' })).toThrow(/options\.name/);
    expect(() => new Value('i', 0, 5 as never)).toThrow(TypeError);
  });

  it('refuses values out of range (RangeError) and of the wrong type (TypeError)', () => {
    for (const [code, t] of Object.entries(TYPECODES) as [Typecode, (typeof TYPECODES)[Typecode]][]) {
      if (t.kind === 'int') {
        expect(keep(new Value(code, t.min as never)).value).toBe(t.min);
        expect(keep(new Value(code, t.max as never)).value).toBe(t.max);
        expect(() => new Value(code, (t.min as number) - 1 as never)).toThrow(RangeError);
        expect(() => new Value(code, (t.max as number) + 1 as never)).toThrow(RangeError);
        expect(() => new Value(code, 1.5 as never)).toThrow(RangeError);
        expect(() => new Value(code, NaN as never)).toThrow(RangeError);
        expect(() => new Value(code, 1n as never)).toThrow(TypeError);
        expect(() => new Value(code, '1' as never)).toThrow(TypeError);
      } else if (t.kind === 'bigint') {
        expect(keep(new Value(code, t.min as never)).value).toBe(t.min);
        expect(keep(new Value(code, t.max as never)).value).toBe(t.max);
        expect(() => new Value(code, (t.min as bigint) - 1n as never)).toThrow(RangeError);
        expect(() => new Value(code, (t.max as bigint) + 1n as never)).toThrow(RangeError);
        expect(() => new Value(code, 1 as never)).toThrow(TypeError);
      } else if (t.kind === 'float') {
        expect(() => new Value(code, 1n as never)).toThrow(TypeError);
        expect(() => new Value(code, '1.5' as never)).toThrow(TypeError);
        expect(keep(new Value(code, Infinity as never)).value).toBe(Infinity);
      }
    }
    expect(() => new Value('f', 1e39)).toThrow(RangeError);
    expect(() => new Value('c', 'ab')).toThrow(RangeError);
    expect(() => new Value('c', 256)).toThrow(RangeError);
    expect(() => new Value('c', {} as never)).toThrow(TypeError);
    expect(keep(new Value('c', 65)).value).toEqual(Buffer.from('A'));
    const v = keep(new Value('i'));
    expect(() => { v.value = 2 ** 31 as never; }).toThrow(RangeError);
    expect(() => v.add(2 ** 31 as never)).toThrow(RangeError);
    expect(() => v.add(1n as never)).toThrow(TypeError);
    expect(() => v.compareExchange(0, 'x' as never)).toThrow(TypeError);
    const q = keep(new Value('q'));
    expect(() => q.add(1 as never)).toThrow(TypeError);
    expect(() => { q.value = 1 as never; }).toThrow(TypeError);
    expect(v.value).toBe(0);
  });

  it('reports ENOENT for a missing name and EEXIST for a taken one', () => {
    const missing = testName('missing');
    expect(() => Value.open(missing)).toThrow(expect.objectContaining({ code: 'ENOENT', syscall: 'shm_open', path: missing }));
    const v = keep(new Value('i'));
    expect(() => new Value('i', 0, { name: v.name })).toThrow(expect.objectContaining({ code: 'EEXIST', syscall: 'shm_open' }));
    expect(() => Value.open('nope')).toThrow(TypeError);
  });

  it('throws ClosedError after close, for every operation and its lock', () => {
    const v = new Value('i', 1);
    const lock = v.getLock();
    v.close();
    v.close(); // idempotent
    expect(v.closed).toBe(true);
    expect(() => v.value).toThrow(ClosedError);
    expect(() => { v.value = 2; }).toThrow(ClosedError);
    expect(() => v.add(1)).toThrow(ClosedError);
    expect(() => v.load()).toThrow(ClosedError);
    expect(() => v.getLock()).toThrow(ClosedError);
    expect(() => lock.acquireSync()).toThrow(ClosedError);
    expect(() => lock.tryAcquire()).toThrow(ClosedError);
    expect(() => v[kTransfer]()).toThrow(ClosedError);
    const d = new Value('d', 1);
    d.close();
    expect(() => d.add(1 as never)).toThrow(ClosedError);
    const u = new Value('i');
    {
      using w = u;
      w.value = 3;
    }
    expect(u.closed).toBe(true);
  });
});

describe('Value: corrupted or foreign segments', () => {
  function segment(size: number, fill?: (b: Buffer) => void): SharedMemory {
    const shm = keep(SharedMemory.create({ name: testName('bad'), size }));
    fill?.(Buffer.from(shm.buffer));
    return shm;
  }
  function corrupt(patch: (b: Buffer) => void): string {
    const v = keep(new Value('i', 5));
    const shm = SharedMemory.open(v.name);
    patch(Buffer.from(shm.buffer));
    shm.close();
    return v.name;
  }
  const invalid = expect.objectContaining({ name: 'InvalidSegmentError', code: 'ERR_OSIPC_INVALID_SEGMENT' });

  it('refuses a segment that is not a Value: zeros, too small, bad magic', () => {
    expect(() => Value.open(segment(4096).name)).toThrow(invalid);
    expect(() => Value.open(segment(16).name)).toThrow(/smaller than the 128-byte header/);
    expect(() => Value.open(segment(256, (b) => b.write('JUNKJUNK')).name)).toThrow(/bad magic/);
  });

  it('refuses unknown versions, typecodes, item sizes, flags and absurd counts', () => {
    // Version 1 had the stand-in futex lock, not the robust Lock: refused, not misread.
    expect(() => Value.open(corrupt((b) => b.writeUInt16LE(1, 4)))).toThrow(/layout version 1/);
    expect(() => Value.open(corrupt((b) => b.writeUInt16LE(3, 4)))).toThrow(/layout version 3/);
    expect(() => Value.open(corrupt((b) => b.writeUInt16LE(64, 6)))).toThrow(/header size 64/);
    expect(() => Value.open(corrupt((b) => { b[8] = 'z'.charCodeAt(0); }))).toThrow(/unknown typecode/);
    expect(() => Value.open(corrupt((b) => { b[9] = 8; }))).toThrow(/item size 8/);
    expect(() => Value.open(corrupt((b) => b.writeUInt16LE(0x80, 10)))).toThrow(/unknown flags/);
    expect(() => Value.open(corrupt((b) => b.writeBigUInt64LE(2n ** 62n, 16)))).toThrow(/does not fit/);
    expect(() => Value.open(corrupt((b) => b.writeBigUInt64LE(0n, 16)))).toThrow(/count is 0/);
    // A typecode whose elements no longer fit: 'i' (4 bytes) relabelled 'd' (8 bytes).
    expect(() => Value.open(corrupt((b) => { b[8] = 'd'.charCodeAt(0); b[9] = 8; }))).toThrow(/does not fit/);
    const err = (() => { try { Value.open(corrupt((b) => b.writeUInt32LE(0, 0))); } catch (e) { return e; } })();
    expect(err).toBeInstanceOf(InvalidSegmentError);
  });

  it('tells a Value from an Array', () => {
    const a = keep(new SharedArray('i', 3));
    expect(() => Value.open(a.name)).toThrow(/holds an Array/);
    const v = keep(new Value('i'));
    expect(() => SharedArray.open(v.name)).toThrow(/holds a Value/);
  });
});

describe('Value: the lock', () => {
  it('acquires, releases, times out and refuses a release when unlocked', async () => {
    const v = keep(new Value('i'));
    const lock = v.getLock();
    expect(lock).toBeInstanceOf(Lock);
    expect(v.getLock()).toBe(lock);
    expect(lock.tryAcquire()).toBe(true);
    expect(lock.locked()).toBe(true);
    expect(lock.tryAcquire()).toBe(false);
    expect(lock.acquireSync({ timeout: 20 })).toBe(false);
    expect(await lock.acquire({ timeout: 20 })).toBe(false);
    const ac = new AbortController();
    const p = lock.acquire({ signal: ac.signal });
    ac.abort();
    await expect(p).rejects.toBeInstanceOf(AbortError);
    lock.release();
    expect(lock.locked()).toBe(false);
    expect(() => lock.release()).toThrow(expect.objectContaining({ code: 'ERR_OSIPC_NOT_OWNER' }));
    expect(lock.acquireSync()).toBe(true);
    lock.release();
    await expect(lock.withLock(() => { throw new Error('inside'); })).rejects.toThrow('inside');
    expect(lock.locked()).toBe(false);
    expect(await lock.withLock(async () => 42)).toBe(42);
    expect(lock.withLockSync(() => 'sync')).toBe('sync');
    expect(() => lock.acquireSync({ timeout: -1 })).toThrow(RangeError);
    expect(() => lock.withLockSync('x' as never)).toThrow(TypeError);
  });

  it('a wait for the lock ends with ClosedError when the Value is closed meanwhile', async () => {
    const v = new Value('i');
    const holder = Value.open(v.name);
    holder.getLock().acquireSync();
    const waiting = v.getLock().acquire({ timeout: 20_000 });
    await new Promise((r) => setTimeout(r, 50));
    v.close();
    await expect(waiting).rejects.toBeInstanceOf(ClosedError);
    holder.close();
  });

  it('has none when made with lock: false or as a RawValue (ERR_OSIPC_NO_LOCK)', () => {
    const noLock = expect.objectContaining({ code: 'ERR_OSIPC_NO_LOCK' });
    const a = keep(new Value('i', 0, { lock: false }));
    expect(() => a.getLock()).toThrow(noLock);
    const r = keep(new RawValue('i', 3));
    expect(r).toBeInstanceOf(Value);
    expect(() => r.getLock()).toThrow(noLock);
    expect(r.add(1)).toBe(3);
    const opened = keep(Value.open(a.name));
    expect(() => opened.getLock()).toThrow(noLock);
    const locked = keep(new Value('i'));
    const raw = keep(RawValue.open(locked.name));
    expect(raw).toBeInstanceOf(RawValue);
    expect(() => raw.getLock()).toThrow(noLock);
    expect(keep(Value.open(locked.name)).getLock().tryAcquire()).toBe(true);
    expect(locked.getLock().locked()).toBe(true);
  });

  it('waits for a holder in another process without blocking the event loop', async () => {
    const v = keep(new Value('i'));
    const child = spawnNode(`
      import { Value } from 'osipc';
      const v = Value.open(process.argv[2]);
      v.getLock().acquireSync();
      console.log('holding');
      setTimeout(() => { v.value = 1; v.getLock().release(); v.close(); }, 300);`, [v.name]);
    await waitForLine(child, /holding/);
    let ticks = 0;
    const t = setInterval(() => ticks++, 5);
    expect(await v.getLock().acquire({ timeout: 20_000 })).toBe(true);
    clearInterval(t);
    expect(v.value).toBe(1); // the holder's write is visible once we hold the lock
    expect(ticks).toBeGreaterThan(3);
    v.getLock().release();
    expect((await collect(child)).code).toBe(0);
  });
  it('a holder SIGKILLed while holding it: the next acquirer gets it with ownerDied', async () => {
    const v = keep(new Value('i', 5));
    const child = spawnNode(`
      import { Value } from 'osipc';
      const v = Value.open(process.argv[2]);
      v.getLock().acquireSync();
      v.value = -1; // a half-done update, never finished
      console.log('holding');
      setInterval(() => {}, 1000);`, [v.name]);
    await waitForLine(child, /holding/);
    const lock = v.getLock();
    expect(lock.tryAcquire()).toBe(false);
    child.kill('SIGKILL');
    expect((await collect(child)).signal).toBe('SIGKILL');
    // Generous bound only to catch a hang; a dead owner is noticed within ~150 ms.
    expect(await lock.acquire({ timeout: 10_000 })).toBe(true);
    expect(lock.ownerDied).toBe(true);
    expect(v.value).toBe(-1);
    v.value = 5; // repair what the dead holder left
    v.value += 1;
    lock.release();
    expect(lock.ownerDied).toBe(false);
    // Usable as normal afterwards, from another process too.
    const r = await runNode(`
      import { Value } from 'osipc';
      const v = Value.open(process.argv[2]);
      const lock = v.getLock();
      lock.withLockSync(() => { v.value += 1; });
      console.log(lock.ownerDied, v.value);
      v.close();`, [v.name]);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('false 7');
  });
});

describe('Value: across processes', () => {
  it('what one process writes another reads, by name', async () => {
    const v = keep(new Value('d', 2.5));
    const r = await runNode(`
      import { Value } from 'osipc';
      const v = Value.open(process.argv[2]);
      console.log(v.typecode, v.value, v.owner);
      v.value = v.value * 4;
      v.close();`, [v.name]);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('d 2.5 false');
    expect(v.value).toBe(10);
  });

  it('two processes doing 10 million add(1) each end at exactly 20 million', async () => {
    const v = keep(new Value('i', 0));
    const gate = keep(new Value('i', 0));
    const code = `
      import { Value } from 'osipc';
      const v = Value.open(process.argv[2]), gate = Value.open(process.argv[3]);
      gate.add(1);
      while (gate.load() < 2); // start together, so the adds really contend
      for (let i = 0; i < 10_000_000; i++) v.add(1);
      v.close(); gate.close();`;
    const [a, b] = await Promise.all([runNode(code, [v.name, gate.name], 120_000), runNode(code, [v.name, gate.name], 120_000)]);
    expect(a.stderr + b.stderr).toBe('');
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(v.value).toBe(20_000_000);
  }, 180_000);

  it('64-bit atomics are exact across processes too', async () => {
    const v = keep(new Value('q', 2n ** 40n));
    const code = `
      import { Value } from 'osipc';
      const v = Value.open(process.argv[2]);
      for (let i = 0; i < 500_000; i++) { v.add(3n); v.sub(1n); }
      v.close();`;
    const rs = await Promise.all([runNode(code, [v.name]), runNode(code, [v.name])]);
    expect(rs.map((r) => r.stderr).join('')).toBe('');
    expect(v.value).toBe(2n ** 40n + 2_000_000n);
  });

  it('locked value += 1 is exact under contention (3 processes, sync and async)', async () => {
    const v = keep(new Value('i', 0));
    const gate = keep(new Value('i', 0));
    const sync = `
      import { Value } from 'osipc';
      const v = Value.open(process.argv[2]), gate = Value.open(process.argv[3]);
      const lock = v.getLock();
      gate.add(1);
      while (gate.load() < 3);
      for (let i = 0; i < 200_000; i++) { lock.acquireSync(); v.value += 1; lock.release(); }
      v.close(); gate.close();`;
    const async = `
      import { Value } from 'osipc';
      const v = Value.open(process.argv[2]), gate = Value.open(process.argv[3]);
      const lock = v.getLock();
      gate.add(1);
      while (gate.load() < 3);
      for (let i = 0; i < 50_000; i++) await lock.withLock(() => { v.value += 1; });
      v.close(); gate.close();`;
    const rs = await Promise.all([
      runNode(sync, [v.name, gate.name], 120_000), runNode(sync, [v.name, gate.name], 120_000),
      runNode(async, [v.name, gate.name], 120_000),
    ]);
    expect(rs.map((r) => r.stderr).join('')).toBe('');
    expect(v.value).toBe(450_000);
  }, 180_000);

  it('travels by name: its transfer descriptor rebuilds a working Value elsewhere', async () => {
    const v = keep(new Value('i', 1));
    const r0 = keep(new RawValue('q', 5n));
    expect(v[kTransfer]()).toEqual({ kind: 'Value', data: { name: v.name, raw: false } });
    const packed = packHandles({ v, list: [r0] });
    const r = await runNode(`
      import 'osipc';
      import { unpackHandles } from './dist/transfer.js';
      const { v, list: [raw] } = unpackHandles(JSON.parse(process.argv[2]), []);
      v.add(41);
      raw.add(1n);
      let noLock; try { raw.getLock(); } catch (e) { noLock = e.code; }
      console.log(v.constructor.name, raw.constructor.name, v.owner, noLock);
      v.close(); raw.close();`, [JSON.stringify(packed.value)]);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('Value RawValue false ERR_OSIPC_NO_LOCK');
    expect(v.value).toBe(42);
    expect(r0.value).toBe(6n);
  });
});

describe('Value: ownership', () => {
  it('the creator unlinks on close; an opener never does', async () => {
    const v = new Value('i');
    const path = `/dev/shm${v.name}`;
    const opened = Value.open(v.name);
    expect(opened.owner).toBe(false);
    opened.close();
    expect(existsSync(path)).toBe(true);
    const r = await runNode(`
      import { Value } from 'osipc';
      const v = Value.open(process.argv[2]);
      v.value = 9;
      process.exit(0); // exit without close`, [v.name]);
    expect(r.code).toBe(0);
    expect(existsSync(path)).toBe(true);
    expect(v.value).toBe(9);
    v.close();
    expect(existsSync(path)).toBe(false);
  });

  it('the creator unlinks at exit, also when it dies of an uncaught exception', async () => {
    for (const end of ['', "throw new Error('boom');"]) {
      const r = await runNode(`
        import { Value, SharedArray } from 'osipc';
        const v = new Value('i', 1), a = new SharedArray('c', 'x');
        console.log(v.name, a.name);
        ${end}`);
      const names = r.stdout.trim().split(' ');
      expect(names).toHaveLength(2);
      for (const n of names) expect(existsSync(`/dev/shm${n}`)).toBe(false);
    }
  });
});

describe.skipIf(!hasPython)('Value: Python interop (multiprocessing.shared_memory)', () => {
  it('Python reads and writes a Value made here, by the documented layout', () => {
    const v = keep(new Value('i', 6000));
    expect(JSON.parse(python('read', v.name))).toEqual({ typecode: 'i', count: 1, flags: 1, values: ['6000'] });
    python('write', v.name, '0', '-123');
    expect(v.value).toBe(-123);
    const q = keep(new RawValue('q', 2n ** 62n + 5n));
    expect(JSON.parse(python('read', q.name))).toEqual({ typecode: 'q', count: 1, flags: 0, values: [String(2n ** 62n + 5n)] });
    python('write', q.name, '0', String(-(2n ** 63n)));
    expect(q.value).toBe(-(2n ** 63n));
    const d = keep(new Value('d', 0.1));
    expect(JSON.parse(python('read', d.name)).values).toEqual([0.1]);
    const c = keep(new Value('c', 'x'));
    python('write', c.name, '0', 'y');
    expect(c.value).toEqual(Buffer.from('y'));
    // Python opened without owning: the segment is still there.
    expect(existsSync(`/dev/shm${v.name}`)).toBe(true);
  });

  it('a Value made by Python opens here, and Python sees what we write', async () => {
    const name = testName('py');
    const py = spawn('python3', [pyPeer, 'create', name, 'i', '77'], { stdio: ['pipe', 'pipe', 'pipe'] });
    await waitForLine(py, /ready/);
    const v = Value.open(name);
    expect(v.typecode).toBe('i');
    expect(v.value).toBe(77);
    v.add(1);
    expect(v.getLock().tryAcquire()).toBe(true);
    v.getLock().release();
    v.close();
    py.stdin!.write('\n');
    const r = await collect(py);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout.split('\n').find((l) => l.startsWith('{'))!).values).toEqual(['78']);
    expect(existsSync(`/dev/shm${name}`)).toBe(false);
  });
});

describe.skipIf(!hasCc)('Value: C interop (examples/c/osipc_value.h)', () => {
  let dir: string;
  let exe: string;
  it('compiles the C peer', () => {
    dir = mkdtempSync(join(tmpdir(), 'osipc-values-'));
    exe = join(dir, 'value_peer');
    execFileSync('cc', ['-O2', '-Wall', '-Werror', '-o', exe, join(packageRoot, 'examples/c/value_peer.c')]);
  });

  it('C atomics and Value.add interleave exactly', async () => {
    const v = keep(new Value('i', 0));
    const c = spawn(exe, [v.name, 'add', '2000000']);
    const n = runNode(`
      import { Value } from 'osipc';
      const v = Value.open(process.argv[2]);
      for (let i = 0; i < 2_000_000; i++) v.add(1);
      v.close();`, [v.name]);
    const [cr, nr] = await Promise.all([collect(c), n]);
    expect(cr.stderr + nr.stderr).toBe('');
    expect(v.value).toBe(4_000_000);
    expect(execFileSync(exe, [v.name, 'read'], { encoding: 'utf8' }).trim()).toBe('4000000');
  });

  it('C and Node take the same lock: locked increments are exact', async () => {
    const v = keep(new Value('i', 0));
    const c = spawn(exe, [v.name, 'lockinc', '300000']);
    const n = runNode(`
      import { Value } from 'osipc';
      const v = Value.open(process.argv[2]);
      const lock = v.getLock();
      for (let i = 0; i < 300_000; i++) { lock.acquireSync(); v.value += 1; lock.release(); }
      v.close();`, [v.name]);
    const [cr, nr] = await Promise.all([collect(c), n]);
    expect(cr.stderr + nr.stderr).toBe('');
    expect(v.value).toBe(600_000);
  });

  it('C takes the lock over from a SIGKILLed Node holder (EOWNERDEAD)', async () => {
    const v = keep(new Value('i', 0));
    const child = spawnNode(`
      import { Value } from 'osipc';
      const v = Value.open(process.argv[2]);
      v.getLock().acquireSync();
      console.log('holding');
      setInterval(() => {}, 1000);`, [v.name]);
    await waitForLine(child, /holding/);
    child.kill('SIGKILL');
    await collect(child);
    const r = spawnSync(exe, [v.name, 'lockinc', '3'], { encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('took the lock from a holder that died');
    expect(v.value).toBe(3);
    expect(v.getLock().tryAcquire()).toBe(true); // released by C
    expect(v.getLock().ownerDied).toBe(false);
    v.getLock().release();
  });

  it('Node sees a C holder as alive while it runs, and takes over when it is SIGKILLed', async () => {
    const v = keep(new Value('i', 0));
    const c = spawn(exe, [v.name, 'hold', '60000']);
    const done = collect(c);
    await waitForLine(c, /holding/);
    const lock = v.getLock();
    // Several owner checks (every ~150 ms) must find the C process alive (its record matches).
    expect(await lock.acquire({ timeout: 800 })).toBe(false);
    c.kill('SIGKILL');
    expect((await done).signal).toBe('SIGKILL');
    expect(await lock.acquire({ timeout: 10_000 })).toBe(true);
    expect(lock.ownerDied).toBe(true);
    v.value += 1;
    lock.release();
    expect(v.value).toBe(1);
  });

  it('C refuses what is not a Value', () => {
    const shm = keep(SharedMemory.create({ name: testName('c'), size: 4096 }));
    const r = spawnSync(exe, [shm.name, 'read'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('not a valid osipc Value');
    rmSync(dir, { recursive: true, force: true });
  });
});
