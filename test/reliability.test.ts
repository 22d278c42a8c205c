// Reliability: N worker processes hammer a primitive with random operations
// (test/fixtures/hammer.js) while workers are killed at random moments (mostly
// SIGKILL, some SIGTERM) and replaced. Afterwards: no worker is stuck (every
// one stops when asked), no timed wait overran its timeout by more than the
// bound, no increment was lost, and nothing is left: the killed workers'
// objects are removed by their trackers, no tracker runs, no fd leaked here.
// `npm run soak` runs the same with RELIABILITY_SECONDS (and more workers).
import { describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { SharedMemory, futex } from 'osipc';
import { packageRoot, testName, waitForLine } from './helpers/child.js';
import { openFds } from './helpers/leaks.js';
import { trackers, until } from './helpers/procfs.js';

const SECONDS = Number(process.env.RELIABILITY_SECONDS ?? 15);
const WORKERS = Number(process.env.RELIABILITY_WORKERS ?? 4);
/** How far past its timeout a timed wait may return (scheduling on a loaded 2-CPU box). */
const OVERSHOOT_BOUND_MS = 2000;
const BASE = 16;
const STRIDE = 8;
const SLOT = { ops: 0, increments: 1, overshoot: 2, waits: 3, objects: 4 };

/** Workloads by the exports they need; those not on main yet are skipped. */
const WORKLOADS: { name: string; needs: string[] }[] = [
  { name: 'shm-futex', needs: ['SharedMemory', 'futex'] },
];

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe.each(WORKLOADS.map((w) => [w.name, w] as const))('reliability: %s', (name, workload) => {
  const osipc = { SharedMemory, futex } as Record<string, unknown>;
  const present = workload.needs.every((n) => osipc[n] !== undefined);

  it.skipIf(!present)(`${WORKERS} workers for ${SECONDS} s, killed at random: no deadlock, loss or leak`, async () => {
    const shm = SharedMemory.create({ name: testName(name), size: 4096 });
    // After the first create: this process's tracker pipe is counted once and for all.
    const fdsBefore = openFds().length;
    const words = new Int32Array(shm.buffer);
    const random = seeded(42);
    const live = new Map<number, ChildProcess>();
    const dead: number[] = [];
    let started = 0;
    let sigkills = 0;
    let sigterms = 0;

    async function startWorker(slot: number): Promise<void> {
      const child = spawn(process.execPath, ['test/fixtures/hammer.js', name, shm.name, String(slot), String(++started)], {
        cwd: packageRoot, stdio: ['ignore', 'pipe', 'inherit'],
      });
      live.set(slot, child);
      await waitForLine(child, /^ready/);
    }

    try {
      await Promise.all(Array.from({ length: WORKERS }, (_, slot) => startWorker(slot)));
      const end = Date.now() + SECONDS * 1000;
      while (Date.now() < end) {
        await sleep(50 + random() * 350);
        const slot = Math.floor(random() * WORKERS);
        const victim = live.get(slot)!;
        const signal = random() < 0.8 ? 'SIGKILL' : 'SIGTERM';
        const gone = new Promise((r) => victim.once('close', r));
        victim.kill(signal);
        if (signal === 'SIGKILL') sigkills++;
        else sigterms++;
        await gone;
        dead.push(victim.pid!);
        await startWorker(slot);
      }

      // Stop: every worker must notice and leave (a stuck one is a deadlock).
      Atomics.store(words, 1, 1);
      Atomics.add(words, 2, 1);
      futex.wake(words, 2);
      const exits = await Promise.all([...live.values()].map((c) => new Promise<number | null>((resolve) => {
        const timer = setTimeout(() => { c.kill('SIGKILL'); resolve(-1); }, 20_000);
        c.once('close', (code) => { clearTimeout(timer); resolve(code); });
      })));
      expect(exits, 'every worker stops when asked').toEqual(exits.map(() => 0));
      dead.push(...[...live.values()].map((c) => c.pid!));

      const slot = (s: number, k: number): number => Atomics.load(words, BASE + s * STRIDE + k);
      const slots = Array.from({ length: WORKERS }, (_, s) => s);
      const ops = slots.reduce((n, s) => n + slot(s, SLOT.ops), 0);
      const increments = slots.reduce((n, s) => n + slot(s, SLOT.increments), 0);
      const waits = slots.reduce((n, s) => n + slot(s, SLOT.waits), 0);
      const objects = slots.reduce((n, s) => n + slot(s, SLOT.objects), 0);
      const overshoot = Math.max(...slots.map((s) => slot(s, SLOT.overshoot)));
      const total = Atomics.load(words, 0);
      console.log(`reliability ${name}: ${ops} random operations by ${started} workers, ${sigkills} SIGKILLs + ` +
        `${sigterms} SIGTERMs in ${SECONDS} s; ${waits} timed waits (longest overrun ${overshoot} ms); ` +
        `${increments} increments seen, ${total} counted; ${objects} named objects created by workers`);

      expect(slots.every((s) => slot(s, SLOT.ops) > 0)).toBe(true);
      // A worker killed between its two adds leaves the total ahead by one at most.
      expect(total).toBeGreaterThanOrEqual(increments);
      expect(total - increments).toBeLessThanOrEqual(sigkills + sigterms);
      expect(overshoot).toBeLessThan(OVERSHOOT_BOUND_MS);

      // What the killed workers owned is removed (by their trackers, for SIGKILL).
      const leftovers = (): string[] => readdirSync('/dev/shm').filter((f) => dead.some((pid) => f.startsWith(`osipc-${pid}-`)));
      expect(await until(() => leftovers().length === 0, 10_000)).toBe(true);
      expect(await until(() => dead.every((pid) => trackers(pid).length === 0), 10_000)).toBe(true);
    } finally {
      for (const c of live.values()) c.kill('SIGKILL');
      shm.close();
    }
    expect(openFds().length).toBeLessThanOrEqual(fdsBefore);
  }, 60_000 + SECONDS * 2000);
});
