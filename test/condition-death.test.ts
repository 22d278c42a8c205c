// Condition waits of processes that die (SIGKILL): they must stop counting,
// leave no ticket a later wait could take, and not use up the 32767 limit.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { Condition, SharedMemory } from 'osipc';
import { collect, packageRoot, waitForLine } from './helpers/child.js';

const waiter = fileURLToPath(new URL('./fixtures/condition-waiter.js', import.meta.url));
const open: { close(): void }[] = [];
const kids: ChildProcess[] = [];
afterEach(() => {
  for (const k of kids.splice(0)) if (k.exitCode === null && k.signalCode === null) k.kill('SIGKILL');
  for (const o of open.splice(0)) o.close();
});
function keep<T extends { close(): void }>(o: T): T {
  open.push(o);
  return o;
}

/** A child making `count` waits on `c`; resolves once they are all registered. */
async function startWaiter(c: Condition, count = 1, timeout = 30_000): Promise<ChildProcess> {
  const child = spawn(process.execPath, [waiter, c.name!, String(count), String(timeout)],
    { cwd: packageRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  kids.push(child);
  await waitForLine(child, /^waiting /);
  return child;
}

async function kill(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

// Word 1 of the Condition (after the 16-byte segment header): waits (bits 0..15), tickets (16..30).
function counts(c: Condition): { waits: number; tickets: number } {
  const shm = SharedMemory.open(c.name!);
  try {
    const v = Atomics.load(new Int32Array(shm.buffer, 16, 4), 1);
    return { waits: v & 0xffff, tickets: v >>> 16 };
  } finally {
    shm.close();
  }
}

// The per-process records: 64 of 4 words from byte 16 + 296 of the segment.
const RECORD0 = (16 + 296) / 4;
function records(c: Condition): { w: Int32Array; close(): void } {
  const shm = keep(SharedMemory.open(c.name!));
  return { w: new Int32Array(shm.buffer), close: () => shm.close() };
}
// pid 1's start time (field 22 of /proc/1/stat): a live process whose records must stay.
function initStart(): number {
  const stat = readFileSync('/proc/1/stat', 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
}

// notify(0) issues no ticket but looks for dead waiters (at most every 100 ms per object).
async function lookForDead(c: Condition): Promise<void> {
  await new Promise((r) => setTimeout(r, 120));
  await c.acquire();
  c.notify(0);
  c.release();
}

describe('Condition: waiters that die', () => {
  it('a SIGKILLed waiter leaves no ticket for a later wait', async () => {
    const c = keep(new Condition());
    await kill(await startWaiter(c));
    await c.acquire();
    c.notify();
    const t0 = performance.now();
    expect(await c.wait({ timeout: 200 })).toBe(false);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(150);
    c.notifyAll();
    c.release();
    expect(counts(c)).toEqual({ waits: 0, tickets: 0 });
  });

  it('a waiter killed after notify issued its ticket: the live waiters still get theirs', async () => {
    const c = keep(new Condition());
    const live = await startWaiter(c, 1);
    const doomed = await startWaiter(c, 1);
    const live2 = await startWaiter(c, 1);
    // Stopped, none of them can take its ticket before the kill.
    for (const k of [live, doomed, live2]) k.kill('SIGSTOP');
    await c.acquire();
    c.notify(2);
    c.release();
    await kill(doomed);
    // The dead waiter is taken out while the tickets are still unclaimed.
    await lookForDead(c);
    expect(counts(c)).toEqual({ waits: 2, tickets: 2 });
    for (const k of [live, live2]) k.kill('SIGCONT');
    const results = await Promise.all([live, live2].map(async (k) => (await collect(k, 10_000)).stdout));
    // notify(2) promised min(2, live waiters) = 2 wake-ups: both live ones return true.
    expect(results.map((s) => s.trim())).toEqual(['results true', 'results true']);
    expect(counts(c)).toEqual({ waits: 0, tickets: 0 });
  });

  it('a waiter killed holding an unclaimed ticket: notify(1) still wakes one live waiter', async () => {
    const c = keep(new Condition());
    const doomed = await startWaiter(c, 1);
    const live = await startWaiter(c, 1);
    doomed.kill('SIGSTOP');
    live.kill('SIGSTOP');
    await c.acquire();
    c.notify(1); // one ticket, for either of them
    c.release();
    await kill(doomed);
    await lookForDead(c);
    expect(counts(c)).toEqual({ waits: 1, tickets: 1 });
    live.kill('SIGCONT');
    const r = await collect(live, 10_000);
    expect(r.stdout.trim()).toBe('results true');
    expect(counts(c)).toEqual({ waits: 0, tickets: 0 });
    await c.acquire();
    expect(await c.wait({ timeout: 100 })).toBe(false);
    c.release();
  });

  it('40 waits of killed processes stop counting toward the 32767 limit', async () => {
    const c = keep(new Condition());
    const dead = await Promise.all([0, 1, 2, 3].map(() => startWaiter(c, 10)));
    expect(counts(c).waits).toBe(40);
    await Promise.all(dead.map(kill));
    // Fill up to the limit with waits nobody will ever take out (no per-process record).
    const shm = keep(SharedMemory.open(c.name!));
    const w = new Int32Array(shm.buffer, 16, 4);
    Atomics.add(w, 1, 32767 - 40);
    await c.acquire();
    // At the limit, the wait looks for dead waiters instead of failing.
    expect(await c.wait({ timeout: 20 })).toBe(false);
    expect(counts(c)).toEqual({ waits: 32767 - 40, tickets: 0 });
    Atomics.sub(w, 1, 32767 - 40);
    c.notifyAll();
    expect(counts(c)).toEqual({ waits: 0, tickets: 0 });
    expect(await c.wait({ timeout: 50 })).toBe(false);
    c.release();
  });

  it('a segment of the old layout is refused with a clear error', () => {
    const shm = keep(SharedMemory.create({ size: 16 + 296 }));
    const h = new Int32Array(shm.buffer, 0, 4);
    h[2] = 1; // layout version 1
    h[1] = 6; // Condition
    h[0] = 0x4e59534f;
    expect(() => Condition.open(shm.name)).toThrow(expect.objectContaining({
      code: 'ERR_OSIPC_WRONG_KIND',
      message: expect.stringContaining('layout version 1'),
    }));
  });

  it('a wait that starts after a notify cannot take its ticket (the notified process is only stopped)', async () => {
    const c = keep(new Condition());
    const earlier = await startWaiter(c, 1);
    earlier.kill('SIGSTOP');
    await c.acquire();
    c.notify(1);
    expect(await c.wait({ timeout: 200 })).toBe(false);
    c.release();
    earlier.kill('SIGCONT');
    expect((await collect(earlier, 10_000)).stdout.trim()).toBe('results true');
    expect(counts(c)).toEqual({ waits: 0, tickets: 0 });
  });

  it('a record whose pid now runs another process, and a dead reaper\'s mark, are emptied', async () => {
    if (process.platform !== 'linux') return;
    const c = keep(new Condition());
    const gone = await startWaiter(c, 1);
    await kill(gone); // its record (waits 1) is left as it was
    const { w } = records(c);
    // Record 62: pid 1 with another start time (a reused pid), 3 waits.
    let r = RECORD0 + 62 * 4;
    w[r + 1] = 3;
    w[r + 2] = initStart() + 1;
    w[r + 3] = 0;
    Atomics.store(w, r, 1 | 0x40000000);
    // Record 63: being emptied by a process that died (REAPING | its pid), 2 waits.
    r = RECORD0 + 63 * 4;
    w[r + 1] = 2;
    Atomics.store(w, r, (0x80000000 | gone.pid) | 0);
    Atomics.add(w, 4 + 1, 5);
    expect(counts(c)).toEqual({ waits: 6, tickets: 0 });
    await lookForDead(c);
    expect(counts(c)).toEqual({ waits: 0, tickets: 0 });
    expect([62, 63].map((i) => Atomics.load(w, RECORD0 + i * 4))).toEqual([0, 0]);
  });

  it('with every record held by live processes, waits still work and a dead one stays counted', async () => {
    if (process.platform !== 'linux') return;
    const c = keep(new Condition());
    await c.acquire(); // this process takes record 0
    expect(await c.wait({ timeout: 10 })).toBe(false);
    c.release();
    const { w } = records(c);
    const start = initStart();
    for (let i = 1; i < 64; i++) {
      const r = RECORD0 + i * 4;
      w[r + 2] = start;
      w[r + 3] = 0;
      Atomics.store(w, r, 1 | 0x40000000);
    }
    const live = await startWaiter(c, 1);
    const doomed = await startWaiter(c, 1);
    await kill(doomed);
    await lookForDead(c);
    expect(counts(c)).toEqual({ waits: 2, tickets: 0 }); // the dead wait had no record
    await c.acquire();
    c.notify(1);
    c.release();
    expect((await collect(live, 10_000)).stdout.trim()).toBe('results true');
    for (let i = 1; i < 64; i++) Atomics.store(w, RECORD0 + i * 4, 0);
  });
});
