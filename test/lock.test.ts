import { afterEach, describe, expect, it } from 'vitest';
import { Lock, RLock, SharedMemory } from 'osipc';
import { collect, spawnNode, testName, waitForLine } from './helpers/child.js';

const open: { close(): void }[] = [];
afterEach(() => {
  for (const o of open.splice(0)) o.close();
});
function keep<T extends { close(): void }>(o: T): T {
  open.push(o);
  return o;
}

// A child that takes `kind` by name, says 'held', and then waits to be killed.
function holder(kind: 'Lock' | 'RLock', name: string) {
  const child = spawnNode(`
    import { ${kind} } from 'osipc';
    const l = ${kind}.open(process.argv[2]);
    l.acquireSync();
    ${kind === 'RLock' ? 'l.acquireSync();' : ''}
    console.log('held');
    setInterval(() => {}, 1000);`, [name]);
  const done = collect(child);
  return { child, done };
}

describe.each(['Lock', 'RLock'] as const)('%s', (kind) => {
  const Make = kind === 'Lock' ? Lock : RLock;

  it('acquires, releases, and reports its state', async () => {
    const l = keep(new Make({ name: testName() }));
    expect(l.name).toMatch(/^\/osipc-/);
    expect(l.locked()).toBe(false);
    expect(await l.acquire()).toBe(true);
    expect(l.locked()).toBe(true);
    expect(l.heldByMe).toBe(true);
    expect(l.ownerDied).toBe(false);
    l.release();
    expect(l.locked()).toBe(false);
    expect(l.acquireSync({ timeout: 100 })).toBe(true);
    l.release();
    expect(l.tryAcquire()).toBe(true);
    l.release();
  });

  it('release by a process that does not hold it is an error', async () => {
    const l = keep(new Make());
    expect(() => l.release()).toThrow(expect.objectContaining({ code: 'ERR_OSIPC_NOT_OWNER' }));
    const { child, done } = holder(kind, l.name!);
    await waitForLine(child, /held/);
    expect(() => l.release()).toThrow(expect.objectContaining({ code: 'ERR_OSIPC_NOT_OWNER' }));
    expect(l.tryAcquire()).toBe(false);
    expect(await l.acquire({ timeout: 30 })).toBe(false);
    expect(l.acquireSync({ timeout: 30 })).toBe(false);
    child.kill('SIGKILL');
    await done;
  });

  it('gives a SIGKILLed holder\'s lock to a waiter within 1 s and tells it', async () => {
    const l = keep(new Make());
    const { child, done } = holder(kind, l.name!);
    await waitForLine(child, /held/);
    const waiting = l.acquire({ timeout: 20_000 });
    await new Promise((r) => setTimeout(r, 50));
    const t0 = performance.now();
    child.kill('SIGKILL');
    expect(await waiting).toBe(true);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(l.ownerDied).toBe(true);
    if (l instanceof RLock) expect(l.count).toBe(1);
    l.release();
    expect(l.ownerDied).toBe(false);
    expect(l.locked()).toBe(false);
    await done;
  });

  it('the Sync form also recovers from a dead holder', async () => {
    const l = keep(new Make());
    const { child, done } = holder(kind, l.name!);
    await waitForLine(child, /held/);
    child.kill('SIGKILL');
    await done;
    expect(l.acquireSync({ timeout: 5000 })).toBe(true);
    expect(l.ownerDied).toBe(true);
    l.release();
  });

  it('withLock releases on throw; using releases at scope end', async () => {
    const l = keep(new Make());
    await expect(l.withLock(() => {
      expect(l.heldByMe).toBe(true);
      throw new Error('boom');
    })).rejects.toThrow('boom');
    expect(l.locked()).toBe(false);
    expect(await l.withLock(async () => 42)).toBe(42);
    {
      using held = l;
      held.acquireSync();
      expect(l.locked()).toBe(true);
    }
    expect(l.locked()).toBe(false);
  });

  it('excludes between processes that open it by name', async () => {
    const l = keep(new Make());
    const shm = keep(SharedMemory.create({ size: 8 }));
    const code = `
      import { ${kind}, SharedMemory } from 'osipc';
      const l = ${kind}.open(process.argv[2]);
      const s = SharedMemory.open(process.argv[3]);
      const n = new Int32Array(s.buffer);
      for (let i = 0; i < 200; i++) {
        await l.withLock(async () => {
          const v = n[0];
          if (i % 8 === 0) await new Promise((r) => setImmediate(r));
          n[0] = v + 1;
        });
      }
      l.close(); s.close();`;
    const results = await Promise.all([1, 2, 3].map(() => collect(spawnNode(code, [l.name!, shm.name]))));
    for (const r of results) expect(r.stderr).toBe('');
    expect(new Int32Array(shm.buffer)[0]).toBe(600);
  });

  it('rejects bad options, wrong kinds and use after close', async () => {
    const l = new Make();
    expect(() => l.acquireSync({ timeout: -1 })).toThrow(RangeError);
    expect(() => l.acquireSync({ timeout: NaN })).toThrow(RangeError);
    await expect(l.acquire({ timeout: NaN })).rejects.toThrow(RangeError);
    await expect(l.acquire('x' as never)).rejects.toThrow(TypeError);
    expect(() => new Make({ name: 'no-slash' })).toThrow(TypeError);
    const Other = kind === 'Lock' ? RLock : Lock;
    expect(() => Other.open(l.name!)).toThrow(expect.objectContaining({ code: 'ERR_OSIPC_WRONG_KIND' }));
    expect(() => Make.open(testName('none'))).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    l.close();
    l.close();
    expect(() => l.tryAcquire()).toThrow(expect.objectContaining({ code: 'ERR_OSIPC_CLOSED' }));
  });

  it('cancels a pending acquire with an AbortSignal', async () => {
    const l = keep(new Make());
    const { child, done } = holder(kind, l.name!);
    await waitForLine(child, /held/);
    const ac = new AbortController();
    const p = l.acquire({ signal: ac.signal });
    setTimeout(() => ac.abort(), 30);
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    child.kill('SIGKILL');
    await done;
  });

  it('can be placed inside another segment (fromBuffer)', () => {
    const shm = keep(SharedMemory.create({ size: 64 }));
    Make.initialize(shm.buffer, 8);
    const a = Make.fromBuffer(shm.buffer, 8);
    const b = Make.fromBuffer(shm.buffer, 8);
    expect(a.name).toBeUndefined();
    expect(a.tryAcquire()).toBe(true);
    expect(b.locked()).toBe(true);
    a.release();
    expect(() => Make.fromBuffer(shm.buffer, 60)).toThrow(RangeError);
  });
});

