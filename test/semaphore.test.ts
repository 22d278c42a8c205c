import { afterEach, describe, expect, it } from 'vitest';
import { BoundedSemaphore, Semaphore, SharedMemory } from 'osipc';
import { collect, spawnNode, testName } from './helpers/child.js';

const open: { close(): void }[] = [];
afterEach(() => {
  for (const o of open.splice(0)) o.close();
});
function keep<T extends { close(): void }>(o: T): T {
  open.push(o);
  return o;
}

describe('Semaphore', () => {
  it('counts acquires and releases', async () => {
    const s = keep(new Semaphore(2, { name: testName() }));
    expect(s.value).toBe(2);
    expect(await s.acquire()).toBe(true);
    expect(s.acquireSync()).toBe(true);
    expect(s.value).toBe(0);
    expect(s.tryAcquire()).toBe(false);
    expect(await s.acquire({ timeout: 20 })).toBe(false);
    expect(s.acquireSync({ timeout: 20 })).toBe(false);
    s.release(2);
    expect(s.value).toBe(2);
    expect(keep(new Semaphore()).value).toBe(1);
  });

  it('wakes a waiting acquire when another process releases', async () => {
    const s = keep(new Semaphore(0));
    const waiting = s.acquire({ timeout: 20_000 });
    const r = await collect(spawnNode(`
      import { Semaphore } from 'osipc';
      const s = Semaphore.open(process.argv[2]);
      setTimeout(() => { s.release(); s.close(); }, 50);`, [s.name!]));
    expect(r.stderr).toBe('');
    expect(await waiting).toBe(true);
  });

  it('never lets more than `value` processes in at once (4 of 6)', async () => {
    const s = keep(new Semaphore(4));
    const shm = keep(SharedMemory.create({ size: 8 }));
    const code = `
      import { Semaphore, SharedMemory } from 'osipc';
      const s = Semaphore.open(process.argv[2]);
      const m = SharedMemory.open(process.argv[3]);
      const c = new Int32Array(m.buffer);
      for (let i = 0; i < 20; i++) {
        await s.withLock(async () => {
          const inside = Atomics.add(c, 0, 1) + 1;
          Atomics.store(c, 1, Math.max(Atomics.load(c, 1), inside));
          await new Promise((r) => setTimeout(r, 2));
          Atomics.sub(c, 0, 1);
        });
      }
      s.close(); m.close();`;
    const rs = await Promise.all(Array.from({ length: 6 }, () => collect(spawnNode(code, [s.name!, shm.name]))));
    for (const r of rs) expect(r.stderr).toBe('');
    const c = new Int32Array(shm.buffer);
    expect(c[0]).toBe(0);
    expect(c[1]).toBeGreaterThan(0);
    expect(c[1]).toBeLessThanOrEqual(4);
    expect(s.value).toBe(4);
  });

  it('cancels with an AbortSignal and rejects bad input', async () => {
    const s = keep(new Semaphore(0));
    const ac = new AbortController();
    const p = s.acquire({ signal: ac.signal });
    ac.abort();
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    expect(() => new Semaphore(-1)).toThrow(RangeError);
    expect(() => new Semaphore(1.5)).toThrow(RangeError);
    expect(() => new Semaphore('1' as never)).toThrow(TypeError);
    expect(() => s.release(0)).toThrow(RangeError);
    expect(() => s.release(-1)).toThrow(RangeError);
    expect(() => s.acquireSync({ timeout: NaN })).toThrow(RangeError);
    await expect(s.acquire({ timeout: -1 })).rejects.toThrow(RangeError);
    s.close();
    expect(() => s.release()).toThrow(expect.objectContaining({ code: 'ERR_OSIPC_CLOSED' }));
  });

  it('1000 pending acquires share one wait and all complete', async () => {
    const s = keep(new Semaphore(0));
    const waits = Array.from({ length: 1000 }, () => s.acquire({ timeout: 60_000 }));
    await new Promise((r) => setTimeout(r, 20));
    s.release(1000);
    expect((await Promise.all(waits)).every(Boolean)).toBe(true);
    expect(s.value).toBe(0);
  });
});

describe('BoundedSemaphore', () => {
  it('refuses a release past its initial value, also from another process', async () => {
    const s = keep(new BoundedSemaphore(2));
    expect(() => s.release()).toThrow(expect.objectContaining({ code: 'ERR_OSIPC_SEMAPHORE_OVERFLOW' }));
    s.acquireSync();
    s.release();
    expect(s.value).toBe(2);
    const r = await collect(spawnNode(`
      import { BoundedSemaphore } from 'osipc';
      const s = BoundedSemaphore.open(process.argv[2]);
      try { s.release(); } catch (e) { console.log(e.code); }
      s.close();`, [s.name!]));
    expect(r.stdout.trim()).toBe('ERR_OSIPC_SEMAPHORE_OVERFLOW');
    expect(() => Semaphore.open(s.name!)).toThrow(expect.objectContaining({ code: 'ERR_OSIPC_WRONG_KIND' }));
  });
});
