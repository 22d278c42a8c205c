// Queue between real processes: order, many producers and consumers, bounds,
// timeouts, the three call forms, large values, peer death, hostile memory.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import { afterEach, describe, expect, it } from 'vitest';
import { JoinableQueue, Queue, QueueEmpty, QueueFull, SharedMemory, SimpleQueue, kTransfer } from 'osipc';
// Internal: to see that a dead process really held a queue lock, and to pack
// handles as Process does.
import { SharedMutex } from '../dist/sync/mutex.js';
import { packHandles } from '../dist/transfer.js';
import { collect, packageRoot, runNode, spawnNode, testName, waitForLine } from './helpers/child.js';
import { holeBomb } from './helpers/v8-bombs.js';

const PRODUCER_LOCK = 128, CONSUMER_LOCK = 384;
function lockHeld(name: string, offset: number): boolean {
  const shm = SharedMemory.open(name);
  try {
    return new SharedMutex(shm.buffer, offset).locked;
  } finally {
    shm.close();
  }
}

const fixture = (f: string): string => fileURLToPath(new URL(`./fixtures/${f}`, import.meta.url));
function runFixture(file: string, args: (string | number)[]): ChildProcess {
  return spawn(process.execPath, [fixture(file), ...args.map(String)], { cwd: packageRoot, stdio: ['ignore', 'pipe', 'pipe'] });
}