describe('RLock', () => {
  it('is re-entrant within the owning process', async () => {
    const l = keep(new RLock());
    expect(await l.acquire()).toBe(true);
    expect(l.acquireSync()).toBe(true);
    expect(l.tryAcquire()).toBe(true);
    expect(l.count).toBe(3);
    l.release();
    l.release();
    expect(l.locked()).toBe(true);
    l.release();
    expect(l.locked()).toBe(false);
    expect(() => l.release()).toThrow(expect.objectContaining({ code: 'ERR_OSIPC_NOT_OWNER' }));
  });
});

describe('Lock', () => {
  it('is not re-entrant: a second acquire in the same process waits', async () => {
    const l = keep(new Lock());
    expect(await l.acquire()).toBe(true);
    expect(l.tryAcquire()).toBe(false);
    const second = l.acquire();
    setTimeout(() => l.release(), 20);
    expect(await second).toBe(true);
    l.release();
  });
});

describe('Lock holder that dies but is not reaped (a zombie)', () => {
  it('counts as dead', async (ctx) => {
    const { spawnSync, spawn } = await import('node:child_process');
    if (process.platform !== 'linux' || spawnSync('python3', ['-c', '0']).status !== 0) {
      ctx.skip();
      return;
    }
    const l = keep(new Lock());
    // Python starts the holder, SIGKILLs it once it holds the lock, and never
    // waits for it: the holder stays a zombie while Python sleeps.
    const py = spawn('python3', ['-c', `
import os, signal, subprocess, sys, time
holder = subprocess.Popen([sys.argv[1], '--input-type=module', '-e',
  "import { Lock } from 'osipc'; Lock.open(process.argv[1]).acquireSync(); console.log('held'); setInterval(() => {}, 1000);",
  sys.argv[2]], cwd=sys.argv[3], stdout=subprocess.PIPE)
holder.stdout.readline()
os.kill(holder.pid, signal.SIGKILL)
time.sleep(0.2)
print('zombie', holder.pid, open('/proc/%d/stat' % holder.pid).read().rsplit(')', 1)[1].split()[0], flush=True)
time.sleep(30)
`, process.execPath, l.name!, (await import('./helpers/child.js')).packageRoot]);
    const done = collect(py);
    const line = await waitForLine(py, /^zombie \d+ [A-Za-z]$/);
    expect(line.trim().split(/\s+/)[2], line).toBe('Z');
    expect(await l.acquire({ timeout: 5000 })).toBe(true);
    expect(l.ownerDied).toBe(true);
    l.release();
    py.kill('SIGKILL');
    await done;
  });
});

