// Every sync object travels to another process by handle (its name): packed
// here, rebuilt there with unpackHandles, and it is the same object.
import { serialize } from 'node:v8';
import { promises as fsp } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { Barrier, BoundedSemaphore, Condition, Event, Lock, NamedSemaphore, RLock, Semaphore } from 'osipc';
import { packHandles } from '../dist/transfer.js';
import { runNode } from './helpers/child.js';

const open: { close(): void }[] = [];
afterEach(() => {
  for (const o of open.splice(0)) o.close();
});

describe('sync objects travel by name', () => {
  it('rebuilds Lock, RLock, Semaphore, BoundedSemaphore, Event, Condition, Barrier, NamedSemaphore in a child', async () => {
    const objs = {
      lock: new Lock(), rlock: new RLock(), sem: new Semaphore(0), bsem: new BoundedSemaphore(1),
      event: new Event(), cond: new Condition(), barrier: new Barrier(2), named: NamedSemaphore.create({ value: 0 }),
    };
    open.push(...Object.values(objs));
    objs.lock.acquireSync();
    const packed = packHandles(objs);
    expect(packed.fds).toEqual([]);
    const wire = serialize(packed.value).toString('base64');
    const running = runNode(`
      import 'osipc';
      import { deserialize } from 'node:v8';
      import { unpackHandles } from './dist/transfer.js';
      const o = unpackHandles(deserialize(Buffer.from(process.argv[2], 'base64')), []);
      const out = [];
      out.push(o.lock.constructor.name, o.lock.locked(), o.lock.tryAcquire());
      out.push(o.rlock.tryAcquire(), o.bsem.constructor.name);
      o.sem.release(); o.event.set(); o.named.post();
      await o.cond.acquire(); o.cond.notifyAll(); o.cond.release();
      const idx = await o.barrier.wait({ timeout: 10000 });
      out.push(idx);
      o.rlock.release();
      console.log(JSON.stringify(out));
      for (const x of Object.values(o)) x.close();`, [wire]);
    // The barrier needs this process too.
    const [out, mine] = await Promise.all([running, objs.barrier.wait({ timeout: 10_000 })]);
    expect(out.stderr).toBe('');
    expect(mine).toBeGreaterThanOrEqual(0);
    expect(JSON.parse(out.stdout)).toEqual(['Lock', true, false, true, 'BoundedSemaphore', expect.any(Number)]);
    expect(objs.sem.value).toBe(1);
    expect(objs.event.isSet()).toBe(true);
    expect(objs.named.value).toBe(1);
  });

  it('a Lock placed inside another segment refuses to travel alone', async () => {
    const { SharedMemory } = await import('osipc');
    const shm = SharedMemory.create({ size: 64 });
    const l = Lock.fromBuffer(shm.buffer, 0);
    expect(() => packHandles([l])).toThrow(TypeError);
    shm.close();
  });

  it('1000 pending Lock.acquire() calls do not stall fs.readFile', async () => {
    const l = new Lock();
    l.acquireSync();
    const pending = Array.from({ length: 1000 }, () => l.acquire({ timeout: 60_000 }));
    const text = await fsp.readFile(new URL(import.meta.url), 'utf8');
    expect(text).toContain('do not stall fs.readFile');
    l.release();
    for (const p of pending) {
      expect(await p).toBe(true);
      l.release();
    }
    l.close();
  });
});
