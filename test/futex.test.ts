import { readdirSync, readlinkSync } from 'node:fs';
import { release } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { SharedMemory, futex } from 'osipc';
import { spawnNode, collect, runNode, waitForLine } from './helpers/child.js';

const made: SharedMemory[] = [];
afterEach(() => {
  for (const s of made.splice(0)) s.close();
});
function word(): { shm: SharedMemory; view: Int32Array } {
  const shm = SharedMemory.create({ size: 64 });
  made.push(shm);
  return { shm, view: new Int32Array(shm.buffer) };
}

describe('futex', () => {
  it('wakes a waiter in another process', async () => {
    const { shm, view } = word();
    const child = spawnNode(`
      import { SharedMemory, futex } from 'osipc';
      const s = SharedMemory.open(process.argv[2]);
      const v = new Int32Array(s.buffer);
      console.log('waiting');
      let r;
      while (Atomics.load(v, 0) === 0) r = await futex.wait(v, 0, 0);
      console.log('woke', r, Atomics.load(v, 0));
      s.close();`, [shm.name]);
    await waitForLine(child, /waiting/);
    await new Promise((r) => setTimeout(r, 50));
    Atomics.store(view, 0, 5);
    futex.wake(view, 0);
    const res = await collect(child);
    expect(res.stderr).toBe('');
    // 'not-equal' when the store landed before the child fell asleep: either way
    // it must have woken and seen the new value (a missed wake would hang).
    expect(res.stdout).toMatch(/woke (ok|not-equal) 5/);
  });

  it('a waiter wakes this process, and the event loop runs meanwhile', async () => {
    const { shm, view } = word();
    let ticks = 0;
    const t = setInterval(() => ticks++, 2);
    const waiting = futex.wait(view, 1, 0, { timeout: 20_000 });
    const child = spawnNode(`
      import { SharedMemory, futex } from 'osipc';
      const s = SharedMemory.open(process.argv[2]);
      const v = new Int32Array(s.buffer);
      setTimeout(() => { Atomics.store(v, 1, 1); futex.wake(v, 1); s.close(); }, 100);`, [shm.name]);
    expect(await waiting).toBe('ok');
    clearInterval(t);
    expect(ticks).toBeGreaterThan(5);
    await collect(child);
  });

  it('returns not-equal and timed-out as values', async () => {
    const { view } = word();
    view[2] = 3;
    expect(await futex.wait(view, 2, 4)).toBe('not-equal');
    expect(futex.waitSync(view, 2, 4)).toBe('not-equal');
    expect(await futex.wait(view, 2, 3, { timeout: 20 })).toBe('timed-out');
    expect(futex.waitSync(view, 2, 3, { timeout: 20 })).toBe('timed-out');
    expect(await futex.wait(view, 2, 3, { timeout: 0 })).toBe('timed-out');
    expect(futex.wake(view, 2, 1)).toBe(0);
  });

  it('is cancelled by an AbortSignal', async () => {
    const { view } = word();
    const ac = new AbortController();
    const w = futex.wait(view, 3, 0, { signal: ac.signal });
    setTimeout(() => ac.abort(), 20);
    await expect(w).rejects.toMatchObject({ name: 'AbortError' });
    await expect(futex.wait(view, 3, 0, { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('keeps 1500 waits pending (more than the io_uring takes: the rest on its own threads) and wakes them all', async () => {
    const { view } = word();
    const waits = Array.from({ length: 1500 }, (_, i) => futex.wait(view, 4 + (i % 8), 0, { timeout: 30_000 }));
    await new Promise((r) => setTimeout(r, 100));
    for (let i = 0; i < 8; i++) Atomics.store(view, 4 + i, 1);
    // Waiters not yet asleep see the new value; sleepers are woken, perhaps in
    // several rounds while the pool rotates them.
    const deadline = Date.now() + 20_000;
    let settled = 0;
    void Promise.all(waits).then(() => (settled = 1));
    while (!settled && Date.now() < deadline) {
      for (let i = 0; i < 8; i++) futex.wake(view, 4 + i);
      await new Promise((r) => setTimeout(r, 10));
    }
    const results = await Promise.all(waits);
    expect(results.every((r) => r === 'ok' || r === 'not-equal')).toBe(true);
  });

  it('rejects bad arguments', () => {
    const { view } = word();
    expect(() => futex.wake(new Float64Array(4) as never, 0)).toThrow(TypeError);
    expect(() => futex.wake(view, 16)).toThrow(RangeError);
    expect(() => futex.wake(view, -1)).toThrow(RangeError);
    expect(() => futex.waitSync(view, 0, 2 ** 40)).toThrow(RangeError);
    expect(() => futex.waitSync(view, 0, 0, { timeout: -1 })).toThrow(RangeError);
    expect(() => futex.waitSync(view, 0, 0, { timeout: NaN })).toThrow(RangeError);
    expect(() => futex.waitSync(new Int32Array(new SharedArrayBuffer(8)), 0, 0)).toThrow(TypeError);
  });

  // Linux >= 6.7: Promise waits are io_uring FUTEX_WAIT requests that the event
  // loop polls (one wake-up hop instead of two through a wait thread).
  const [major, minor] = release().split('.').map(Number) as [number, number];
  const ringKernel = process.platform === 'linux' && (major > 6 || (major === 6 && minor >= 7));
  it.runIf(ringKernel)('waits through an io_uring here, woken by a plain futex wake from another process', async () => {
    const { shm, view } = word();
    const waiting = futex.wait(view, 12, 0, { timeout: 20_000 });
    const rings = readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`) === 'anon_inode:[io_uring]';
      } catch {
        return false;
      }
    });
    expect(rings.length).toBe(1);
    const child = spawnNode(`
      import { SharedMemory, futex } from 'osipc';
      const s = SharedMemory.open(process.argv[2]);
      const v = new Int32Array(s.buffer);
      Atomics.store(v, 12, 1);
      console.log('woke', futex.wake(v, 12));
      s.close();`, [shm.name]);
    expect(await waiting).toBe('ok');
    expect((await collect(child)).stdout).toMatch(/woke 1/);
  });

  it('with OSIPC_FUTEX_RING=0 the wait threads serve the same waits, timeouts and aborts', async () => {
    const { shm, view } = word();
    const child = spawnNode(`
      import { readdirSync, readlinkSync } from 'node:fs';
      import { SharedMemory, futex } from 'osipc';
      const s = SharedMemory.open(process.argv[2]);
      const v = new Int32Array(s.buffer);
      const timedOut = await futex.wait(v, 13, 0, { timeout: 20 });
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 20);
      const aborted = await futex.wait(v, 13, 0, { signal: ac.signal }).catch((e) => e.name);
      console.log('waiting');
      while (Atomics.load(v, 14) === 0) await futex.wait(v, 14, 0);
      const rings = readdirSync('/proc/self/fd').filter((fd) => {
        try { return readlinkSync('/proc/self/fd/' + fd) === 'anon_inode:[io_uring]'; } catch { return false; }
      });
      console.log(timedOut, aborted, 'woke', Atomics.load(v, 14), 'rings', rings.length);
      s.close();`, [shm.name], { env: { ...process.env, OSIPC_FUTEX_RING: '0' } });
    await waitForLine(child, /waiting/);
    Atomics.store(view, 14, 7);
    futex.wake(view, 14);
    const res = await collect(child);
    expect(res.stderr).toBe('');
    expect(res.stdout).toMatch(/timed-out AbortError woke 7 rings 0/);
  });

  it('rejects a wait with EFAULT when its SharedMemory is closed under it (the process exits)', async () => {
    // Without the check, an io_uring wait stayed armed on the unmapped word
    // for ever and, ref'd, kept the process alive.
    const code = `
      import { SharedMemory, futex } from 'osipc';
      const shm = SharedMemory.create({ size: 64 });
      const p = futex.wait(new Int32Array(shm.buffer), 0, 0);
      setTimeout(() => shm.close(), 20);
      console.log('outcome', await p.then((r) => r, (e) => e.code));`;
    for (const ring of ['1', '0']) {
      const child = spawnNode(code, [], { env: { ...process.env, OSIPC_FUTEX_RING: ring } });
      const res = await collect(child, 10_000);
      expect({ ring, ...res }).toMatchObject({ ring, code: 0, stdout: 'outcome EFAULT\n' });
    }
  });

  it('a fork() child does not take the completions of its parent\'s pending waits', async () => {
    // The child shares the ring and inherits its started poller: it reaped
    // the parent's completion, whose wait then never settled (its timeout
    // cancelled nothing any more).
    const res = await runNode(`
      import { SharedMemory, futex, fork, exit, waitpid } from 'osipc';
      const shm = SharedMemory.create({ size: 64 });
      const view = new Int32Array(shm.buffer);
      const p = futex.wait(view, 0, 0, { timeout: 5000 });
      const pid = fork();
      if (pid === 0) {
        await new Promise((r) => setTimeout(r, 400));
        exit(0);
      }
      setTimeout(() => {
        Atomics.store(view, 0, 1);
        futex.wake(view, 0);
        const end = Date.now() + 200;  // the child, asleep in its loop, sees the completion first
        while (Date.now() < end);
      }, 100);
      console.log('parent', await p);
      console.log('child', waitpid(pid).exitCode);
      shm.close();`, [], 15_000);
    expect(res.stdout).toBe('parent ok\nchild 0\n');
  });

  it('a timeout past 2^31 ms does not fire at once', async () => {
    const { view } = word();
    const waiting = futex.wait(view, 15, 0, { timeout: 2 ** 31 });
    const early = await Promise.race([waiting, new Promise((r) => setTimeout(() => r('waiting'), 200))]);
    Atomics.store(view, 15, 1);
    futex.wake(view, 15);
    expect(early).toBe('waiting');
    expect(await waiting).toBe('ok');
  });
});
