// Reliability: N worker processes hammer a primitive with random operations
// (test/fixtures/hammer.js) while workers are killed at random moments (mostly
// SIGKILL, some SIGTERM) and replaced. Afterwards: every worker stops when
// asked (no deadlock), no timed wait overran its timeout by more than the
// bound, the primitive's own guarantee held (no lost increment, no two lock
// holders, no duplicated message, losses only where a process was killed), and
// nothing is left: the killed workers' objects are removed by their trackers,
// no tracker runs, no fd leaked here.
// `npm run soak` runs the same with more RELIABILITY_SECONDS and workers.
import { describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import v8 from 'node:v8';
import * as osipc from 'osipc';
import { packHandles } from '../dist/transfer.js';
import { packageRoot, testName } from './helpers/child.js';
import { openFds } from './helpers/leaks.js';
import { lineReader, trackers, until } from './helpers/procfs.js';

const SECONDS = Number(process.env.RELIABILITY_SECONDS ?? 5);
const WORKERS = Number(process.env.RELIABILITY_WORKERS ?? 4);
/** How far past its timeout a timed wait may return (scheduling on a loaded 2-CPU box). */
const OVERSHOOT_BOUND_MS = 2000;
/** A lock whose holder died is taken over within ~150 ms (docs/api/sync.md); allow for load. */
const LOCK_WAIT_BOUND_MS = 5000;
const SLOTS = 16;
const STRIDE = 16;
const BITMAP = 1024;
const BITMAP_WORDS = 2048;
const SLOT = { ops: 0, done: 1, overshoot: 2, waits: 3, objects: 4, violations: 5, recovered: 6, received: 7, timeouts: 8, maxWait: 9, unsent: 10,
  order: 11, corrupt: 12, errors: 13, broken: 14 };
/** Word 6 of the bookkeeping: a worker was told its Connection end is broken. */
const BROKEN_WORD = 6;

interface Run {
  words: Int32Array;
  kills: number;
  sum(k: number): number;
  max(k: number): number;
  /** Marks a message left in a queue (as a receiver would); false for a duplicate. */
  markLeftover(data: Uint8Array): boolean;
}

interface Workload {
  name: string;
  needs: string[];
  /**
   * Makes what the workers open (their names go to the workers); `finish`
   * checks the workload's own guarantee once the workers are gone and returns a
   * line for the report; `close` closes what setup made (idempotent).
   */
  setup(): Setup;
}

interface Setup {
  objects: Record<string, unknown>;
  finish(run: Run): string;
  close(): void;
  /** osipc objects each worker gets by handle (inherited fds). */
  handles?(): unknown[];
  /** Makes new objects for the next workers when the old ones broke (Connection). */
  renew?(): void;
}

const api = osipc as unknown as Record<string, any>;

function counterCheck(run: Run, total: number, what: string): string {
  const done = run.sum(SLOT.done);
  // A worker killed between its two adds leaves the total ahead by one at most.
  expect(total).toBeGreaterThanOrEqual(done);
  expect(total - done).toBeLessThanOrEqual(run.kills);
  return `${done} ${what} seen by workers, ${total} counted`;
}

function messageCheck(run: Run, leftovers: Uint8Array[], breaks = 0): string {
  for (const m of leftovers) expect(run.markLeftover(m), 'a message left in the queue was also received').toBe(true);
  const taken = run.sum(SLOT.done);
  const unsent = run.sum(SLOT.unsent);
  const received = run.sum(SLOT.received);
  const lost = taken - unsent - received - leftovers.length;
  expect(run.sum(SLOT.violations), 'duplicated messages').toBe(0);
  // A killed receiver may lose the message it had taken; a killed sender one it had numbered.
  const counts = `taken ${taken}, unsent ${unsent}, received ${received}, left ${leftovers.length}, kills ${run.kills}`;
  expect(lost, counts).toBeGreaterThanOrEqual(0);
  // A broken Connection loses what was in its pipe: bounded only without breaks.
  if (breaks === 0) expect(lost, counts).toBeLessThanOrEqual(2 * run.kills);
  expect(run.sum(SLOT.order), 'messages of one producer out of order').toBe(0);
  return `${taken - unsent} sent, ${received} received, ${leftovers.length} left, ${lost} lost to kills` +
    `${breaks ? ` and ${breaks} broken pipes` : ''}, 0 duplicated, 0 out of order`;
}

/** What is left in a queue, taken without waiting. */
function drain(q: { tryReceive(): { data: Uint8Array } | null }): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let m = q.tryReceive(); m; m = q.tryReceive()) out.push(m.data);
  return out;
}

