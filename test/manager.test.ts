// Manager with a real manager process, proxies used from real processes
// (osipc Process, Pool workers, unrelated node children).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AbortError, ClosedError, Client, DictProxy, EventProxy, ListProxy, Lock, LockProxy, Manager, NamespaceProxy, Pool,
  Process, QueueEmpty, QueueFull, QueueProxy, RemoteError, ValueProxy,
} from 'osipc';
import { alive, collect, spawnNode, until, waitForLine } from './helpers/child.js';
import { openFds } from './helpers/leaks.js';

const worker = new URL('./fixtures/manager-worker.js', import.meta.url);
const tmp = mkdtempSync(join(tmpdir(), 'osipc-manager-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function run(fn: string, args: unknown[]): Promise<Process> {
  const p = new Process({ module: worker, fn, args });
  await p.start();
  return p;
}

describe('Manager: the seed', () => {
  it('50 processes decrement dict.count from 100 under a manager Lock: it ends at exactly 50', async () => {
    const m = new Manager();
    await m.start();
    const d = await m.dict({ count: 100 });
    const lock = await m.Lock();
    const procs = Array.from({ length: 50 }, () => new Process({ module: worker, fn: 'decrement', args: [d, lock] }));
    await Promise.all(procs.map((p) => p.start()));
    const codes = await Promise.all(procs.map((p) => p.join({ timeout: 120_000 })));
    expect(codes).toEqual(Array(50).fill(0));
    expect(await d.toObject()).toEqual({ count: 50 });
    expect(await lock.locked()).toBe(false);
    await m.shutdown();
  }, 180_000);

  it('the same with an osipc Lock in shared memory (as the Python seed does)', async () => {
    await using m = new Manager();
    await m.start();
    const d = await m.dict({ count: 100 });
    const lock = new Lock();
    const procs = Array.from({ length: 20 }, () => new Process({ module: worker, fn: 'decrement', args: [d, lock] }));
    await Promise.all(procs.map((p) => p.start()));
    expect(await Promise.all(procs.map((p) => p.join({ timeout: 120_000 })))).toEqual(Array(20).fill(0));
    expect(await d.get('count')).toBe(80);
    lock.close();
  }, 180_000);
});

describe('Manager: proxies', () => {
  let m: Manager;
  beforeAll(async () => {
    m = new Manager();
    await m.start();
  });
  afterAll(async () => {
    await m.shutdown();
  });

  it('start() resolves once the manager listens; address, authkey, pid', () => {
    expect(m.running).toBe(true);
    expect(typeof m.address).toBe('string');
    expect(m.authkey).toBeInstanceOf(Buffer);
    expect(m.authkey.length).toBe(32);
    expect(m.pid).toBeGreaterThan(0);
    expect(m.pid).not.toBe(process.pid);
    expect(alive(m.pid!)).toBe(true);
  });

  it('dict: every method', async () => {
    const d = await m.dict<unknown>({ a: 1 });
    expect(d).toBeInstanceOf(DictProxy);
    expect(await d.get('a')).toBe(1);
    expect(await d.get('missing')).toBeUndefined();
    expect(await d.get('missing', 'dflt')).toBe('dflt');
    await d.set('b', { deep: [1, 2] });
    await d.set(3, 'three');
    expect(await d.has('b')).toBe(true);
    expect(await d.has('zz')).toBe(false);
    expect(await d.size()).toBe(3);
    expect(await d.keys()).toEqual(['a', 'b', 3]);
    expect(await d.values()).toEqual([1, { deep: [1, 2] }, 'three']);
    expect(await d.entries()).toEqual([['a', 1], ['b', { deep: [1, 2] }], [3, 'three']]);
    expect(await d.items()).toEqual(await d.entries());
    await d.update({ c: 'c' });
    await d.update(new Map<unknown, unknown>([[true, 't']]));
    await d.update([['e', 5]]);
    expect(await d.copy()).toEqual(new Map<unknown, unknown>([
      ['a', 1], ['b', { deep: [1, 2] }], [3, 'three'], ['c', 'c'], [true, 't'], ['e', 5]]));
    expect(await d.toObject()).toEqual({ a: 1, b: { deep: [1, 2] }, 3: 'three', c: 'c', true: 't', e: 5 });
    expect(await d.pop('e')).toBe(5);
    expect(await d.pop('e', 'gone')).toBe('gone');
    const err = await d.pop('e').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteError);
    expect((err as RemoteError).code).toBe('ERR_OSIPC_KEY_NOT_FOUND');
    expect(await d.setdefault('s', 1)).toBe(1);
    expect(await d.setdefault('s', 2)).toBe(1);
    expect(await d.delete('s')).toBe(true);
    expect(await d.delete('s')).toBe(false);
    await d.clear();
    expect(await d.size()).toBe(0);
    expect(await (await m.dict()).toObject()).toEqual({});
    expect(await (await m.dict(new Map([[1, 'one']]))).copy()).toEqual(new Map([[1, 'one']]));
  });

  it('values are copies: changing what get() returned does not change the stored value', async () => {
    const d = await m.dict<{ x: number }>({ a: { x: 0 } });
    const a = (await d.get('a'))!;
    a.x = 1;
    expect(await d.get('a')).toEqual({ x: 0 });
    const mine = { x: 5 };
    await d.set('b', mine);
    mine.x = 6;
    expect(await d.get('b')).toEqual({ x: 5 });
  });

  it('list: every method', async () => {
    const l = await m.list([1, 2, 3]);
    expect(l).toBeInstanceOf(ListProxy);
    await l.append(4);
    await l.extend(new Set([5, 6]));
    expect(await l.length()).toBe(6);
    expect(await l.get(0)).toBe(1);
    expect(await l.get(-1)).toBe(6);
    await l.set(-2, 50);
    await l.set(0, 10);
    expect(await l.toArray()).toEqual([10, 2, 3, 4, 50, 6]);
    expect(await l.pop()).toBe(6);
    expect(await l.pop(0)).toBe(10);
    await l.insert(0, 'first');
    await l.insert(100, 'last');
    await l.insert(-1, 'before last');
    expect(await l.toArray()).toEqual(['first', 2, 3, 4, 50, 'before last', 'last']);
    expect(await l.slice(1, 3)).toEqual([2, 3]);
    expect(await l.slice(-2)).toEqual(['before last', 'last']);
    expect(await l.index(50)).toBe(4);
    expect(await l.index('nope')).toBe(-1);
    await l.append({ o: [1] });
    expect(await l.index({ o: [1] })).toBe(7);
    expect(await l.remove({ o: [1] })).toBe(true);
    expect(await l.remove({ o: [1] })).toBe(false);
    const out = await l.get(99).catch((e: unknown) => e);
    expect(out).toBeInstanceOf(RemoteError);
    expect((out as RemoteError).code).toBe('ERR_OUT_OF_RANGE');
    expect((out as RemoteError).remoteName).toBe('RangeError');
    expect((out as RemoteError).remoteStack).toMatch(/manager-objects/);
    await l.clear();
    expect(await l.length()).toBe(0);
    expect(((await l.pop().catch((e: unknown) => e)) as RemoteError).code).toBe('ERR_OUT_OF_RANGE');
    expect(await (await m.list()).toArray()).toEqual([]);
  });

  it('namespace: get, set, has, delete, toObject', async () => {
    const ns = await m.namespace({ a: 1 });
    expect(ns).toBeInstanceOf(NamespaceProxy);
    expect(await ns.get('a')).toBe(1);
    expect(await ns.get('b')).toBeUndefined();
    await ns.set('b', [2]);
    expect(await ns.has('b')).toBe(true);
    expect(await ns.toObject()).toEqual({ a: 1, b: [2] });
    expect(await ns.delete('a')).toBe(true);
    expect(await ns.has('a')).toBe(false);
  });

  it('Value: get, set, typecode', async () => {
    const v = await m.Value('d', 0.5);
    expect(v).toBeInstanceOf(ValueProxy);
    expect(v.typecode).toBe('d');
    expect(await v.get()).toBe(0.5);
    await v.set(3.14);
    expect(await v.get()).toBe(3.14);
  });

  it('Lock: acquire, timeout, tryAcquire, locked, release, withLock; release by a non-holder fails', async () => {
    const lock = await m.Lock();
    expect(lock).toBeInstanceOf(LockProxy);
    expect(await lock.locked()).toBe(false);
    expect(await lock.acquire()).toBe(true);
    expect(lock.ownerDied).toBe(false);
    expect(await lock.locked()).toBe(true);
    expect(await lock.acquire({ timeout: 30 })).toBe(false);
    expect(await lock.tryAcquire()).toBe(false);
    await lock.release();
    expect(await lock.tryAcquire()).toBe(true);
    await lock.release();
    const err = await lock.release().catch((e: unknown) => e);
    expect((err as RemoteError).code).toBe('ERR_OSIPC_NOT_OWNER');
    expect(await lock.withLock(async () => lock.locked())).toBe(true);
    expect(await lock.locked()).toBe(false);
    await expect(lock.withLock(() => { throw new Error('inside'); })).rejects.toThrow('inside');
    expect(await lock.locked()).toBe(false);
  });

  it('Lock: a waiter queues behind the holder without holding up other calls; abort rejects and gives nothing', async () => {
    const lock = await m.Lock();
    const d = await m.dict();
    await lock.acquire();
    const waiting = lock.acquire();
    // Calls behind the waiting acquire on the same connection are answered.
    await d.set('k', 1);
    expect(await d.get('k')).toBe(1);
    const ac = new AbortController();
    const aborted = lock.acquire({ signal: ac.signal });
    ac.abort();
    await expect(aborted).rejects.toBeInstanceOf(AbortError);
    await expect(lock.acquire({ signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ABORT_ERR' });
    await lock.release();
    expect(await waiting).toBe(true);
    await lock.release();
    expect(await lock.locked()).toBe(false);
  });

  it('Lock: a grant that crosses an abort is given back (the lock does not stay held)', async () => {
    const lock = await m.Lock();
    await lock.acquire();
    const ac = new AbortController();
    const waiting = lock.acquire({ signal: ac.signal });
    // The release reaches the manager before the cancel: it grants the waiter first.
    const released = lock.release();
    ac.abort();
    await expect(waiting).rejects.toBeInstanceOf(AbortError);
    await released;
    expect(await until(async () => !(await lock.locked()), 10_000)).toBe(true);
    expect(await lock.tryAcquire()).toBe(true);
    await lock.release();
  });

  it('Queue: put, get, nowait forms, timeouts, qsize/empty/full, a bounded queue that makes put wait', async () => {
    const q = await m.Queue<string>(2);
    expect(q).toBeInstanceOf(QueueProxy);
    expect(await q.empty()).toBe(true);
    await q.put('a');
    await q.putNowait('b');
    expect(await q.full()).toBe(true);
    expect(await q.qsize()).toBe(2);
    await expect(q.putNowait('c')).rejects.toBeInstanceOf(QueueFull);
    await expect(q.put('c', { timeout: 30 })).rejects.toMatchObject({ code: 'ERR_OSIPC_QUEUE_FULL' });
    const waitingPut = q.put('c');
    expect(await q.get()).toBe('a');
    await waitingPut; // room made by the get
    expect(await q.getNowait()).toBe('b');
    expect(await q.get({ timeout: 1000 })).toBe('c');
    await expect(q.getNowait()).rejects.toBeInstanceOf(QueueEmpty);
    await expect(q.get({ timeout: 30 })).rejects.toMatchObject({ code: 'ERR_OSIPC_QUEUE_EMPTY' });
    const waitingGet = q.get();
    await q.put('d');
    expect(await waitingGet).toBe('d');
    await expect(m.Queue(1.5 as never)).rejects.toThrow(RangeError);
    await expect(q.get({ timeout: -1 })).rejects.toThrow(RangeError);
  });

  it('Queue: an item taken for a get that was aborted is put back at the front', async () => {
    const q = await m.Queue<number>();
    const ac = new AbortController();
    const waiting = q.get({ signal: ac.signal });
    // The put reaches the manager before the cancel: it hands 1 to the waiting get.
    const put = q.put(1);
    ac.abort();
    await expect(waiting).rejects.toBeInstanceOf(AbortError);
    await put;
    await q.put(2);
    expect(await q.get({ timeout: 10_000 })).toBe(1);
    expect(await q.get({ timeout: 10_000 })).toBe(2);
  });

  it('Queue in a Pool (seed 002): a writer task then a reader task on Pool(2) pass words through a manager Queue', async () => {
    const q = await m.Queue<string>();
    const pool = new Pool({ processes: 2, module: worker });
    try {
      // The seed's blocking form (apply, one after the other).
      expect(pool.pids).toContain(await pool.apply<number>('writeQueue', [q, ['hello', 'python', 'world']]));
      expect(await q.qsize()).toBe(4);
      expect(await pool.apply('readQueue', [q])).toEqual(['hello', 'python', 'world']);
      expect(await q.empty()).toBe(true);
    } finally {
      pool.close();
      await pool.join({ timeout: 20_000 });
    }
  });

  it('a Manager.connect()ed in the starting process and closed leaves the starter\'s proxies working', async () => {
    const d = await m.dict({ a: 1 });
    const other = await Manager.connect({ address: m.address!, authkey: m.authkey });
    const l = await other.list([1]);
    expect(await l.toArray()).toEqual([1]);
    other.close();
    expect(other.running).toBe(false);
    expect(await d.get('a')).toBe(1);
    await expect(other.dict()).rejects.toBeInstanceOf(ClosedError);
  });

  it('Event: set, clear, isSet, wait with timeout and signal; a waiter in another process wakes on set', async () => {
    const e = await m.Event();
    expect(e).toBeInstanceOf(EventProxy);
    expect(await e.isSet()).toBe(false);
    expect(await e.wait({ timeout: 20 })).toBe(false);
    await expect(e.wait({ signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortError);
    const ac = new AbortController();
    const aborted = e.wait({ signal: ac.signal });
    ac.abort();
    await expect(aborted).rejects.toBeInstanceOf(AbortError);
    const d = await m.dict();
    const p = await run('waitEvent', [e, d]);
    expect(await until(async () => (await d.get('waiting')) === p.pid)).toBe(true);
    const here = e.wait();
    await e.set();
    expect(await here).toBe(true);
    expect(await p.join({ timeout: 30_000 })).toBe(0);
    expect(await d.get('woke')).toBe(true);
    expect(await e.wait({ timeout: 0 })).toBe(true);
    await e.clear();
    expect(await e.isSet()).toBe(false);
  });

  it('calls are pipelined: 2000 concurrent calls from one process all land, in order per object', async () => {
    const d = await m.dict<number>();
    const l = await m.list<number>();
    const sets = Array.from({ length: 1000 }, (_, i) => d.set(`k${i}`, i));
    const appends = Array.from({ length: 1000 }, (_, i) => l.append(i));
    await Promise.all([...sets, ...appends]);
    expect(await d.size()).toBe(1000);
    expect(await d.get('k999')).toBe(999);
    expect(await l.toArray()).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  it('a proxy stored inside a managed object comes back as a working proxy', async () => {
    const d = await m.dict();
    const l = await m.list(['x']);
    await d.set('inner', l);
    const back = await d.get('inner') as ListProxy;
    expect(back).toBeInstanceOf(ListProxy);
    await back.append('y');
    expect(await l.toArray()).toEqual(['x', 'y']);
  });

  it('proxies passed as Process args work in the child (which connects on first use)', async () => {
    const d = await m.dict({ start: true });
    const l = await m.list();
    const ns = await m.namespace();
    const v = await m.Value('i', 41);
    const p = await run('useAll', [d, l, ns, v]);
    expect(await p.join({ timeout: 30_000 })).toBe(0);
    expect(p.result).toEqual({
      keys: ['start', 'child', 'a', 'b'], list: ['from child', 1, 2], ns: { who: 'child' }, value: 42,
    });
    expect(await d.get('child')).toBe(p.pid);
    expect(await v.get()).toBe(42);
  });

  it('one connection per process per manager, shared by all its proxies there', async () => {
    const sockets = (): number => readdirSync(`/proc/${m.pid}/fd`).filter((fd) => {
      try { return readlinkSync(`/proc/${m.pid}/fd/${fd}`).startsWith('socket:'); } catch { return false; }
    }).length;
    const [d, l, ns, lock] = await Promise.all([m.dict(), m.list(), m.namespace(), m.Lock()]);
    const before = sockets();
    const p = await run('useManyThenWait', [d, l, ns, lock]);
    try {
      expect(await until(async () => (await d.get('used')) === p.pid)).toBe(true);
      expect(sockets()).toBe(before + 1);
    } finally {
      p.kill();
      await p.join();
    }
    expect(await until(() => sockets() === before)).toBe(true);
  });

  it('proxies passed as Pool task args work in the workers', async () => {
    const d = await m.dict<number>();
    const pool = new Pool({ processes: 2, module: worker });
    try {
      const pids = await pool.starmap<number>('record', Array.from({ length: 6 }, (_, i) => [d, i]));
      expect(await d.size()).toBe(6);
      expect(await d.values()).toEqual(expect.arrayContaining([...new Set(pids)]));
      for (const pid of pids) expect(pool.pids).toContain(pid);
    } finally {
      pool.close();
      await pool.join({ timeout: 20_000 });
    }
  });

  it('a Lock holder SIGKILLed while holding: the next acquirer gets it and is told (ownerDied)', async () => {
    const lock = await m.Lock();
    const d = await m.dict();
    const holder = await run('holdLock', [lock, d]);
    expect(await until(async () => (await d.get('holder')) === holder.pid)).toBe(true);
    expect(await lock.acquire({ timeout: 50 })).toBe(false);
    // A waiter in another process, and one here.
    const waiter = await run('waitLock', [lock, d]);
    await new Promise((r) => setTimeout(r, 100));
    holder.kill();
    expect(await holder.join({ timeout: 10_000 })).toBe(-9);
    expect(await waiter.join({ timeout: 30_000 })).toBe(0); // it exits holding the lock...
    expect(await d.get('waiter')).toBe('acquired');
    // ...so the manager frees it once more, and this process is told.
    expect(await lock.acquire({ timeout: 10_000 })).toBe(true);
    expect(lock.ownerDied).toBe(true);
    await lock.release();
    expect(lock.ownerDied).toBe(false);
    expect(await lock.acquire()).toBe(true);
    expect(lock.ownerDied).toBe(false);
    await lock.release();
  });

  it('bad inputs: TypeError/RangeError naming the argument, DataCloneError for values that cannot travel', async () => {
    const d = await m.dict();
    const l = await m.list();
    expect(() => d.get({} as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('"key"') }));
    expect(() => d.set(null as never, 1)).toThrow(TypeError);
    await expect(m.dict(5 as never)).rejects.toThrow(TypeError);
    await expect(m.dict([[{}, 1]] as never)).rejects.toThrow(/init key/);
    await expect(m.list(5 as never)).rejects.toThrow(TypeError);
    await expect(m.namespace('x' as never)).rejects.toThrow(TypeError);
    await expect(m.Value(5 as never, 1)).rejects.toThrow(/"typecode"/);
    expect(() => d.update(5 as never)).toThrow(/"other"/);
    expect(() => l.get(1.5)).toThrow(RangeError);
    expect(() => l.get('0' as never)).toThrow(TypeError);
    expect(() => l.extend(3 as never)).toThrow(/"values"/);
    const ns = await m.namespace();
    expect(() => ns.get(1 as never)).toThrow(/"name"/);
    const lock = await m.Lock();
    await expect(lock.acquire({ timeout: -1 })).rejects.toThrow(RangeError);
    await expect(lock.withLock('no' as never)).rejects.toThrow(/"fn"/);
    await expect(d.set('f', () => 1)).rejects.toMatchObject({ name: 'DataCloneError' });
    // The connection survives all of that.
    await d.set('ok', 1);
    expect(await d.get('ok')).toBe(1);
    expect(() => new Manager({ authkey: 5 as never })).toThrow(/"options.authkey"/);
    expect(() => new Manager({ address: '' })).toThrow();
    await expect(new Manager().dict()).rejects.toMatchObject({ code: 'ERR_OSIPC_MANAGER_NOT_STARTED' });
    await expect(m.start()).rejects.toMatchObject({ code: 'ERR_OSIPC_MANAGER_STARTED' });
    expect(() => new (DictProxy as unknown as new (...a: unknown[]) => unknown)(Symbol('x'), {})).toThrow(TypeError);
  });

  it('a client speaking nonsense gets coded errors (or is dropped); the manager serves on', async () => {
    const conn = await Client(m.address!, { authkey: m.authkey });
    await conn.send({ id: 1, op: 'call', target: 1, method: 'nope', args: [] });
    await conn.send({ id: 2, op: 'call', target: 123456, method: 'get', args: [] });
    await conn.send({ id: 3, op: 'create', kind: 'teapot', args: [] });
    await conn.send({ id: 4, op: 'call', target: 1, method: 'get', args: 'x' });
    await conn.send({ id: 5, op: 'hello' });
    const answers = await Promise.all([1, 2, 3, 4, 5].map(() => conn.recv())) as Array<{ id: number; ok: boolean; error?: { code: string }; value?: unknown }>;
    expect(answers.map((a) => [a.id, a.ok, a.error?.code])).toEqual([
      [1, false, 'ERR_OSIPC_UNKNOWN_METHOD'], [2, false, 'ERR_OSIPC_NO_SUCH_OBJECT'],
      [3, false, 'ERR_OSIPC_UNKNOWN_KIND'], [4, false, 'ERR_OSIPC_PROTOCOL'], [5, true, undefined]]);
    await conn.send('not a request');
    await expect(conn.recv({ timeout: 10_000 })).rejects.toMatchObject({ code: 'ERR_OSIPC_EOF' });
    conn.close();
    const d = await m.dict({ still: 'fine' });
    expect(await d.get('still')).toBe('fine');
  });

  it('a client stuck in the handshake holds up nobody: others connect meanwhile, and it is dropped', async () => {
    const stuck = await Client(m.address!); // no authkey: it never answers the challenge
    // Within less than the manager's 10 s handshake bound: handshakes run side by side.
    const other = await Manager.connect({ address: m.address!, authkey: m.authkey, timeout: 8000 });
    const d = await other.dict({ ok: true });
    expect(await d.get('ok')).toBe(true);
    other.close();
    // The manager gives up on it (10 s): its end sees the challenge, then end of file.
    expect((await stuck.recvBytes({ timeout: 5000 })).toString('latin1')).toMatch(/^#CHALLENGE#/);
    await expect(stuck.recv({ timeout: 20_000 })).rejects.toMatchObject({ code: 'ERR_OSIPC_EOF' });
    stuck.close();
  }, 40_000);

  it('a Python multiprocessing.connection.Client passes the handshake with the authkey, and fails it without', async () => {
    const py = [
      'from multiprocessing.connection import Client',
      'import sys',
      "addr = bytes.fromhex(sys.argv[1]).decode('latin1')",
      'Client(addr, authkey=bytes.fromhex(sys.argv[2])).close()',
      "print('authenticated')",
      'try:',
      "    Client(addr, authkey=b'wrong')",
      'except Exception as e:',
      '    print(type(e).__name__)',
    ].join('\n');
    const child = spawn('python3', ['-c', py, Buffer.from(m.address!, 'latin1').toString('hex'), m.authkey.toString('hex')],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    const r = await collect(child, 30_000);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('authenticated\nAuthenticationError\n');
    expect(await (await m.dict({ after: 1 })).get('after')).toBe(1);
  });

  it('Manager.connect from an unrelated process: the right authkey works, a wrong one is refused', async () => {
    const code = `
      import { Manager } from 'osipc';
      const [address, key] = process.argv.slice(2);
      const m = await Manager.connect({ address: Buffer.from(address, 'hex').toString('latin1'), authkey: Buffer.from(key, 'hex') });
      const l = await m.list([1]);
      await l.append(m.pid);
      console.log(JSON.stringify(await l.toArray()));
      try {
        await Manager.connect({ address: m.address, authkey: 'wrong' });
        console.log('wrong key accepted');
      } catch (err) {
        console.log(err.name, err.code);
      }
      m.close();
      await l.get(0).catch((err) => console.log('after close', err.code));
    `;
    const child = spawnNode(code, [Buffer.from(m.address!, 'latin1').toString('hex'), m.authkey.toString('hex')]);
    const r = await collect(child, 30_000);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')).toEqual([
      JSON.stringify([1, m.pid]), 'AuthenticationError ERR_OSIPC_AUTH', 'after close ERR_OSIPC_CLOSED', '']);
  });
});

describe('Manager: lifetime', () => {
  it('shutdown(): the manager exits, its path socket is removed, no fd is left, proxies reject with ClosedError', async () => {
    const before = openFds();
    const address = join(tmp, 'mgr.sock');
    const m = new Manager({ address, authkey: 'secret' });
    await m.start();
    expect(m.address).toBe(address);
    expect(existsSync(address)).toBe(true);
    const pid = m.pid!;
    const d = await m.dict({ a: 1 });
    const lock = await m.Lock();
    await lock.acquire();
    await m.shutdown();
    expect(alive(pid)).toBe(false);
    expect(existsSync(address)).toBe(false);
    expect(m.running).toBe(false);
    await expect(d.get('a')).rejects.toBeInstanceOf(ClosedError);
    await expect(m.dict()).rejects.toBeInstanceOf(ClosedError);
    await m.shutdown(); // idempotent
    expect(await until(() => openFds().length <= before.length, 5000)).toBe(true);
    expect(openFds()).toEqual(before);
  });

  it('an address in use: start() rejects with the manager\'s EADDRINUSE; nothing is left running', async () => {
    const address = join(tmp, 'busy.sock');
    await using a = new Manager({ address });
    await a.start();
    const b = new Manager({ address });
    const err = await b.start().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'EADDRINUSE' });
    expect(b.running).toBe(false);
    const d = await a.dict({ x: 1 });
    expect(await d.get('x')).toBe(1);
  });

  it('the manager SIGKILLed: pending and later calls reject with ERR_OSIPC_MANAGER_GONE, never hang', async () => {
    const m = new Manager();
    await m.start();
    const lock = await m.Lock();
    const d = await m.dict();
    await lock.acquire();
    const pending = lock.acquire();
    const inChild = await run('waitLock', [lock, d]);
    expect(await until(async () => (await d.get('waiting')) === inChild.pid)).toBe(true);
    await new Promise((r) => setTimeout(r, 200)); // its acquire follows on the same connection
    process.kill(m.pid!, 'SIGKILL');
    await expect(pending).rejects.toMatchObject({ code: 'ERR_OSIPC_MANAGER_GONE' });
    await expect(d.get('x')).rejects.toMatchObject({ code: 'ERR_OSIPC_MANAGER_GONE' });
    // The child's pending acquire failed the same way; it could not report it (the dict is gone too).
    expect(await inChild.join({ timeout: 20_000 })).toBe(1);
    expect(inChild.error?.code).toBe('ERR_OSIPC_MANAGER_GONE');
    await m.shutdown();
    expect(alive(m.pid!)).toBe(false);
  });

  it('the creator dies (SIGKILL): the manager process exits too', async () => {
    const child = spawnNode(`
      import { Manager } from 'osipc';
      const m = new Manager();
      await m.start();
      const d = await m.dict();
      console.log('manager', m.pid);
      setInterval(() => {}, 1000);
    `);
    const line = await waitForLine(child, /^manager \d+/);
    const pid = Number(line.split(' ')[1]);
    expect(alive(pid)).toBe(true);
    child.kill('SIGKILL');
    await collect(child, 10_000);
    expect(await until(() => !alive(pid), 10_000)).toBe(true);
  });

  it('the creator ends without shutdown(): it does not hang, and the manager exits and removes its socket', async () => {
    const address = join(tmp, 'forgotten.sock');
    const child = spawnNode(`
      import { Manager } from 'osipc';
      const m = new Manager({ address: process.argv[2] });
      await m.start();
      const d = await m.dict({ a: 1 });
      console.log('manager', m.pid, await d.get('a'));
    `, [address]);
    const r = await collect(child, 30_000);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const pid = Number(/manager (\d+) 1/.exec(r.stdout)![1]);
    expect(await until(() => !alive(pid), 10_000)).toBe(true);
    expect(existsSync(address)).toBe(false);
  });
});
