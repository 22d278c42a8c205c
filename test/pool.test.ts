// Pool with real worker processes running test/fixtures/pool-tasks.js.
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AsyncResult, OsipcError, Pool, RemoteError, SharedMemory } from 'osipc';
import { alive, runNode, testName, until } from './helpers/child.js';

const tasks = new URL('./fixtures/pool-tasks.js', import.meta.url);
const tmp = mkdtempSync(join(tmpdir(), 'osipc-pool-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function finish(pool: Pool): Promise<void> {
  const pids = pool.pids;
  pool.close();
  expect(await pool.join({ timeout: 20_000 })).toBe(true);
  expect(pool.pids).toEqual([]);
  // Reaped, not zombies.
  for (const pid of pids) expect(alive(pid)).toBe(false);
}

describe('Pool', () => {
  it('apply runs an export in a worker and resolves with its value', async () => {
    const pool = new Pool({ processes: 2, module: tasks });
    expect(pool.processes).toBe(2);
    expect(await pool.apply('square', [7])).toBe(49);
    expect(await pool.apply('add', [2, 3])).toBe(5);
    const pid = await pool.apply<number>('pid');
    expect(pid).not.toBe(process.pid);
    expect(pool.pids).toContain(pid);
    expect(await pool.apply('name')).toMatch(/^PoolWorker-\d+$/);
    await finish(pool);
  });

  it('applyAsync returns an AsyncResult and runs callbacks in the parent', async () => {
    const pool = new Pool({ processes: 2, module: tasks });
    const seen: Array<[string, unknown, number]> = [];
    const results = Array.from({ length: 10 }, (_, i) => pool.applyAsync('slowSquare', [i, 5], {
      callback: (v) => seen.push(['ok', v, process.pid]),
    }));
    const bad = pool.applyAsync('boom', ['no'], {
      callback: () => seen.push(['ok', 'unexpected', process.pid]),
      errorCallback: (e) => seen.push(['err', e, process.pid]),
    });
    expect(results[0]).toBeInstanceOf(AsyncResult);
    expect(await Promise.all(results.map((r) => r.get()))).toEqual([0, 1, 4, 9, 16, 25, 36, 49, 64, 81]);
    expect(await bad.wait()).toBe(true);
    expect(bad.ready()).toBe(true);
    expect(bad.successful()).toBe(false);
    expect(results[3]!.successful()).toBe(true);
    await expect(bad.get()).rejects.toBeInstanceOf(RemoteError);
    expect(seen.filter((s) => s[0] === 'ok').map((s) => s[1]).sort((a, b) => (a as number) - (b as number)))
      .toEqual([0, 1, 4, 9, 16, 25, 36, 49, 64, 81]);
    const errs = seen.filter((s) => s[0] === 'err');
    expect(errs).toHaveLength(1);
    expect((errs[0]![1] as RemoteError).remoteName).toBe('RangeError');
    expect(seen.every((s) => s[2] === process.pid)).toBe(true);
    await finish(pool);
  });

  it('AsyncResult: not ready yet, get with timeout, wait with timeout', async () => {
    const pool = new Pool({ processes: 1, module: tasks });
    const r = pool.applyAsync('sleepThen', [300]);
    expect(r.ready()).toBe(false);
    expect(() => r.successful()).toThrow(expect.objectContaining({ code: 'ERR_OSIPC_NOT_READY' }));
    await expect(r.get({ timeout: 10 })).rejects.toMatchObject({ code: 'ERR_OSIPC_TIMEOUT' });
    expect(await r.wait({ timeout: 10 })).toBe(false);
    expect(await r.get({ timeout: 20_000 })).toBe(300);
    await expect(r.get({ timeout: -1 })).rejects.toBeInstanceOf(RangeError);
    await finish(pool);
  });

  it('map of squares with chunksize keeps the order; starmap spreads arguments', async () => {
    const pool = new Pool({ processes: 2, module: tasks });
    const xs = Array.from({ length: 100 }, (_, i) => i);
    const squares = xs.map((x) => x * x);
    expect(await pool.map('square', xs, { chunksize: 7 })).toEqual(squares);
    expect(await pool.map('square', xs)).toEqual(squares);
    expect(await pool.map('square', new Set([3, 4]))).toEqual([9, 16]);
    expect(await pool.map('square', [])).toEqual([]);
    expect(await pool.starmap('add', [[1, 2], [3, 4], [5, 6]], { chunksize: 2 })).toEqual([3, 7, 11]);
    let got: unknown = null;
    const r = pool.mapAsync('square', [1, 2, 3], { callback: (v) => { got = v; } });
    expect(await r.get()).toEqual([1, 4, 9]);
    expect(got).toEqual([1, 4, 9]);
    expect(await pool.starmapAsync('add', [[10, 1]]).get()).toEqual([11]);
    await finish(pool);
  });

  it('chunks of numbers round-trip exactly (-0, NaN, infinities, non-int32, mixed types)', async () => {
    const pool = new Pool({ processes: 2, module: tasks });
    const awkward = [-0, NaN, Infinity, -Infinity, 2 ** 31, -(2 ** 31) - 1, 0.5, 2 ** 53 + 2, -1e-300, 5e-324];
    const describe = (x: unknown): string => (Object.is(x, -0) ? '-0' : `${typeof x}:${String(x)}`);
    // Int32 chunks, int32 then doubles (the switch mid-chunk), doubles from the first element.
    const ints = Array.from({ length: 100 }, (_, i) => i * 7919 - 300_000);
    const switching = [...ints.slice(0, 40), ...awkward, ...ints.slice(40)];
    const doubles = Array.from({ length: 64 }, (_, i) => awkward[i % awkward.length]!);
    for (const xs of [ints, switching, doubles]) {
      for (const chunksize of [16, 17, 1000]) {
        expect(await pool.map('describeValue', xs, { chunksize })).toEqual(xs.map(describe));
        const back = await pool.map<number>('identity', xs, { chunksize });
        expect(back.map(describe)).toEqual(xs.map(describe));
        expect(Array.isArray(back)).toBe(true);
      }
    }
    // Results that are numbers come back packed too: awkward values produced in the worker.
    const made = await pool.map<number>('toAwkward', Array.from({ length: 50 }, (_, i) => i), { chunksize: 25 });
    expect(made.map(describe)).toEqual(Array.from({ length: 50 }, (_, i) => describe(awkward[i % 10])));
    // One element that is not a number keeps the chunk a plain array, exactly.
    const mixed: unknown[] = [...ints.slice(0, 30), 12n, 'x', null, undefined, true, { a: 1 }, [2], ...ints.slice(30, 60)];
    expect(await pool.map('identity', mixed, { chunksize: 100 })).toEqual(mixed);
    expect(await pool.map('describeValue', mixed, { chunksize: 100 })).toEqual(mixed.map(describe));
    // Numbers from imap and imapUnordered, and from apply.
    const streamed: number[] = [];
    for await (const v of pool.imap<number>('identity', switching, { chunksize: 20 })) streamed.push(v);
    expect(streamed.map(describe)).toEqual(switching.map(describe));
    const unordered: number[] = [];
    for await (const v of pool.imapUnordered<number>('identity', switching, { chunksize: 20 })) unordered.push(v);
    expect(unordered.length).toBe(switching.length);
    expect(new Set(unordered.map(describe))).toEqual(new Set(switching.map(describe)));
    expect(describe(await pool.apply('identity', [-0]))).toBe('-0');
    // The inputs are read when map is called: changing the array afterwards changes nothing.
    for (const make of [(i: number) => i, (i: number) => `s${i}`]) {
      const input: unknown[] = Array.from({ length: 100 }, (_, i) => make(i));
      const pending = pool.map('identity', input, { chunksize: 10 });
      input.fill(-1);
      expect(await pending).toEqual(Array.from({ length: 100 }, (_, i) => make(i)));
    }
    // A call that answers with a promise in the middle of a chunk of numbers.
    const xs = Array.from({ length: 200 }, (_, i) => i);
    expect(await pool.map('sometimesAsync', xs, { chunksize: 50 })).toEqual(xs.map((x) => x * 2));
    await finish(pool);
  });

  it('numbers travel through a shared arena: big chunks fall back to the socket, imap keeps copies, nothing leaks', async () => {
    const memfds = (pid: number | 'self'): number => readdirSync(`/proc/${pid}/fd`).filter((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('/memfd:');
      } catch {
        return false;
      }
    }).length;
    const before = memfds('self');
    const pool = new Pool({ processes: 2, module: tasks });
    // 200k doubles in one chunk: past a 1 MiB region, so through the socket.
    const big = Array.from({ length: 200_000 }, (_, i) => i + 0.5);
    expect(await pool.map('identity', big, { chunksize: 200_000 })).toEqual(big);
    // A slow imap reader holds finished chunks while later ones reuse the slots.
    const xs = Array.from({ length: 3000 }, (_, i) => i);
    const got: number[] = [];
    for await (const v of pool.imap<number>('square', xs, { chunksize: 100 })) {
      got.push(v);
      if (got.length % 300 === 0) await new Promise((r) => setTimeout(r, 5));
    }
    expect(got).toEqual(xs.map((x) => x * x));
    // The workers mapped the arena and closed its fd; this process keeps no fd of it.
    for (const pid of pool.pids) expect(memfds(pid)).toBe(0);
    expect(memfds('self')).toBe(before);
    await finish(pool);
  });

  it('a worker SIGKILLed in the middle of an arena chunk: that chunk fails, the next map is exact', async () => {
    const file = join(tmp, 'hang-at-pid');
    process.env.OSIPC_TEST_HANG_FILE = file;
    process.env.OSIPC_TEST_HANG_AT = '1234';
    const pool = new Pool({ processes: 2, module: tasks });
    delete process.env.OSIPC_TEST_HANG_FILE;
    delete process.env.OSIPC_TEST_HANG_AT;
    const xs = Array.from({ length: 5000 }, (_, i) => i);
    const doomed = pool.map('hangAt', xs, { chunksize: 500 });
    expect(await until(() => existsSync(file) && readFileSync(file, 'utf8') !== '')).toBe(true);
    process.kill(Number(readFileSync(file, 'utf8')), 'SIGKILL');
    expect((await doomed.catch((e) => e)).code).toBe('ERR_OSIPC_WORKER_DIED');
    // The replacement (and the survivor) reuse arena slots; results stay exact.
    const ys = Array.from({ length: 20_000 }, (_, i) => i * 3 - 7);
    for (let k = 0; k < 3; k++) expect(await pool.map<number>('square', ys, { chunksize: 1000 })).toEqual(ys.map((y) => y * y));
    await finish(pool);
  });

  it('map fails with the first failing chunk and the pool goes on', async () => {
    const pool = new Pool({ processes: 2, module: tasks });
    const err = await pool.starmap('failOn', [[1, 5], [5, 5], [3, 5]], { chunksize: 1 }).catch((e) => e);
    expect(err).toBeInstanceOf(RemoteError);
    expect(err.remoteName).toBe('Error');
    expect(err.message).toContain('bad input 5');
    expect(await pool.map('square', [2])).toEqual([4]);
    await finish(pool);
  });

  it('imap yields in input order; imapUnordered in finishing order', async () => {
    const pool = new Pool({ processes: 2, module: tasks });
    const ordered: number[] = [];
    for await (const v of pool.imap<number>('sleepThen', [400, 50, 10])) ordered.push(v);
    expect(ordered).toEqual([400, 50, 10]);
    const unordered: number[] = [];
    for await (const v of pool.imapUnordered<number>('sleepThen', [400, 50, 10])) unordered.push(v);
    expect([...unordered].sort((a, b) => a - b)).toEqual([10, 50, 400]);
    // The 400 ms task started first, yet the two short ones on the other worker came out first.
    expect(unordered[0]).not.toBe(400);
    const chunked: number[] = [];
    for await (const v of pool.imap<number>('square', Array.from({ length: 50 }, (_, i) => i), { chunksize: 8 })) {
      chunked.push(v);
    }
    expect(chunked).toEqual(Array.from({ length: 50 }, (_, i) => i * i));
    await finish(pool);
  });

  it('imap is lazy: a generator of 1e6 inputs is pulled only as results are read', async () => {
    const pool = new Pool({ processes: 2, module: tasks });
    const chunksize = 1000;
    let pulled = 0;
    let finalized = false;
    function* inputs(): Generator<number> {
      try {
        for (let i = 0; i < 1_000_000; i++) {
          pulled++;
          yield i;
        }
      } finally {
        finalized = true;
      }
    }
    const it = pool.imap<number>('square', inputs(), { chunksize });
    // Nobody reads yet: only a few chunks may be pulled.
    await new Promise((r) => setTimeout(r, 300));
    const bound = (2 * pool.processes + 1) * chunksize;
    expect(pulled).toBeLessThanOrEqual(bound);
    let consumed = 0;
    let maxAhead = 0;
    const heapBefore = process.memoryUsage().heapUsed;
    let heapPeak = 0;
    for await (const v of it) {
      if (v !== consumed * consumed) throw new Error(`got ${v} at ${consumed}`);
      consumed++;
      maxAhead = Math.max(maxAhead, pulled - consumed);
      if (consumed % 100_000 === 0) heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
    }
    expect(consumed).toBe(1_000_000);
    expect(finalized).toBe(true);
    expect(maxAhead).toBeLessThanOrEqual(bound);
    // Flat memory: far less than the ~1e6 results a drained input would hold.
    expect(heapPeak - heapBefore).toBeLessThan(64 * 1024 * 1024);
    await finish(pool);
  }, 120_000);

  it('imap: breaking out stops pulling and closes the generator', async () => {
    const pool = new Pool({ processes: 2, module: tasks });
    let pulled = 0;
    let finalized = false;
    function* inputs(): Generator<number> {
      try {
        for (let i = 0; ; i++) {
          pulled++;
          yield i;
        }
      } finally {
        finalized = true;
      }
    }
    const got: number[] = [];
    for await (const v of pool.imap<number>('square', inputs())) {
      got.push(v);
      if (got.length === 5) break;
    }
    expect(got).toEqual([0, 1, 4, 9, 16]);
    expect(finalized).toBe(true);
    const after = pulled;
    await new Promise((r) => setTimeout(r, 100));
    expect(pulled).toBe(after);
    expect(await pool.apply('square', [3])).toBe(9);
    await finish(pool);
  });

  it('imap: an error in a task or in the input iterator surfaces at its place', async () => {
    const pool = new Pool({ processes: 2, module: tasks });
    const got: number[] = [];
    const err = await (async () => {
      for await (const v of pool.imap<number>('square', [1, 2, 'x', 4].map((x) => (x === 'x' ? Symbol('s') : x)))) {
        got.push(v);
      }
    })().catch((e) => e);
    // A Symbol cannot travel to the worker: that input fails, in order.
    expect(got).toEqual([1, 4]);
    expect(err).toBeInstanceOf(Error);
    function* broken(): Generator<number> {
      yield 1;
      throw new SyntaxError('input broke');
    }
    const got2: number[] = [];
    const err2 = await (async () => {
      for await (const v of pool.imap<number>('square', broken())) got2.push(v);
    })().catch((e) => e);
    expect(got2).toEqual([1]);
    expect(err2).toBeInstanceOf(SyntaxError);
    await finish(pool);
  });

  it('an error thrown in a task comes back as a RemoteError with the worker stack', async () => {
    const pool = new Pool({ processes: 1, module: tasks });
    const err = await pool.apply('boom', ['bad thing']).catch((e) => e);
    expect(err).toBeInstanceOf(RemoteError);
    expect(err.code).toBe('ERR_OSIPC_REMOTE');
    expect(err.remoteName).toBe('RangeError');
    expect(err.remoteStack).toContain('pool-tasks.js');
    expect(err.stack).toContain('--- in the other process ---');
    // The worker survives its task's error.
    expect(await pool.apply('square', [4])).toBe(16);
    await finish(pool);
  });

  it('a worker SIGKILLed mid-task fails that task and is replaced', async () => {
    const pool = new Pool({ processes: 2, module: tasks });
    const file = join(tmp, 'hang-pid');
    const doomed = pool.apply('hangTelling', [file]);
    expect(await until(() => existsSync(file) && readFileSync(file, 'utf8') !== '')).toBe(true);
    const pid = Number(readFileSync(file, 'utf8'));
    process.kill(pid, 'SIGKILL');
    const err = await doomed.catch((e) => e);
    expect(err).toBeInstanceOf(OsipcError);
    expect(err.code).toBe('ERR_OSIPC_WORKER_DIED');
    expect(err.message).toContain('SIGKILL');
    expect(await until(() => pool.pids.length === 2)).toBe(true);
    expect(pool.pids).not.toContain(pid);
    expect(await pool.map('square', [1, 2, 3, 4], { chunksize: 1 })).toEqual([1, 4, 9, 16]);
    await finish(pool);
  });

  it('a worker that exits mid-task fails that task; the pool goes on', async () => {
    const pool = new Pool({ processes: 1, module: tasks });
    const err = await pool.apply('die', [3]).catch((e) => e);
    expect(err.code).toBe('ERR_OSIPC_WORKER_DIED');
    expect(err.message).toContain('exit code 3');
    expect(await pool.apply('square', [5])).toBe(25);
    await finish(pool);
  });

  it('terminate() kills the workers and fails the pending tasks', async () => {
    const pool = new Pool({ processes: 1, module: tasks });
    const first = pool.apply('hang');
    const queued = [pool.apply('square', [1]), pool.apply('square', [2])];
    const mapped = pool.map('square', [1, 2, 3]);
    const pids = pool.pids;
    await new Promise((r) => setTimeout(r, 200));
    pool.terminate();
    const settled = await Promise.allSettled([first, ...queued, mapped]);
    for (const s of settled) {
      expect(s.status).toBe('rejected');
      expect((s as PromiseRejectedResult).reason).toMatchObject({ code: 'ERR_OSIPC_POOL_TERMINATED' });
    }
    expect(await pool.join({ timeout: 20_000 })).toBe(true);
    for (const pid of pids) expect(alive(pid)).toBe(false);
    await expect(pool.apply('square', [1])).rejects.toMatchObject({ code: 'ERR_OSIPC_CLOSED' });
    pool.terminate();   // again: nothing
  });

  it('close() lets submitted tasks finish; Symbol.asyncDispose terminates', async () => {
    const pool = new Pool({ processes: 2, module: tasks });
    const r = pool.map('slowSquare', [1, 2, 3, 4], { chunksize: 1 });
    pool.close();
    expect(await r).toEqual([1, 4, 9, 16]);
    expect(await pool.join({ timeout: 20_000 })).toBe(true);

    const p2 = new Pool({ processes: 1, module: tasks });
    const pids = p2.pids;
    const pending = p2.apply('hang').catch((e) => e);
    await p2[Symbol.asyncDispose]();
    expect(await pending).toMatchObject({ code: 'ERR_OSIPC_POOL_TERMINATED' });
    for (const pid of pids) expect(alive(pid)).toBe(false);
  });

  it('maxTasksPerChild recycles workers (their pids change)', async () => {
    const pool = new Pool({ processes: 1, module: tasks, maxTasksPerChild: 2 });
    const pids: number[] = [];
    for (let i = 0; i < 6; i++) pids.push(await pool.apply<number>('pid'));
    expect(new Set(pids).size).toBe(3);
    expect(pids[0]).toBe(pids[1]);
    expect(pids[2]).toBe(pids[3]);
    expect(pids[1]).not.toBe(pids[2]);
    expect(await pool.map('square', [1, 2, 3, 4, 5], { chunksize: 1 })).toEqual([1, 4, 9, 16, 25]);
    await finish(pool);
  });

  it('initializer runs once in each worker with initargs', async () => {
    const pool = new Pool({ processes: 2, module: tasks, initializer: 'init', initargs: ['hello'] });
    expect(await pool.map('whoInit', [0, 1, 2, 3], { chunksize: 1 })).toEqual(['hello', 'hello', 'hello', 'hello']);
    await finish(pool);
  });

  it('a failing initializer fails the tasks instead of respawning forever', async () => {
    const pool = new Pool({ processes: 2, module: tasks, initializer: 'noSuchInit' });
    const err = await pool.apply('square', [2]).catch((e) => e);
    expect(err).toBeInstanceOf(RemoteError);
    expect(err.code).toBe('ERR_OSIPC_NO_EXPORT');
    await expect(pool.apply('square', [2])).rejects.toMatchObject({ code: 'ERR_OSIPC_NO_EXPORT' });
    pool.terminate();
    expect(await pool.join({ timeout: 20_000 })).toBe(true);
  });

  it('bad inputs are clear errors', async () => {
    expect(() => new Pool(undefined as never)).toThrow(TypeError);
    expect(() => new Pool({ module: tasks, processes: 0 })).toThrow(RangeError);
    expect(() => new Pool({ module: tasks, maxTasksPerChild: 0 })).toThrow(RangeError);
    expect(() => new Pool({ module: tasks, initargs: 'x' as never })).toThrow(TypeError);
    const pool = new Pool({ processes: 1, module: tasks });
    // Unknown task function: the worker says so, and stays.
    await expect(pool.apply('noSuchFunction')).rejects.toMatchObject({ code: 'ERR_OSIPC_NO_EXPORT' });
    await expect(pool.apply('notAFunction')).rejects.toMatchObject({ code: 'ERR_OSIPC_NOT_A_FUNCTION' });
    await expect(pool.map('noSuchFunction', [1])).rejects.toMatchObject({ code: 'ERR_OSIPC_NO_EXPORT' });
    // Non-iterables.
    await expect(pool.map('square', 5 as never)).rejects.toBeInstanceOf(TypeError);
    await expect(pool.map('square', null as never)).rejects.toBeInstanceOf(TypeError);
    expect(() => pool.imap('square', {} as never)).toThrow(TypeError);
    await expect(pool.starmap('add', [1, 2] as never)).rejects.toBeInstanceOf(TypeError);
    // chunksize <= 0.
    await expect(pool.map('square', [1], { chunksize: 0 })).rejects.toBeInstanceOf(RangeError);
    await expect(pool.map('square', [1], { chunksize: -3 })).rejects.toBeInstanceOf(RangeError);
    expect(() => pool.imap('square', [1], { chunksize: 0 })).toThrow(RangeError);
    expect(() => pool.applyAsync('square', [1], { callback: 5 as never })).toThrow(TypeError);
    await expect(pool.apply(7 as never)).rejects.toBeInstanceOf(TypeError);
    await expect(pool.apply('square', 7 as never)).rejects.toBeInstanceOf(TypeError);
    // Values that cannot travel, either way.
    await expect(pool.apply('square', [() => 1])).rejects.toThrow();
    await expect(pool.apply('unsendable')).rejects.toBeInstanceOf(RemoteError);
    // join before close.
    await expect(pool.join()).rejects.toMatchObject({ code: 'ERR_OSIPC_POOL_RUNNING' });
    expect(await pool.apply('square', [6])).toBe(36);
    await finish(pool);
    // Use after close.
    await expect(pool.apply('square', [1])).rejects.toMatchObject({ code: 'ERR_OSIPC_CLOSED' });
    expect(() => pool.applyAsync('square', [1])).toThrow(expect.objectContaining({ code: 'ERR_OSIPC_CLOSED' }));
    expect(() => pool.imap('square', [1])).toThrow(expect.objectContaining({ code: 'ERR_OSIPC_CLOSED' }));
  });

  it('in a plain script: the pool holds the loop while work is pending, not when idle', async () => {
    // Recycling between awaited tasks, then an idle pool never closed: the script must finish
    // by itself (exit 0), and its workers must follow it.
    const code = `
      import { Pool } from 'osipc';
      const pool = new Pool({ processes: 1, module: process.argv[2], maxTasksPerChild: 1 });
      const a = await pool.apply('pid');
      const b = await pool.apply('pid');
      const c = await pool.map('square', [1, 2, 3], { chunksize: 1 });
      console.log(JSON.stringify({ recycled: a !== b, c, pids: pool.pids }));
    `;
    const r = await runNode(code, [tasks.href], 30_000);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(out.recycled).toBe(true);
    expect(out.c).toEqual([1, 4, 9]);
    for (const pid of out.pids as number[]) expect(await until(() => !alive(pid))).toBe(true);
  });

  it('a callback that throws is an uncaught exception; the pool goes on', async () => {
    const code = `
      import { Pool } from 'osipc';
      const caught = [];
      process.on('uncaughtException', (err) => caught.push(err.message));
      const pool = new Pool({ processes: 1, module: process.argv[2] });
      const r = pool.applyAsync('square', [3], { callback: () => { throw new Error('callback bug'); } });
      console.log(await r.get());
      console.log(await pool.apply('square', [4]));
      console.log(JSON.stringify(await pool.map('square', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17], { chunksize: 17 })));
      await new Promise((r) => setImmediate(r));
      console.log(caught.join());
      pool.close();
      await pool.join();
    `;
    const r = await runNode(code, [tasks.href], 30_000);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(['9', '16', JSON.stringify(Array.from({ length: 17 }, (_, i) => (i + 1) ** 2)), 'callback bug']);
  });

  it('osipc objects that travel by name go to a task and come back', async () => {
    const pool = new Pool({ processes: 1, module: tasks });
    const shm = SharedMemory.create({ name: testName('pool'), size: 16 });
    try {
      const out = await pool.apply<{ shm: SharedMemory; note: string }>('touchShared', [shm.name]);
      expect(out.note).toBe('written');
      expect(out.shm).toBeInstanceOf(SharedMemory);
      expect(out.shm.name).toBe(shm.name);
      expect(new Uint8Array(shm.buffer)[0]).toBe(42);
      expect(new Uint8Array(out.shm.buffer)[0]).toBe(42);
      out.shm.close();
    } finally {
      shm.close();
    }
    await finish(pool);
  });

  it('a task sent ahead to a worker that dies before starting it runs on the replacement', async () => {
    const pool = new Pool({ processes: 1, module: tasks });
    const file = join(tmp, 'hang-pid-2');
    const doomed = pool.apply('hangTelling', [file]).catch((e) => e);
    const next = pool.apply('square', [3]);
    expect(await until(() => existsSync(file) && readFileSync(file, 'utf8') !== '')).toBe(true);
    process.kill(Number(readFileSync(file, 'utf8')), 'SIGKILL');
    expect((await doomed).code).toBe('ERR_OSIPC_WORKER_DIED');
    expect(await next).toBe(9);
    await finish(pool);
  });

  it('workers that keep dying before they start fail the tasks (no endless respawn)', async () => {
    // The workers inherit an environment that makes node itself fail at startup.
    const code = `
      import { Pool } from 'osipc';
      process.env.NODE_OPTIONS = '--require /nonexistent/osipc-preload.cjs';
      const pool = new Pool({ processes: 2, module: process.argv[2] });
      const err = await pool.apply('square', [2]).catch((e) => e);
      const again = await pool.apply('square', [2]).catch((e) => e);
      pool.terminate();
      await pool.join();
      console.log(JSON.stringify({ code: err.code, again: again.code }));
    `;
    const r = await runNode(code, [tasks.href], 30_000);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(out).toEqual({ code: 'ERR_OSIPC_WORKER_START', again: 'ERR_OSIPC_WORKER_START' });
  });
});
