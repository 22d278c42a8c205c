import { afterEach, describe, expect, it } from 'vitest';
import { Event } from 'osipc';
import { collect, spawnNode } from './helpers/child.js';

const open: { close(): void }[] = [];
afterEach(() => {
  for (const o of open.splice(0)) o.close();
});

describe('Event', () => {
  it('set, clear, isSet, wait with timeout', async () => {
    const e = new Event();
    open.push(e);
    expect(e.isSet()).toBe(false);
    expect(await e.wait({ timeout: 20 })).toBe(false);
    expect(e.waitSync({ timeout: 20 })).toBe(false);
    e.set();
    expect(e.isSet()).toBe(true);
    expect(await e.wait()).toBe(true);
    expect(e.waitSync()).toBe(true);
    e.clear();
    expect(e.isSet()).toBe(false);
    const ac = new AbortController();
    const p = e.wait({ signal: ac.signal });
    ac.abort();
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    expect(() => e.waitSync({ timeout: -1 })).toThrow(RangeError);
  });

  it('set() then clear() at once still releases every wait pending at set()', async () => {
    const e = new Event();
    open.push(e);
    const waits = [e.wait({ timeout: 5000 }), e.wait({ timeout: 5000 })];
    await new Promise((r) => setTimeout(r, 30));
    e.set();
    e.clear();
    expect(await Promise.all(waits)).toEqual([true, true]);
    expect(await e.wait({ timeout: 20 })).toBe(false);
  });

  it('wakes waiters in three processes at once', async () => {
    const e = new Event();
    open.push(e);
    const code = `
      import { Event } from 'osipc';
      const e = Event.open(process.argv[2]);
      console.log('waiting');
      const ok = process.argv[3] === 'sync' ? e.waitSync({ timeout: 20000 }) : await e.wait({ timeout: 20000 });
      console.log('go', ok);
      e.close();`;
    const kids = ['async', 'sync', 'async'].map((m) => spawnNode(code, [e.name!, m]));
    const done = Promise.all(kids.map((k) => collect(k)));
    await new Promise((r) => setTimeout(r, 300));
    e.set();
    for (const r of await done) {
      expect(r.stderr).toBe('');
      expect(r.stdout).toContain('go true');
    }
  });
});
