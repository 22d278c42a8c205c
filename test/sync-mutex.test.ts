// The robust process-shared mutex core (lib/sync/mutex.ts) with real processes.
import { readdirSync, promises as fsp } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { SharedMemory } from 'osipc';
// Internal module: not exported from the package root.
import { MUTEX_BYTES, SharedMutex } from '../dist/sync/mutex.js';
import { processStartTime } from '../dist/os/liveness.js';
import { collect, spawnNode, waitForLine } from './helpers/child.js';

const made: SharedMemory[] = [];
afterEach(() => {
  for (const s of made.splice(0)) s.close();
});
function segment(size = 64): SharedMemory {
  const shm = SharedMemory.create({ size });
  made.push(shm);
  return shm;
}
const CHILD_IMPORTS = `
  import { SharedMemory } from 'osipc';
  import { SharedMutex } from './dist/sync/mutex.js';`;

describe('SharedMutex', () => {
  it('is 16 bytes, takes and releases, and knows who holds it', async () => {
    expect(MUTEX_BYTES % 8).toBe(0);
    const shm = segment();
    SharedMutex.initialize(shm.buffer, 8);
    const m = new SharedMutex(shm.buffer, 8);
    expect(m.heldByMe).toBe(false);
    expect(m.tryLock()).toBe('acquired');
    expect(m.heldByMe).toBe(true);
    expect(m.tryLock()).toBe('busy');
    expect(m.lockSync({ timeout: 10 })).toBe('timed-out');
    expect(await m.lock({ timeout: 10 })).toBe('timed-out');
    expect(await m.lock({ timeout: 0 })).toBe('timed-out');
    m.unlock();
    expect(m.heldByMe).toBe(false);
    expect(() => m.unlock()).toThrow(expect.objectContaining({ code: 'ERR_OSIPC_NOT_OWNER' }));
    expect(await m.lock()).toBe('acquired');
    expect(m.lockSync({ timeout: 0 })).toBe('timed-out');
    m.unlock();
    expect(m.lockSync()).toBe('acquired');
    m.unlock();
  });

  it('serves queued lock() calls of one process in order', async () => {
    const m = new SharedMutex(segment().buffer, 0);
    expect(m.tryLock()).toBe('acquired');
    const order: number[] = [];
    const all = [0, 1, 2, 3, 4].map((i) => m.lock().then(async (r) => {
      order.push(i);
      expect(r).toBe('acquired');
      await new Promise((res) => setTimeout(res, 1));
      m.unlock();
    }));
    setTimeout(() => m.unlock(), 10);
    await Promise.all(all);
    expect(order).toEqual([0, 1, 2, 3, 4]);
    expect(m.locked).toBe(false);
  });

  it('rejects bad placement and bad wait options', () => {
    const shm = segment();
    expect(() => new SharedMutex(shm.buffer, 4)).toThrow(RangeError);
    expect(() => new SharedMutex(shm.buffer, shm.size - 8)).toThrow(RangeError);
    expect(() => new SharedMutex(shm.buffer, -8)).toThrow(RangeError);
    expect(() => new SharedMutex(new SharedArrayBuffer(64) as never, 0)).toThrow(TypeError);
    const m = new SharedMutex(shm.buffer, 0);
    expect(() => m.lockSync({ timeout: -1 })).toThrow(RangeError);
    expect(() => m.lockSync({ timeout: NaN })).toThrow(RangeError);
    return Promise.all([
      expect(m.lock({ timeout: NaN })).rejects.toThrow(RangeError),
      expect(m.lock({ timeout: -5 })).rejects.toThrow(RangeError),
      expect(m.lock({ signal: 'x' as never })).rejects.toThrow(TypeError),
    ]);
  });

  it('cancels a pending lock() with an AbortSignal', async () => {
    const m = new SharedMutex(segment().buffer, 0);
    m.tryLock();
    const ac = new AbortController();
    const p = m.lock({ signal: ac.signal });
    setTimeout(() => ac.abort(), 20);
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    await expect(m.lock({ signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
    m.unlock();
    expect(m.tryLock()).toBe('acquired');
    m.unlock();
  });

  it('excludes across processes (a read-modify-write under the lock loses nothing)', async () => {
    const shm = segment();
    const code = `${CHILD_IMPORTS}
      const s = SharedMemory.open(process.argv[2]);
      const m = new SharedMutex(s.buffer, 0);
      const n = new Int32Array(s.buffer, 16, 1);
      for (let i = 0; i < 300; i++) {
        const r = i % 2 ? await m.lock() : m.lockSync();
        const v = n[0];
        if (i % 10 === 0) await new Promise((res) => setImmediate(res));
        n[0] = v + 1;
        m.unlock();
      }
      s.close();`;
    const kids = [spawnNode(code, [shm.name]), spawnNode(code, [shm.name]), spawnNode(code, [shm.name])];
    const results = await Promise.all(kids.map((k) => collect(k)));
    for (const r of results) expect(r.stderr).toBe('');
    expect(new Int32Array(shm.buffer, 16, 1)[0]).toBe(900);
  });

  it('gives the lock of a SIGKILLed holder to the next acquirer within 1 s, marked owner-died', async () => {
    const shm = segment();
    const child = spawnNode(`${CHILD_IMPORTS}
      const s = SharedMemory.open(process.argv[2]);
      const m = new SharedMutex(s.buffer, 0);
      m.lockSync();
      console.log('held');
      setInterval(() => {}, 1000);`, [shm.name]);
    const childDone = collect(child);
    await waitForLine(child, /held/);
    const m = new SharedMutex(shm.buffer, 0);
    expect(m.tryLock()).toBe('busy');
    const waiting = m.lock({ timeout: 10_000 });
    const sync = spawnNode(`${CHILD_IMPORTS}
      const s = SharedMemory.open(process.argv[2]);
      const m = new SharedMutex(s.buffer, 0);
      console.log('ready');
      const t0 = performance.now();
      const r = m.lockSync({ timeout: 10_000 });
      console.log(r, Math.round(performance.now() - t0));
      if (r !== 'timed-out') m.unlock();
      s.close();`, [shm.name]);
    const syncDone = collect(sync);
    await waitForLine(sync, /ready/);
    await new Promise((r) => setTimeout(r, 100));
    const killedAt = performance.now();
    child.kill('SIGKILL');
    const r = await waiting;
    const took = performance.now() - killedAt;
    // One of the two waiters recovers it; the other then gets it normally.
    m.unlock();
    const out = await syncDone;
    expect(out.stderr).toBe('');
    const [syncResult] = out.stdout.trim().split('\n').pop()!.split(' ');
    expect([r, syncResult].sort(), JSON.stringify(out)).toEqual(['acquired', 'owner-died']);
    if (r === 'owner-died') expect(took).toBeLessThan(1000);
    expect((await childDone).signal).toBe('SIGKILL');
  });

  it('tryLock takes over from a dead holder at once', async () => {
    const shm = segment();
    const child = spawnNode(`${CHILD_IMPORTS}
      const s = SharedMemory.open(process.argv[2]);
      new SharedMutex(s.buffer, 0).lockSync();
      console.log('held');
      setInterval(() => {}, 1000);`, [shm.name]);
    await waitForLine(child, /held/);
    child.kill('SIGKILL');
    await collect(child);
    const m = new SharedMutex(shm.buffer, 0);
    expect(m.tryLock()).toBe('owner-died');
    expect(m.heldByMe).toBe(true);
    m.unlock();
    expect(m.tryLock()).toBe('acquired');
    m.unlock();
  });

  it('does not mistake a reused pid for the owner (start time differs), but trusts a matching one', async () => {
    const shm = segment();
    const w = new Int32Array(shm.buffer, 0, 4);
    const pid = process.ppid; // alive for the whole test
    const start = processStartTime(pid)!;
    expect(start).not.toBeNull();
    // A lock "held" by `pid` with its true start time: busy for ever.
    w.set([pid, pid, start % 2 ** 32 | 0, Math.floor(start / 2 ** 32)]);
    const m = new SharedMutex(shm.buffer, 0);
    expect(m.tryLock()).toBe('busy');
    expect(await m.lock({ timeout: 400 })).toBe('timed-out');
    if (process.platform !== 'linux') return;
    // The same pid with another start time: a previous process that had it.
    w.set([pid, pid, (start + 1) % 2 ** 32 | 0, Math.floor((start + 1) / 2 ** 32)]);
    expect(await m.lock({ timeout: 5000 })).toBe('owner-died');
    m.unlock();
  });

  it('keeps one native wait for 1000 pending lock() calls, and fs.readFile still runs', async () => {
    const m = new SharedMutex(segment().buffer, 0);
    m.tryLock();
    const threads = (): number => readdirSync('/proc/self/task').length;
    const before = threads();
    const pending = Array.from({ length: 1000 }, () => m.lock({ timeout: 60_000 }));
    await new Promise((r) => setTimeout(r, 50));
    const text = await fsp.readFile(new URL(import.meta.url), 'utf8');
    expect(text).toContain('fs.readFile still runs');
    if (process.platform === 'linux') expect(threads() - before).toBeLessThanOrEqual(2);
    // Hand the lock down the line.
    let n = 0;
    m.unlock();
    for (const p of pending) {
      expect(await p).toBe('acquired');
      n++;
      m.unlock();
    }
    expect(n).toBe(1000);
  });

  it('close() rejects pending lock() calls with ClosedError', async () => {
    const m = new SharedMutex(segment().buffer, 0);
    m.tryLock();
    const p = m.lock();
    m.close();
    await expect(p).rejects.toMatchObject({ code: 'ERR_OSIPC_CLOSED' });
    expect(() => m.tryLock()).toThrow(expect.objectContaining({ code: 'ERR_OSIPC_CLOSED' }));
  });
});
