import { afterEach, describe, expect, it } from 'vitest';
import { Condition, Lock, RLock, SharedMemory } from 'osipc';
import { collect, spawnNode } from './helpers/child.js';

const open: { close(): void }[] = [];
afterEach(() => {
  for (const o of open.splice(0)) o.close();
});
function keep<T extends { close(): void }>(o: T): T {
  open.push(o);
  return o;
}

describe('Condition', () => {
  it('wait needs the lock, times out with false, and re-acquires', async () => {
    const c = keep(new Condition());
    await expect(c.wait()).rejects.toMatchObject({ code: 'ERR_OSIPC_NOT_OWNER' });
    expect(() => c.notify()).toThrow(expect.objectContaining({ code: 'ERR_OSIPC_NOT_OWNER' }));
    await c.acquire();
    await c.acquire(); // its own lock is an RLock
    expect(await c.wait({ timeout: 20 })).toBe(false);
    expect((c.lock as RLock).count).toBe(2);
    expect(c.waitSync({ timeout: 20 })).toBe(false);
    c.notify();
    c.notifyAll();
    c.release();
    c.release();
    expect(c.lock.locked()).toBe(false);
  });

  it('notify(n) wakes at most n of the waits pending now', async () => {
    const c = keep(new Condition(keep(new Lock())));
    let woken = 0;
    const waits = [0, 1, 2].map(async () => {
      await c.acquire();
      const r = await c.wait({ timeout: 1500 });
      if (r) woken++;
      c.release();
      return r;
    });
    await new Promise((r) => setTimeout(r, 50));
    await c.acquire();
    c.notify(2);
    c.release();
    const results = await Promise.all(waits);
    expect(results.filter(Boolean).length).toBe(2);
    expect(woken).toBe(2);
  });

  // Regression: a notified wait that gave up (timeout, abort) left its ticket
  // to a wait that began after that notify and may not take it; later notifies
  // then found "every waiter has a ticket" and woke nobody, for ever.
  it('a ticket left by a wait that gave up does not block later notifies', async () => {
    const lock = keep(new Lock());
    const cond = keep(new Condition(lock));
    await lock.acquire();
    const ac = new AbortController();
    const m = cond.wait({ signal: ac.signal }).catch((e: Error) => e.name);
    await lock.acquire(); // m released it while it waits
    cond.notify(1); // a ticket for m
    const l = cond.wait({ timeout: 5000 }); // begins after that notify
    await lock.acquire();
    ac.abort(); // m leaves without its ticket
    lock.release();
    expect(await m).toBe('AbortError');
    lock.release(); // m re-acquired it to settle
    await lock.acquire();
    const t0 = performance.now();
    cond.notify(1);
    lock.release();
    expect(await l).toBe(true);
    expect(performance.now() - t0).toBeLessThan(2500);
    lock.release();
  });

  it('waits that end at once (timeout 0, an aborted signal) are not left counted', async () => {
    const cond = keep(new Condition());
    await cond.acquire();
    // More than the 32767 waits a Condition counts: each must leave the count.
    for (let i = 0; i < 33_000; i++) expect(await cond.wait({ timeout: 0 })).toBe(false);
    await expect(cond.wait({ signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
    expect(await cond.wait({ timeout: 1 })).toBe(false);
    cond.release();
  });

  it('producer/consumer across processes', async () => {
    const lock = keep(new Lock());
    const c = keep(new Condition(lock));
    const shm = keep(SharedMemory.create({ size: 64 }));
    // [0] items available  [1] items consumed in total
    const consumer = `
      import { Condition, SharedMemory } from 'osipc';
      const c = Condition.open(process.argv[2]);
      const s = SharedMemory.open(process.argv[3]);
      const v = new Int32Array(s.buffer);
      let got = 0;
      while (got < 50) {
        await c.acquire();
        await c.waitFor(() => v[0] > 0, { timeout: 20000 });
        v[0]--; v[1]++; got++;
        c.release();
      }
      console.log('consumed', got);
      c.close(); s.close();`;
    const kids = [spawnNode(consumer, [c.name!, shm.name]), spawnNode(consumer, [c.name!, shm.name])];
    const done = Promise.all(kids.map((k) => collect(k)));
    const v = new Int32Array(shm.buffer);
    for (let i = 0; i < 100; i++) {
      await c.withLock(() => {
        v[0]++;
        c.notify();
      });
      if (i % 10 === 0) await new Promise((r) => setTimeout(r, 5));
    }
    for (const r of await done) {
      expect(r.stderr).toBe('');
      expect(r.stdout).toContain('consumed 50');
    }
    expect(v[0]).toBe(0);
    expect(v[1]).toBe(100);
  });

  it('waitFor returns the predicate\'s result, falsy on timeout; bad input is refused', async () => {
    const c = keep(new Condition(keep(new RLock())));
    await c.acquire();
    expect(await c.waitFor(() => 7)).toBe(7);
    expect(await c.waitFor(() => 0, { timeout: 30 })).toBe(0);
    expect(c.waitForSync(() => '', { timeout: 30 })).toBe('');
    await expect(c.waitFor('x' as never)).rejects.toThrow(TypeError);
    await expect(c.wait({ timeout: NaN })).rejects.toThrow(RangeError);
    const ac = new AbortController();
    const p = c.wait({ signal: ac.signal });
    setTimeout(() => ac.abort(), 20);
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    expect(c.lock.heldByMe).toBe(true); // re-acquired before rejecting
    c.release();
    expect(() => new Condition({} as never)).toThrow(TypeError);
  });
});