describe('Lock under contention when a holder is killed', () => {
  it('the survivors finish their work, and exactly one of them is told', async () => {
    const l = keep(new Lock());
    const shm = keep(SharedMemory.create({ size: 16 }));
    // [0] increments done  [1] owner-died reports  [2] the victim holds the lock
    const worker = `
      import { Lock, SharedMemory } from 'osipc';
      const l = Lock.open(process.argv[2]);
      const s = SharedMemory.open(process.argv[3]);
      const v = new Int32Array(s.buffer);
      const victim = process.argv[4] === 'victim';
      // Survivors start once the victim holds the lock, so one of them must
      // be the one to take it over (on a loaded machine they could finish first).
      while (!victim && Atomics.load(v, 2) === 0) await new Promise((r) => setTimeout(r, 5));
      for (let i = 0; i < (victim ? 1e9 : 200); i++) {
        await l.acquire();
        if (l.ownerDied) Atomics.add(v, 1, 1);
        if (victim && i === 20) { Atomics.store(v, 2, 1); console.log('holding'); await new Promise(() => {}); }
        Atomics.add(v, 0, 1);
        await new Promise((r) => setImmediate(r));
        l.release();
      }
      l.close(); s.close();`;
    const victim = spawnNode(worker, [l.name!, shm.name, 'victim']);
    const victimDone = collect(victim);
    const others = [1, 2].map(() => collect(spawnNode(worker, [l.name!, shm.name, 'survivor']), 60_000));
    await waitForLine(victim, /holding/);
    victim.kill('SIGKILL');
    await victimDone;
    for (const r of await Promise.all(others)) expect(r.stderr).toBe('');
    const v = new Int32Array(shm.buffer);
    expect(v[0]).toBe(20 + 400);
    expect(v[1]).toBe(1);
    expect(l.locked()).toBe(false);
  });
});

describe('RLock owned by the whole process', () => {
  it('a second acquire that was already waiting goes in once this process holds it', async () => {
    const l = keep(new RLock());
    const { child, done } = holder('RLock', l.name!);
    await waitForLine(child, /held/);
    const first = l.acquire({ timeout: 20_000 });
    const second = l.acquire({ timeout: 20_000 });
    child.kill('SIGKILL');
    expect(await first).toBe(true);
    expect(await second).toBe(true);
    expect(l.count).toBe(2);
    l.release();
    l.release();
    expect(l.locked()).toBe(false);
    await done;
  });
});