const made: { close(): void }[] = [];
function track<T extends { close(): void }>(q: T): T {
  made.push(q);
  return q;
}
afterEach(() => {
  for (const q of made.splice(0)) q.close();
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const shmPath = (name: string): string => `/dev/shm${name}`;

describe('Queue in one process', () => {
  it('keeps FIFO order and an exact qsize', async () => {
    const q = track(new Queue<number>({ spin: 0 }));
    expect(q.empty()).toBe(true);
    expect(q.full()).toBe(false);
    for (let i = 0; i < 1000; i++) await q.put(i);
    expect(q.qsize()).toBe(1000);
    for (let i = 0; i < 400; i++) expect(await q.get()).toBe(i);
    expect(q.qsize()).toBe(600);
    for (let i = 400; i < 1000; i++) expect(q.getNowait()).toBe(i);
    expect(q.qsize()).toBe(0);
    expect(q.empty()).toBe(true);
  });

  it('carries values as structured clone does (auto codec)', async () => {
    const shared = { x: 1 };
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const sparse = [1, , 3]; // eslint-disable-line no-sparse-arrays
    const many: Record<string, number> = {};
    for (let i = 0; i < 70_000; i++) many[`k${i}`] = i;
    const values: unknown[] = [
      0, -0, 1, -1, 127, 128, 255, 256, -32, -33, -128, -129, 65535, 65536, 2 ** 31 - 1, -(2 ** 31), 2 ** 31,
      2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, -(2 ** 53), 1.5, NaN, Infinity, -Infinity, Number.MIN_VALUE,
      true, false, null, undefined, '', 'hello', 'é', '日本語 ✓ 🎉', 'a\ud800b', 'x'.repeat(40), 'y'.repeat(70_000),
      [], [1, 'two', [3, [4]]], sparse, {}, { i: 1, s: 'hello' }, { nested: { deep: { er: [null, undefined] } } },
      many, Object.assign(Object.create(null), { n: 1 }), JSON.parse('{"__proto__": {"polluted": 1}}'),
      Buffer.from('buffer'), new Uint8Array([1, 2, 3]), new Int8Array([-1]), new Uint8ClampedArray([300]),
      new Int16Array([-2]), new Uint16Array([2]), new Int32Array([-3]), new Uint32Array([3]), new Float32Array([1.5]),
      new Float64Array([Math.PI]), new BigInt64Array([-5n]), new BigUint64Array([5n]), Buffer.from('hello world').subarray(3, 8),
      new Date(1234), new Map([[1, { a: 1 }]]), new Set(['s']), /re/gi, 10n ** 30n, new Error('boom'),
      { a: shared, b: shared }, cyclic, new DataView(new ArrayBuffer(4)), new ArrayBuffer(3),
      { when: new Date(5), data: Buffer.alloc(3, 1) }, [new Map(), 1],
    ];
    const q = track(new Queue({ capacity: 1 << 20 }));
    for (const v of values) {
      await q.put(v);
      const got = await q.get();
      const want = v8.deserialize(v8.serialize(v));
      expect(got).toStrictEqual(want);
      if (typeof v === 'object' && v !== null) expect(Object.getPrototypeOf(got)).toBe(Object.getPrototypeOf(want));
    }
    // Identity within a value survives.
    await q.put({ a: shared, b: shared });
    const s = (await q.get()) as { a: object; b: object };
    expect(s.a).toBe(s.b);
    await q.put(cyclic);
    const c = (await q.get()) as Record<string, unknown>;
    expect(c.self).toBe(c);
    // "__proto__" arrives as an own property, not a prototype.
    await q.put(JSON.parse('{"__proto__": {"polluted": 1}}'));
    const p = (await q.get()) as Record<string, unknown>;
    expect(Object.getPrototypeOf(p)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('offers the v8, msgpack, json and raw codecs', async () => {
    const v8q = track(new Queue({ codec: 'v8' }));
    await v8q.put({ d: new Date(3), m: new Map([[1, 2]]) });
    expect(await v8q.get()).toStrictEqual({ d: new Date(3), m: new Map([[1, 2]]) });
    expect(v8q.codec).toBe('v8');

    const mp = track(new Queue({ codec: 'msgpack' }));
    await mp.put({ a: [1, 2.5, 'x', null, true], b: Buffer.from('z') });
    expect(await mp.get()).toStrictEqual({ a: [1, 2.5, 'x', null, true], b: Buffer.from('z') });
    await expect(mp.put(new Date())).rejects.toMatchObject({ name: 'DataCloneError' });
    await expect(mp.put(5n)).rejects.toMatchObject({ name: 'DataCloneError' });

    const js = track(new Queue({ codec: 'json' }));
    await js.put({ d: new Date(0), u: undefined, n: 1 });
    expect(await js.get()).toStrictEqual({ d: '1970-01-01T00:00:00.000Z', n: 1 });
    await expect(js.put(undefined)).rejects.toMatchObject({ name: 'DataCloneError' });
    await expect(js.put(1n)).rejects.toThrow(TypeError);

    const raw = track(new Queue({ codec: 'raw' }));
    await raw.put(Buffer.from('abc'));
    await raw.put(new Uint16Array([1]));
    await raw.put(new ArrayBuffer(2));
    expect(await raw.get()).toStrictEqual(Buffer.from('abc'));
    expect(await raw.get()).toStrictEqual(Buffer.from([1, 0]));
    expect(await raw.get()).toStrictEqual(Buffer.alloc(2));
    await expect(raw.put('text' as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
  });

  it('putMany and getMany move batches in order', async () => {
    const q = track(new Queue<unknown>({ maxsize: 50 }));
    const values = Array.from({ length: 200 }, (_, i) => (i % 50 === 7 ? new Date(i) : { i }));
    const getting = (async () => {
      const got: unknown[] = [];
      while (got.length < 200) got.push(...(await q.getMany(64)));
      return got;
    })();
    await q.putMany(values);
    expect(await getting).toStrictEqual(values);
    await q.putMany([1, 2, 3]);
    expect(await q.getMany(2)).toEqual([1, 2]);
    expect(await q.getMany(10)).toEqual([3]);
    await expect(q.getMany(5, { timeout: 20 })).rejects.toBeInstanceOf(QueueEmpty);
    await expect(q.getMany(0)).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await expect(q.putMany('x' as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    // A timeout part way: the error says how many went in.
    const err = await q.putMany(Array.from({ length: 60 }, (_, i) => i), { timeout: 30 }).catch((e) => e);
    expect(err).toBeInstanceOf(QueueFull);
    expect(err.count).toBe(50);
    expect(q.qsize()).toBe(50);
  });

  it('refuses what the serializer refuses, and leaves the queue as it was', async () => {
    const q = track(new Queue());
    await expect(q.put(() => 1)).rejects.toMatchObject({ name: 'DataCloneError' });
    await expect(q.put({ f: Symbol('s') })).rejects.toMatchObject({ name: 'DataCloneError' });
    expect(() => q.putNowait({ a: [() => 1] })).toThrow(expect.objectContaining({ name: 'DataCloneError' }));
    expect(() => q.putSync(Symbol('x'))).toThrow(expect.objectContaining({ name: 'DataCloneError' }));
    expect(q.qsize()).toBe(0);
    await q.put('still works');
    expect(await q.get()).toBe('still works');
  });

  it('checks its arguments', () => {
    expect(() => new Queue({ maxsize: -1 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => new Queue({ maxsize: 1.5 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => new Queue({ maxsize: '3' as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => new Queue({ capacity: 100 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => new Queue({ capacity: 2 ** 40 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => new Queue({ codec: 'yaml' as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => new Queue({ maxMessageSize: 0 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => new Queue({ name: 'no-slash' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => new Queue(5 as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => new SimpleQueue({ maxsize: 3 } as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => new Queue({ spin: -1 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => Queue.open('/osipc-x', { spin: 1.5 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    const q = track(new Queue({ capacity: 5000 }));
    expect(q.capacity).toBe(8192);
    expect(() => q.getSync({ timeout: -1 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    return expect(q.get({ signal: 'x' as never })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
  });

  it('names errors for missing and foreign memory', () => {
    expect(() => Queue.open(testName('-none'))).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect(() => Queue.open('bad')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    const shm = track(SharedMemory.create({ name: testName('-plain'), size: 64 * 1024 }));
    expect(() => Queue.open(shm.name)).toThrow(expect.objectContaining({ code: 'ERR_OSIPC_NOT_A_QUEUE' }));
    const jq = track(new JoinableQueue());
    expect(Queue.open(jq.name).close()).toBeUndefined();
    expect(() => SimpleQueue.open(jq.name)).toThrow(expect.objectContaining({ code: 'ERR_OSIPC_NOT_A_QUEUE' }));
    const q = track(new Queue());
    expect(() => JoinableQueue.open(q.name)).toThrow(expect.objectContaining({ code: 'ERR_OSIPC_NOT_A_QUEUE' }));
  });

  it('throws QueueEmpty and QueueFull from the Nowait forms and after timeouts', async () => {
    const q = track(new Queue<number>({ maxsize: 2 }));
    expect(() => q.getNowait()).toThrow(QueueEmpty);
    await expect(q.get({ timeout: 0 })).rejects.toBeInstanceOf(QueueEmpty);
    await expect(q.get({ timeout: 30 })).rejects.toMatchObject({ code: 'ERR_OSIPC_QUEUE_EMPTY' });
    expect(() => q.getSync({ timeout: 30 })).toThrow(QueueEmpty);
    q.putNowait(1);
    await q.put(2);
    expect(q.full()).toBe(true);
    expect(() => q.putNowait(3)).toThrow(QueueFull);
    await expect(q.put(3, { timeout: 0 })).rejects.toBeInstanceOf(QueueFull);
    await expect(q.put(3, { timeout: 30 })).rejects.toMatchObject({ code: 'ERR_OSIPC_QUEUE_FULL' });
    expect(() => q.putSync(3, { timeout: 30 })).toThrow(QueueFull);
    expect(q.qsize()).toBe(2);
    expect(q.getSync()).toBe(1);
    expect(q.getNowait()).toBe(2);
  });

  it('a put waiting on a full queue goes in when room appears; get waits for a put', async () => {
    const q = track(new Queue<number>({ maxsize: 1 }));
    await q.put(1);
    let done = false;
    const pending = q.put(2).then(() => { done = true; });
    await sleep(30);
    expect(done).toBe(false);
    expect(await q.get()).toBe(1);
    await pending;
    expect(q.qsize()).toBe(1);
    expect(await q.get()).toBe(2);
    const waiting = q.get();
    await sleep(20);
    await q.put(3);
    expect(await waiting).toBe(3);
  });

  it('serves pending gets and puts of one process in order', async () => {
    const q = track(new Queue<number>({ maxsize: 2 }));
    const gets = [q.get(), q.get(), q.get()];
    const puts = [1, 2, 3, 4, 5].map((i) => q.put(i));
    expect(await Promise.all(gets)).toEqual([1, 2, 3]);
    await Promise.all(puts);
    expect([await q.get(), await q.get()]).toEqual([4, 5]);
  });

  it('is cancelled by an AbortSignal, and an aborted put leaves nothing behind', async () => {
    const q = track(new Queue<number>({ maxsize: 1 }));
    const ac = new AbortController();
    const g = q.get({ signal: ac.signal });
    setTimeout(() => ac.abort(), 20);
    await expect(g).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' });
    await expect(q.get({ signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
    await q.put(1);
    const ac2 = new AbortController();
    const p = q.put(2, { signal: ac2.signal });
    setTimeout(() => ac2.abort(), 20);
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    expect(q.qsize()).toBe(1);
    expect(await q.get()).toBe(1);
    await expect(q.get({ timeout: 20 })).rejects.toBeInstanceOf(QueueEmpty);
  });

  it('streams values larger than the ring (16 MiB through 64 KiB)', async () => {
    const q = track(new Queue({ capacity: 64 * 1024 }));
    const big = Buffer.alloc(16 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4096) big[i] = (i / 4096) & 0xff;
    const receiving = q.get();
    await q.put(big);
    const got = (await receiving) as Buffer;
    expect(Buffer.isBuffer(got)).toBe(true);
    expect(got.equals(big)).toBe(true);
    const obj = { text: 'é'.repeat(3_000_000), f: new Float64Array(300_000).fill(0.5), when: new Date(7) };
    const r2 = q.get();
    await q.put(obj);
    expect(await r2).toStrictEqual(obj);
    expect(q.qsize()).toBe(0);
  });

  // Regression: a large Buffer (its bytes borrowed, not copied) put while the
  // queue was full lost its progress when copied for the wait, and was written
  // as NaN-sized chunks (a zero-length first record, then a tail past the ring).
  it('a large Buffer put that has to wait first arrives whole', async () => {
    const q = track(new Queue({ maxsize: 1, capacity: 64 * 1024 }));
    await q.put('first');
    const big = Buffer.alloc(200_000);
    for (let i = 0; i < big.length; i++) big[i] = i % 251;
    const putting = q.put(big); // full by count: waits with its own copy
    big.fill(0); // the caller may reuse its buffer once put() returned
    expect(q.getSync({ timeout: 1000 })).toBe('first');
    const got = (await q.get({ timeout: 5000 })) as Buffer;
    await putting;
    expect(got.length).toBe(200_000);
    expect(got.every((b, i) => b === i % 251)).toBe(true);
    expect(q.qsize()).toBe(0);
  });

  it('a getSync that runs out of time mid-message leaves the rest to the next getSync', async () => {
    const q = track(new Queue({ capacity: 64 * 1024 }));
    const big = Buffer.alloc(1_000_000, 7);
    const putting = q.put(big); // streams through the ring in chunks as it drains
    await sleep(10);
    let got: unknown;
    for (let i = 0; i < 1000 && got === undefined; i++) {
      try {
        got = q.getSync({ timeout: 0.05 });
      } catch (err) {
        expect(err).toBeInstanceOf(QueueEmpty);
        await sleep(1); // lets the producer write its next chunk
      }
    }
    await putting;
    expect(Buffer.isBuffer(got) && (got as Buffer).equals(big)).toBe(true);
  });

  it('enforces maxMessageSize', async () => {
    const q = track(new Queue({ maxMessageSize: 1000 }));
    await expect(q.put(Buffer.alloc(2000))).rejects.toMatchObject({ code: 'ERR_OSIPC_MESSAGE_TOO_LARGE' });
    expect(() => q.putNowait('x'.repeat(2000))).toThrow(expect.objectContaining({ code: 'ERR_OSIPC_MESSAGE_TOO_LARGE' }));
    await q.put(Buffer.alloc(500));
    expect(((await q.get()) as Buffer).length).toBe(500);
  });

  it('rejects pending calls at close, then ClosedError; the creator unlinks', async () => {
    const q = new Queue({ maxsize: 1 });
    const name = q.name;
    expect(existsSync(shmPath(name))).toBe(true);
    const g = q.get();
    q.close();
    await expect(g).rejects.toMatchObject({ code: 'ERR_OSIPC_CLOSED' });
    expect(() => q.qsize()).toThrow(expect.objectContaining({ code: 'ERR_OSIPC_CLOSED' }));
    await expect(q.put(1)).rejects.toMatchObject({ code: 'ERR_OSIPC_CLOSED' });
    expect(() => q.getNowait()).toThrow(expect.objectContaining({ code: 'ERR_OSIPC_CLOSED' }));
    q.close();
    expect(existsSync(shmPath(name))).toBe(false);
    {
      using u = new Queue();
      expect(u.closed).toBe(false);
    }
  });

  it('closing while waiting for a lock or mid-message gives the locks back', async () => {
    const q = track(new Queue({ capacity: 64 * 1024 }));
    const big = q.put(Buffer.alloc(1 << 20, 5)); // holds the producer lock while it streams
    const other = Queue.open(q.name);
    const waiting = other.put('x');
    await sleep(20);
    other.close();
    await expect(waiting).rejects.toMatchObject({ code: 'ERR_OSIPC_CLOSED' });
    const reader = Queue.open(q.name);
    expect(((await reader.get()) as Buffer).length).toBe(1 << 20);
    await big;
    expect(reader.qsize()).toBe(0);
    // A reader closed halfway through a large message frees the consumer lock;
    // the next reader skips the rest of that message.
    const half = q.put(Buffer.alloc(1 << 20, 6));
    // Takes the first chunks; the rest would arrive in the background.
    expect(() => reader.getNowait()).toThrow(QueueEmpty);
    expect(lockHeld(q.name, CONSUMER_LOCK)).toBe(true);
    reader.close();
    expect(lockHeld(q.name, CONSUMER_LOCK)).toBe(false);
    const next = Queue.open(q.name);
    const after = next.get();
    await half;
    await q.put('after');
    expect(await after).toBe('after');
    next.close();
    expect(lockHeld(q.name, PRODUCER_LOCK)).toBe(false);
  });

  it('travels by name: another process rebuilds a working queue from its handle', async () => {
    const q = track(new JoinableQueue<string>());
    expect(q[kTransfer]()).toEqual({ kind: 'JoinableQueue', data: { name: q.name } });
    const s = track(new SimpleQueue<string>());
    expect(s[kTransfer]()).toEqual({ kind: 'SimpleQueue', data: { name: s.name } });
    const plain = track(new Queue<string>());
    // What Process does with its args: pack here, v8-serialize, unpack there.
    const packed = v8.serialize(packHandles({ queues: [q, s, plain] }).value).toString('base64');
    const r = await runNode(`
      import v8 from 'node:v8';
      import { JoinableQueue, Queue, SimpleQueue } from 'osipc';
      import { unpackHandles } from './dist/transfer.js';
      const { queues: [j, s, p] } = unpackHandles(v8.deserialize(Buffer.from(process.argv[2], 'base64')), []);
      console.log(j instanceof JoinableQueue, s instanceof SimpleQueue, p instanceof Queue && !(p instanceof JoinableQueue));
      await j.put('j'); await s.put('s'); await p.put('p');`, [packed]);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('true true true');
    expect([await q.get(), await s.get(), await plain.get()]).toEqual(['j', 's', 'p']);
    expect(q.unfinishedTasks()).toBe(1);
    q.close();
    expect(() => q[kTransfer]()).toThrow(expect.objectContaining({ code: 'ERR_OSIPC_CLOSED' }));
  });
});

describe('Queue between processes', () => {
  it('a child opens it by name; creator exit removes it, opener exit does not', async () => {
    const q = track(new Queue<string>());
    const r = await runNode(`
      import { Queue } from 'osipc';
      const q = Queue.open(process.argv[2]);
      await q.put('from child ' + q.qsize());
      q.putSync('sync');
      q.close();`, [q.name]);
    expect(r.stderr).toBe('');
    expect(await q.get()).toBe('from child 0');
    expect(q.getSync()).toBe('sync');
    expect(existsSync(shmPath(q.name))).toBe(true);
    const made = await runNode(`
      import { Queue } from 'osipc';
      const q = new Queue();
      await q.put(1);
      console.log(q.name);`);
    expect(existsSync(shmPath(made.stdout.trim()))).toBe(false);
  });

  it('FIFO per producer, nothing lost or duplicated: 4 producers x 4 consumers x 100k', async () => {
    const P = 4, C = 4, N = 100_000;
    const q = track(new Queue<number | null>({ name: testName('-4x4') }));
    const consumers = Array.from({ length: C }, (_, i) => runFixture('queue-consumer.js', [q.name, i % 2 ? 'sync' : 'async', P, N]));
    await Promise.all(consumers.map((c) => waitForLine(c, /ready/)));
    const results = consumers.map((c) => collect(c, 120_000));
    const producers = Array.from({ length: P }, (_, i) => collect(runFixture('queue-producer.js', [q.name, i, N, i % 2 ? 'sync' : 'async']), 120_000));
    for (const p of await Promise.all(producers)) {
      expect(p.stderr).toBe('');
      expect(p.code).toBe(0);
    }
    for (let i = 0; i < C; i++) await q.put(null);
    const counts = new Uint16Array(P * N);
    let total = 0;
    for (const r of await Promise.all(results)) {
      expect(r.stderr).toBe('');
      const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
      expect(out.disorder).toBe(0);
      expect(out.bad).toBe(0);
      total += out.count;
      const seen = Buffer.from(out.seen, 'base64');
      for (let i = 0; i < seen.length; i++) counts[i]! += seen[i]!;
    }
    expect(total).toBe(P * N);
    expect(counts.every((c) => c === 1)).toBe(true);
    expect(q.qsize()).toBe(0);
  });

  it('qsize is exact across processes; a maxsize put blocks until a child gets', async () => {
    const q = track(new Queue<number>({ maxsize: 3 }));
    for (let i = 0; i < 3; i++) await q.put(i);
    const child = spawnNode(`
      import { Queue } from 'osipc';
      const q = Queue.open(process.argv[2]);
      console.log('size', q.qsize(), q.full());
      await new Promise((r) => setTimeout(r, 100));
      console.log('got', await q.get());
      q.close();`, [q.name]);
    const line = await waitForLine(child, /size/);
    const done = collect(child); // from now on, keep what it prints
    expect(line).toBe('size 3 true');
    await q.put(3); // waits until the child has taken one
    const r = await done;
    expect(r.stdout).toContain('got 0');
    expect(q.qsize()).toBe(3);
  });

  it('a consumer SIGKILLed while blocked in get leaves the queue working', async () => {
    const q = track(new Queue<number>());
    const victims = [0, 1].map((i) => spawnNode(`
      import { Queue } from 'osipc';
      const q = Queue.open(process.argv[2]);
      console.log('waiting');
      const v = ${i === 0 ? 'await q.get()' : 'q.getSync()'};
      console.log('got', v);`, [q.name]));
    await Promise.all(victims.map((v) => waitForLine(v, /waiting/)));
    await sleep(100);
    for (const v of victims) v.kill('SIGKILL');
    await Promise.all(victims.map((v) => collect(v)));
    for (let i = 0; i < 3; i++) await q.put(i);
    const r = await runNode(`
      import { Queue } from 'osipc';
      const q = Queue.open(process.argv[2]);
      const got = [await q.get({ timeout: 10000 }), q.getSync({ timeout: 10000 }), await q.get({ timeout: 10000 })];
      console.log(JSON.stringify(got));`, [q.name]);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual([0, 1, 2]);
  });

  it('a consumer SIGKILLed mid-message loses at most that message; the next consumer goes on', async () => {
    const q = track(new Queue({ capacity: 64 * 1024 }));
    await q.put('before');
    const victim = spawnNode(`
      import { Queue } from 'osipc';
      const q = Queue.open(process.argv[2]);
      console.log('got', await q.get());
      console.log('waiting');
      console.log('got', (await q.get()).length);`, [q.name]);
    await waitForLine(victim, /waiting/);
    await sleep(50);
    // The first chunks go in now; the rest waits for room while this process
    // holds its event loop, so the victim is caught between chunks.
    const big = q.put(Buffer.alloc(4 * 1024 * 1024, 1));
    const stop = Date.now() + 300;
    while (Date.now() < stop) { /* the victim drains the ring and waits for more */ }
    victim.kill('SIGKILL');
    await collect(victim);
    expect(lockHeld(q.name, CONSUMER_LOCK)).toBe(true); // it died holding part of the message
    // The next consumer takes the lock over, skips the rest of that message
    // (as it streams in) and gets the next one.
    const next = runNode(`
      import { Queue } from 'osipc';
      const q = Queue.open(process.argv[2]);
      const v = await q.get({ timeout: 20000 });
      console.log(JSON.stringify(typeof v === 'string' ? v : 'bytes ' + v.length));
      console.log('size', q.qsize());`, [q.name], 30_000);
    await q.put('after');
    await big;
    const r = await next;
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('"after"');
    expect(r.stdout).toContain('size 0');
  });

  it('a producer SIGKILLed mid-message: consumers drop the partial message and go on', async () => {
    const q = track(new Queue({ capacity: 64 * 1024 }));
    const victim = spawnNode(`
      import { Queue } from 'osipc';
      const q = Queue.open(process.argv[2]);
      const p = q.put(Buffer.alloc(4 * 1024 * 1024, 2));
      console.log('streaming');
      await p;`, [q.name]);
    await waitForLine(victim, /streaming/);
    victim.kill('SIGKILL');
    await collect(victim);
    expect(lockHeld(q.name, PRODUCER_LOCK)).toBe(true);
    // The dead producer's lock is taken over and its message closed (ABORT);
    // the consumer drops the partial message.
    const after = q.put('after', { timeout: 20_000 });
    expect(await q.get({ timeout: 20_000 })).toBe('after');
    await after;
    expect(q.qsize()).toBe(0);
  });

  it('consumers SIGKILLed at random: nothing duplicated, at most one message lost per kill', async () => {
    const q = track(new Queue<number | Buffer | null>({ capacity: 64 * 1024 }));
    const dir = mkdtempSync(join(tmpdir(), 'osipc-queue-kill-'));
    const exits: Promise<unknown>[] = [];
    const live = new Set<ChildProcess>();
    let started = 0;
    const startOne = async (): Promise<void> => {
      const c = runFixture('queue-reporter.js', [q.name, started % 2 ? 'sync' : 'async', join(dir, String(started++))]);
      live.add(c);
      exits.push(collect(c, 120_000));
      await waitForLine(c, /ready/);
    };
    for (let i = 0; i < 3; i++) await startOne();
    const N = 20_000;
    let kills = 0;
    const killer = (async () => {
      while (kills < 8) {
        await sleep(40 + Math.random() * 40);
        const victim = [...live][Math.floor(Math.random() * live.size)]!;
        live.delete(victim);
        victim.kill('SIGKILL');
        kills++;
        await startOne();
      }
    })();
    for (let i = 0; i < N; i++) {
      if (i % 1000 === 500) {
        // Now and then a message larger than the ring, to be caught mid-stream.
        const b = Buffer.alloc(200_000);
        b.writeUInt32LE(i, 0);
        await q.put(b);
      } else await q.put(i);
      if (i % 200 === 0) await sleep(1); // spread the puts over the kills
    }
    await killer;
    for (let i = 0; i < live.size; i++) await q.put(null);
    await Promise.all(exits);
    const seen = new Map<number, number>();
    for (const f of readdirSync(dir)) {
      for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
        if (line === '') continue;
        const [n, len] = line.split(' ').map(Number);
        if (len !== undefined) expect(len).toBe(200_000);
        seen.set(n!, (seen.get(n!) ?? 0) + 1);
      }
    }
    rmSync(dir, { recursive: true });
    expect([...seen.values()].every((c) => c === 1)).toBe(true);
    expect(seen.size).toBeGreaterThanOrEqual(N - kills);
    expect(seen.size).toBeLessThanOrEqual(N);
    expect(q.qsize()).toBe(0);
  });

  it('producers SIGKILLed at random: qsize stays exact, per-producer order holds', async () => {
    const q = track(new Queue<number>({ capacity: 1 << 20 }));
    let id = 0;
    // Per producer across rounds: a producer killed mid-commit leaves a redo
    // record, and the next round's first producer replays it, so that message
    // (the dead producer's next one) is delivered in the next round.
    const last = new Map<number, number>();
    for (let round = 0; round < 6; round++) {
      const ps = [0, 1].map(() => runFixture('queue-producer.js', [q.name, id++, 1_000_000, round % 2 ? 'sync' : 'async']));
      while (q.qsize() < 1000) await sleep(5); // they are producing
      await sleep(Math.random() * 20);
      for (const p of ps) p.kill('SIGKILL');
      await Promise.all(ps.map((p) => collect(p)));
      // Drain what they left: exactly qsize() messages, in order per producer.
      const size = q.qsize();
      let n = 0;
      for (;;) {
        let v: number;
        try {
          v = q.getNowait();
        } catch (err) {
          expect(err).toBeInstanceOf(QueueEmpty);
          break;
        }
        const who = Math.floor(v / 1_000_000);
        expect(v % 1_000_000).toBe((last.get(who) ?? -1) + 1);
        last.set(who, v % 1_000_000);
        n++;
      }
      expect(n).toBe(size);
      expect(q.qsize()).toBe(0);
    }
  });

  it('round trips through an echo worker, async and sync', async () => {
    for (const mode of ['async', 'sync']) {
      const a = track(new Queue());
      const b = track(new Queue());
      const w = runFixture('queue-echo.js', [a.name, b.name, mode]);
      const ready = waitForLine(w, /ready/);
      const exited = collect(w);
      await ready;
      for (let i = 0; i < 200; i++) {
        await a.put({ i, s: 'hello' });
        expect(await b.get()).toEqual({ i, s: 'hello' });
      }
      await a.put(null);
      expect(await b.get()).toBe(null);
      const r = await exited;
      expect(r.stderr).toBe('');
    }
  });
});

describe('Queue with a C peer (docs/interop/queue.md)', () => {
  const hasCompiler = spawnSync('cc', ['--version']).status === 0;
  it.skipIf(!hasCompiler || process.platform !== 'linux')('a C program produces and consumes msgpack records', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'osipc-queue-c-'));
    const exe = join(dir, 'queue_peer');
    execFileSync('cc', ['-O1', '-o', exe, fixture('queue_peer.c'), '-lrt'], { stdio: 'pipe' });
    const q = track(new Queue<unknown>({ codec: 'msgpack', capacity: 4096, maxsize: 50 }));
    // C produces through a small ring (PAD records, waits for room) while we consume.
    const producer = collect(spawn(exe, ['produce', q.name, '3000'], { stdio: ['ignore', 'pipe', 'pipe'] }));
    for (let i = 0; i < 3000; i++) expect(await q.get({ timeout: 20_000 })).toEqual([i, 'hello']);
    expect((await producer).code).toBe(0);
    // C consumes what we put, with maxsize making us wait for it.
    const consumer = collect(spawn(exe, ['consume', q.name, '3000'], { stdio: ['ignore', 'pipe', 'pipe'] }));
    for (let i = 0; i < 3000; i++) await q.put([i, `msg${i % 10}`], { timeout: 20_000 });
    const r = await consumer;
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(Array.from({ length: 3000 }, (_, i) => `${i} msg${i % 10}`));
    expect(q.qsize()).toBe(0);
    rmSync(dir, { recursive: true });
  });
});

describe('Queue spin', () => {
  // A get's timeout bounds the whole call, polling included: getSync and get
  // with { timeout: 1 } went on polling for the whole spin (10 ms here)
  // before they failed.
  it('a get polls no longer than its timeout', async () => {
    let sync = Infinity;
    let async = Infinity;
    for (let i = 0; i < 5; i++) {
      // Fresh queues: a poll that finds nothing halves the next one.
      const q = track(new Queue({ spin: 10_000 }));
      let t = performance.now();
      expect(() => q.getSync({ timeout: 1 })).toThrow(QueueEmpty);
      sync = Math.min(sync, performance.now() - t);
      const r = track(new Queue({ spin: 10_000 }));
      t = performance.now();
      await expect(r.get({ timeout: 1 })).rejects.toBeInstanceOf(QueueEmpty);
      async = Math.min(async, performance.now() - t);
    }
    expect(sync).toBeLessThan(5);
    expect(async).toBeLessThan(6);
  });
});

describe('Queue memory written by a hostile process', () => {
  // Offsets from docs/interop/queue.md.
  const TAIL = 256, PRODUCED = 260, HEAD = 512;
  async function hostile(name: string, code: string): Promise<void> {
    const r = await runNode(`
      import { SharedMemory } from 'osipc';
      const shm = SharedMemory.open(process.argv[2]);
      const w = new Int32Array(shm.buffer, 0, 1024);
      const d = new DataView(shm.buffer, 4096);
      const u8 = new Uint8Array(shm.buffer, 4096);
      const at = w[${HEAD / 4}] & (w[3] - 1); // the record at the head
      ${code}
      shm.close();`, [name]);
    expect(r.stderr).toBe('');
  }
  const corrupt = { code: 'ERR_OSIPC_QUEUE_CORRUPT' };

  it('positions out of range: a clear error, no hang', async () => {
    const q = track(new Queue({ capacity: 4096 }));
    await q.put(1);
    await hostile(q.name, `w[${TAIL / 4}] = 1 << 20; w[${PRODUCED / 4}] = 5;`);
    expect(() => q.getNowait()).toThrow(expect.objectContaining(corrupt));
    await expect(q.get({ timeout: 1000 })).rejects.toMatchObject(corrupt);
    expect(() => q.getSync({ timeout: 1000 })).toThrow(expect.objectContaining(corrupt));
    await expect(q.put(2)).rejects.toMatchObject(corrupt);
    await hostile(q.name, `w[${HEAD / 4}] = 3; w[${TAIL / 4}] = 11;`);
    expect(() => q.getNowait()).toThrow(expect.objectContaining(corrupt));
  });

  it('bad record lengths, kinds and chunk totals', async () => {
    const q = track(new Queue({ capacity: 4096, maxMessageSize: 1 << 20 }));
    const cases = [
      `d.setUint32(at, 0xfffffff0, true);`, // length past everything
      `d.setUint32(at, 4000, true);`, // longer than what is queued
      `u8[at + 4] = 99;`, // unknown record kind
      `u8[at + 4] = 2; d.setUint32(at, 16, true); d.setUint32(at + 8, 0x7fffffff, true);`, // a first chunk announcing 2 GiB
      `u8[at + 4] = 6;`, // padding that does not reach the end
    ];
    for (const c of cases) {
      await q.put('0123456789abcdef');
      await hostile(q.name, c);
      expect(() => q.getNowait()).toThrow(expect.objectContaining(corrupt));
      // Repair as a C peer could: drop everything queued.
      await hostile(q.name, `w[${HEAD / 4}] = w[${TAIL / 4}]; w[${PRODUCED / 4}] = w[129];`);
      expect(q.qsize()).toBe(0);
    }
  });

  it('undecodable payloads are dropped and reported; the queue goes on', async () => {
    const q = track(new Queue({ capacity: 4096 }));
    const payloads = [
      `u8[at + 8] = 0xc1;`, // a msgpack byte that means nothing
      `u8[at + 8] = 0xdd; d.setUint32(at + 9, 0xffffffff);`, // an array of 4 billion elements in 16 bytes
      `u8[at + 8] = 0xdb; d.setUint32(at + 9, 0x7ffffff0);`, // a string longer than the record
      `u8[at + 5] = 0x56; u8[at + 8] = 0xff; u8[at + 9] = 0x0f; u8[at + 10] = 0x99;`, // garbage for the v8 deserializer
      `u8[at + 5] = 0x4a; u8[at + 8] = 0x7b;`, // truncated JSON
      `u8[at + 5] = 0x21;`, // an unknown format tag
    ];
    for (const p of payloads) {
      await q.put('0123456789abcdef');
      await q.put('next');
      await hostile(q.name, p);
      expect(() => q.getNowait()).toThrow(expect.objectContaining(corrupt));
      expect(q.getNowait()).toBe('next');
    }
    // Nesting far deeper than any writer makes: an error, not a stack overflow.
    const deep = track(new Queue({ capacity: 1 << 20 }));
    await deep.put(Buffer.alloc(20_000)); // 20_004 bytes of msgpack
    await hostile(deep.name, `for (let i = at + 8; i < at + 8 + 20_004; i++) u8[i] = 0x91;`);
    await expect(deep.get()).rejects.toMatchObject(corrupt);
  });

  // V8 reads a Map whole, and sets aside 8 bytes per hole an array in it
  // declares: 16 such arrays in 180 bytes would have taken 4 GB here.
  it('a v8 record of arrays with holes declaring billions of elements: refused before v8 allocates', async () => {
    const q = track(new Queue({ capacity: 4096 }));
    const bomb = holeBomb(16, 32_000_000);
    await q.put('x'.repeat(bomb.length)); // a record with room for it (v8 ignores what follows a value)
    await q.put('next');
    const rss = process.memoryUsage().rss;
    await hostile(q.name, `
      const bomb = Buffer.from('${bomb.toString('hex')}', 'hex');
      const len = d.getUint32(at, true);
      if (len < bomb.length) throw new Error('record length ' + len);
      u8[at + 5] = 0x56; // format: v8
      u8.fill(0, at + 8, at + 8 + len);
      u8.set(bomb, at + 8);`);
    expect(() => q.getNowait()).toThrow(expect.objectContaining(corrupt));
    expect(process.memoryUsage().rss - rss).toBeLessThan(256 * 1024 * 1024);
    expect(q.getNowait()).toBe('next');
  });

  // The ring is shared memory: a writer that changes a record while it is
  // read could let the check see one payload and v8.deserialize another (the
  // check read the ring, v8 a copy taken after it). Here another thread flips
  // one byte of a v8 record between a length of 1 and one of 10.5 million
  // holes; v8.deserialize (replaced by a spy) must only ever see checked bytes.
  it('a v8 record changed while it is read: v8 reads the bytes that were checked', async () => {
    const { Codec, TAG_V8 } = await import('../dist/queue/codec.js');
    const { Worker } = await import('node:worker_threads');
    const sab = new SharedArrayBuffer(64);
    // 'a' with a 4-byte length (0x81 0x80 0x80 0x00 = 1, ... 0x05 = 10,485,760), '@' 0 1
    const record = [0xff, 0x0f, 0x61, 0x81, 0x80, 0x80, 0x00, 0x40, 0x00, 0x01];
    const ring = Buffer.from(sab, 0, record.length);
    ring.set(record);
    const flipper = new Worker(`
      const { workerData } = require('node:worker_threads');
      const u8 = new Uint8Array(workerData);
      for (;;) { u8[6] = 0x05; u8[6] = 0x00; if (u8[63] === 1) break; }`, { eval: true, workerData: sab });
    const codec = new Codec('v8');
    const real = v8.deserialize;
    let unchecked = 0;
    let calls = 0;
    v8.deserialize = ((b: Buffer) => {
      calls++;
      if (b[6] !== 0x00) unchecked++;
      return null;
    }) as typeof v8.deserialize;
    try {
      const end = performance.now() + 1000;
      while (performance.now() < end && unchecked === 0) {
        for (let i = 0; i < 1000; i++) {
          try {
            codec.decode(TAG_V8, ring, new DataView(sab), 0, record.length, false);
          } catch (err) {
            expect(err).toBeInstanceOf(RangeError);
          }
        }
      }
    } finally {
      v8.deserialize = real;
      new Uint8Array(sab)[63] = 1;
      await flipper.terminate();
    }
    expect(calls).toBeGreaterThan(0);
    expect(unchecked).toBe(0);
  });

  it('a corrupt header is refused at open', async () => {
    const q = track(new Queue({ capacity: 4096 }));
    await hostile(q.name, `w[3] = 12345;`);
    expect(() => Queue.open(q.name)).toThrow(expect.objectContaining(corrupt));
    // This process read its settings at creation: it goes on.
    await q.put('ok');
    expect(await q.get()).toBe('ok');
    await hostile(q.name, `w[0] = 0;`);
    expect(() => Queue.open(q.name)).toThrow(expect.objectContaining({ code: 'ERR_OSIPC_NOT_A_QUEUE' }));
  });
});
