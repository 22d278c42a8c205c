import { afterEach, describe, expect, it } from 'vitest';
import { Barrier, SharedMemory } from 'osipc';
import { collect, spawnNode } from './helpers/child.js';

const open: { close(): void }[] = [];
afterEach(() => {
  for (const o of open.splice(0)) o.close();
});
function keep<T extends { close(): void }>(o: T): T {
  open.push(o);
  return o;
}

describe('Barrier', () => {
  it('4 processes meet 100 times; indexes are distinct; the action runs once per generation', async () => {
    const shm = keep(SharedMemory.create({ size: 4096 }));
    const b = keep(new Barrier(4, { name: undefined }));
    // [0] action runs  [8 + gen*4 + index] arrivals
    const code = `
      import { Barrier, SharedMemory } from 'osipc';
      const s = SharedMemory.open(process.argv[3]);
      const v = new Int32Array(s.buffer);
      const b = Barrier.open(process.argv[2], { action: () => { Atomics.add(v, 0, 1); } });
      for (let g = 0; g < 100; g++) {
        const i = g % 2 ? await b.wait({ timeout: 20000 }) : b.waitSync({ timeout: 20000 });
        Atomics.add(v, 8 + (g % 100) * 4 + i, 1);
        if (Atomics.load(v, 0) < g + 1) { console.log('passed before the action ran', g); process.exit(1); }
      }
      console.log('done');
      b.close(); s.close();`;
    const rs = await Promise.all([0, 1, 2, 3].map(() => collect(spawnNode(code, [b.name!, shm.name]), 60_000)));
    for (const r of rs) {
      expect(r.stderr).toBe('');
      expect(r.stdout.trim()).toBe('done');
    }
    const v = new Int32Array(shm.buffer);
    expect(v[0]).toBe(100);
    for (let g = 0; g < 100; g++) expect([...v.subarray(8 + g * 4, 12 + g * 4)]).toEqual([1, 1, 1, 1]);
  });

  it('a timeout breaks it for every party; reset makes it usable again', async () => {
    const b = keep(new Barrier(3, { timeout: 100 }));
    expect(b.parties).toBe(3);
    const w1 = b.wait({ timeout: 20_000 });
    await new Promise((r) => setTimeout(r, 20));
    expect(b.nWaiting).toBe(1);
    await expect(b.wait()).rejects.toMatchObject({ code: 'ERR_OSIPC_BROKEN_BARRIER' });
    await expect(w1).rejects.toMatchObject({ code: 'ERR_OSIPC_BROKEN_BARRIER' });
    expect(b.broken).toBe(true);
    await expect(b.wait()).rejects.toMatchObject({ code: 'ERR_OSIPC_BROKEN_BARRIER' });
    b.reset();
    expect(b.broken).toBe(false);
    // Explicit timeouts: the default of 100 ms is a timing bet on a loaded 2-CPU machine.
    const idx = await Promise.all([0, 1, 2].map(() => b.wait({ timeout: 20_000 })));
    expect(idx.sort()).toEqual([0, 1, 2]);
  });

  it('abort and reset release waiters with BrokenBarrierError; a failing action breaks it', async () => {
    const b = keep(new Barrier(2));
    const w = b.wait();
    await new Promise((r) => setTimeout(r, 20));
    b.abort();
    await expect(w).rejects.toMatchObject({ name: 'BrokenBarrierError' });
    b.reset();
    const w2 = b.wait();
    await new Promise((r) => setTimeout(r, 20));
    b.reset();
    await expect(w2).rejects.toMatchObject({ name: 'BrokenBarrierError' });
    expect(b.broken).toBe(false);

    const f = keep(new Barrier(2, { action: () => { throw new Error('action failed'); } }));
    const other = f.wait();
    await expect(f.wait()).rejects.toThrow('action failed');
    await expect(other).rejects.toMatchObject({ name: 'BrokenBarrierError' });
  });

  it('rejects bad input', () => {
    expect(() => new Barrier(0)).toThrow(RangeError);
    expect(() => new Barrier(NaN)).toThrow(RangeError);
    expect(() => new Barrier(2, { timeout: -1 })).toThrow(RangeError);
    expect(() => new Barrier(2, { action: 5 as never })).toThrow(TypeError);
    const b = keep(new Barrier(2));
    expect(() => b.waitSync({ timeout: NaN })).toThrow(RangeError);
  });
});