const WORKLOADS: Workload[] = [
  {
    name: 'shm-futex',
    needs: ['SharedMemory', 'futex'],
    setup: () => ({
      objects: {},
      finish: (run) => counterCheck(run, Atomics.load(run.words, 0), 'increments'),
      close: () => {},
    }),
  },
  {
    name: 'lock',
    needs: ['Lock'],
    setup: () => {
      const lock = new api.Lock();
      return {
        objects: { lock: lock.name },
        finish: (run) => {
          expect(run.sum(SLOT.violations), 'two holders at once').toBe(0);
          expect(run.sum(SLOT.timeouts), 'an acquire waited 10 s').toBe(0);
          expect(run.max(SLOT.maxWait)).toBeLessThan(LOCK_WAIT_BOUND_MS);
          return `${run.sum(SLOT.done)} acquisitions, ${run.sum(SLOT.recovered)} from a dead holder, ` +
            `longest wait ${run.max(SLOT.maxWait)} ms, 0 overlaps`;
        },
        close: () => lock.close(),
      };
    },
  },
  {
    name: 'value',
    needs: ['Value'],
    setup: () => {
      const value = new api.Value('i', 0);
      return {
        objects: { value: value.name },
        finish: (run) => counterCheck(run, value.value as number, 'additions'),
        close: () => value.close(),
      };
    },
  },
  {
    name: 'mq',
    needs: ['MessageQueue'],
    setup: () => {
      const q = api.MessageQueue.create({ maxMessages: 8, messageSize: 16 });
      return { objects: { mq: q.name }, finish: (run) => messageCheck(run, drain(q)), close: () => q.close() };
    },
  },
  {
    name: 'sysvmq',
    needs: ['SysVMessageQueue'],
    setup: () => {
      // A key of our own (a private queue cannot be opened by others by key).
      const q = api.SysVMessageQueue.create({ key: ((process.pid << 8) | 0x5a) & 0x7fffffff });
      return { objects: { key: q.key }, finish: (run) => messageCheck(run, drain(q)), close: () => q.close() };
    },
  },
  {
    name: 'queue',
    needs: ['Queue'],
    setup: () => {
      const q = new api.Queue({ maxsize: 64, capacity: 1 << 20 });
      return {
        // Share of messages big enough to go through the ring in chunks (up to 1 MB).
        objects: { queue: q.name, big: Number(process.env.RELIABILITY_QUEUE_BIG ?? 0.05) },
        finish: (run) => {
          const left: Uint8Array[] = [];
          for (;;) {
            try {
              left.push(q.getNowait());
            } catch (err) {
              expect(err).toBeInstanceOf(api.QueueEmpty);
              break;
            }
          }
          return messageCheck(run, left);
        },
        close: () => q.close(),
      };
    },
  },
  {
    name: 'connection',
    needs: ['Pipe'],
    setup: () => {
      let ends = api.Pipe({ duplex: false }) as [osipc.Connection, osipc.Connection];
      let pipes = 1;
      let breaks = 0;
      return {
        objects: {},
        handles: () => ends,
        renew: () => {
          for (const c of ends) c.close();
          ends = api.Pipe({ duplex: false });
          pipes++;
          breaks++;
        },
        finish: (run) => {
          // What the last pipe holds; a partial message left by a killed writer breaks it.
          const left: Uint8Array[] = [];
          let brokenAtEnd = false;
          for (;;) {
            try {
              left.push(ends[0].recvBytesSync({ timeout: 200 }));
            } catch (err) {
              if ((err as { code?: string }).code === 'ERR_OSIPC_CONNECTION_BROKEN') brokenAtEnd = true;
              else expect(err).toBeInstanceOf(api.TimeoutError);
              break;
            }
          }
          // Broken at the end, or told to workers after the last renewal.
          if (brokenAtEnd || Atomics.load(run.words, BROKEN_WORD) !== 0) breaks++;
          expect(breaks, 'a pipe broke with nobody killed mid-message').toBeLessThanOrEqual(run.kills);
          return `${pipes} pipes; ` + messageCheck(run, left, breaks) + `; ${run.sum(SLOT.broken)} workers told ERR_OSIPC_CONNECTION_BROKEN`;
        },
        close: () => {
          for (const c of ends) c.close();
        },
      };
    },
  },
  {
    name: 'named-semaphore',
    needs: ['NamedSemaphore'],
    setup: () => {
      const sem = api.NamedSemaphore.create({ value: 2 });
      return {
        objects: { sem: sem.name },
        // Tokens are lost only by workers killed between wait and post.
        finish: (run) => `${run.sum(SLOT.done)} wait/post pairs, value left ${sem.value ?? '?'} of 2`,
        close: () => sem.close(),
      };
    },
  },
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
  const present = workload.needs.every((n) => api[n] !== undefined);

  it.skipIf(!present)(`${WORKERS} workers for ${SECONDS} s, killed at random: no deadlock, loss or leak`, async () => {
    const shm = osipc.SharedMemory.create({ name: testName(name), size: (BITMAP + SLOTS * BITMAP_WORDS) * 4 });
    const setup = workload.setup();
    // After the first objects: this process's tracker pipe is counted once and for all.
    const fdsBefore = openFds().length;
    const words = new Int32Array(shm.buffer);
    const random = seeded(42);
    const live = new Map<number, ChildProcess>();
    const dead: number[] = [];
    let started = 0;
    let sigkills = 0;
    let sigterms = 0;
    let renewals = 0;

    async function startWorker(slot: number): Promise<void> {
      const packed = setup.handles ? packHandles(setup.handles()) : null;
      const child = spawn(process.execPath, ['test/fixtures/hammer.js', name, shm.name, String(slot), String(++started),
        JSON.stringify(setup.objects)], {
        cwd: packageRoot,
        stdio: ['ignore', 'pipe', 'inherit', ...(packed?.fds ?? [])],
        env: packed ? {
          ...process.env,
          OSIPC_HAMMER_HANDLES: v8.serialize(packed.value).toString('base64'),
          OSIPC_HAMMER_NFDS: String(packed.fds.length),
        } : process.env,
      });
      live.set(slot, child);
      await lineReader(child)(/^ready/);
    }

    const slotWord = (s: number, k: number): number => Atomics.load(words, SLOTS + s * STRIDE + k);
    const slots = Array.from({ length: WORKERS }, (_, s) => s);
    const run: Run = {
      words,
      get kills() { return sigkills + sigterms; },
      sum: (k) => slots.reduce((n, s) => n + slotWord(s, k), 0),
      max: (k) => Math.max(...slots.map((s) => slotWord(s, k))),
      markLeftover: (data) => {
        const b = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
        const word = BITMAP + b.readInt32LE(0) * BITMAP_WORDS + (b.readInt32LE(4) >>> 5);
        const bit = 1 << (b.readInt32LE(4) & 31);
        return (Atomics.or(words, word, bit) & bit) === 0;
      },
    };

    try {
      await Promise.all(slots.map((slot) => startWorker(slot)));
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
        if (setup.renew && Atomics.load(words, BROKEN_WORD) !== 0) {
          // A Connection broke: new pipe, new workers (the old ones only wait now).
          const all = [...live.values()];
          await Promise.all(all.map((c) => new Promise((r) => { c.once('close', r); c.kill('SIGKILL'); })));
          dead.push(...all.map((c) => c.pid!));
          renewals++;
          setup.renew();
          Atomics.store(words, BROKEN_WORD, 0);
          await Promise.all(slots.map((s) => startWorker(s)));
        }
      }

      // Stop: every worker must notice and leave (one that does not is stuck).
      Atomics.store(words, 1, 1);
      Atomics.add(words, 2, 1);
      osipc.futex.wake(words, 2);
      const exits = await Promise.all([...live.values()].map((c) => new Promise<number | null>((resolve) => {
        const timer = setTimeout(() => { c.kill('SIGKILL'); resolve(-1); }, 30_000);
        c.once('close', (code) => { clearTimeout(timer); resolve(code); });
      })));
      expect(exits, 'every worker stops when asked').toEqual(exits.map(() => 0));
      dead.push(...[...live.values()].map((c) => c.pid!));
      live.clear();

      const overshoot = run.max(SLOT.overshoot);
      expect(slots.every((s) => slotWord(s, SLOT.ops) > 0)).toBe(true);
      expect(overshoot).toBeLessThan(OVERSHOOT_BOUND_MS);
      expect(run.sum(SLOT.errors), 'unexpected errors in workers (on stderr)').toBe(0);
      expect(run.sum(SLOT.corrupt), 'messages that arrived damaged').toBe(0);
      const own = setup.finish(run);
      console.log(`reliability ${name}: ${run.sum(SLOT.ops)} random operations by ${started} workers, ` +
        `${sigkills} SIGKILLs + ${sigterms} SIGTERMs in ${SECONDS} s${renewals ? ` (+ ${renewals} renewals)` : ''}; ${run.sum(SLOT.waits)} timed waits ` +
        `(longest overrun ${overshoot} ms); ${own}; ${run.sum(SLOT.objects)} named objects created by workers`);

      // What the killed workers owned is removed (by their trackers, for SIGKILL).
      const leftovers = (): string[] => readdirSync('/dev/shm').filter((f) => dead.some((pid) => f.startsWith(`osipc-${pid}-`)));
      expect(await until(() => leftovers().length === 0, 10_000)).toBe(true);
      expect(await until(() => dead.every((pid) => trackers(pid).length === 0), 10_000)).toBe(true);
    } finally {
      for (const c of live.values()) c.kill('SIGKILL');
      setup.close();
      shm.close();
    }
    expect(openFds().length).toBeLessThanOrEqual(fdsBefore);
  }, 90_000 + SECONDS * 2000);
});
