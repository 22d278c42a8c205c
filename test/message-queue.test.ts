// MessageQueue (POSIX mq) with real processes: node children that open by
// name, a C peer and a Python (ctypes over librt) peer.
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { ClosedError, MessageQueue, MQ_PRIO_MAX, kTransfer } from 'osipc';
import { packHandles, unpackHandles } from '../dist/transfer.js';
import { openFds } from './helpers/leaks.js';
import { compilePeer, pythonWith, runToEnd, startFixture } from './helpers/procs.js';

const linux = process.platform === 'linux';
let counter = 0;
const made: MessageQueue[] = [];
const uniqueName = (): string => `/osipc-${process.pid}-mqt${counter++}`;

/** A fresh small queue closed (and so unlinked) after the test. */
function fresh(opts: { maxMessages?: number; messageSize?: number; name?: string } = {}): MessageQueue {
  const q = MessageQueue.create({ name: uniqueName(), maxMessages: 4, messageSize: 64, ...opts });
  made.push(q);
  return q;
}

afterEach(() => {
  for (const q of made.splice(0)) q.close();
});

const text = (m: { data: Buffer } | null): string | undefined => m?.data.toString();

describe.skipIf(!linux)('MessageQueue', () => {
  it('creates with the system defaults, opens by name, reports attributes', () => {
    const q = MessageQueue.create({ messageSize: 16 });
    made.push(q);
    expect(q.name).toMatch(new RegExp(`^/osipc-${process.pid}-[0-9a-f]{8}$`));
    const msgMax = Number(readFileSync('/proc/sys/fs/mqueue/msg_max', 'utf8'));
    const msgDefault = Number(readFileSync('/proc/sys/fs/mqueue/msg_default', 'utf8'));
    expect(q.maxMessages).toBe(Math.min(msgMax, msgDefault));
    expect(q.attributes).toMatchObject({ maxMessages: q.maxMessages, messageSize: 16, currentMessages: 0 });
    expect(q.owner).toBe(true);
    const o = MessageQueue.open(q.name);
    expect(o.owner).toBe(false);
    expect(o.messageSize).toBe(16);
    expect(o.trySend('hi')).toBe(true);
    expect(q.attributes.currentMessages).toBe(1);
    expect(text(q.tryReceive())).toBe('hi');
    o.close();
  });

  it('delivers the highest priority first, FIFO within a priority', async () => {
    const q = fresh({ maxMessages: 8 });
    const sent: [string, number][] = [['a', 1], ['b', 5], ['c', 1], ['d', MQ_PRIO_MAX - 1], ['e', 0], ['f', 5]];
    for (const [d, p] of sent) expect(await q.send(d, { priority: p })).toBe(true);
    const got: [string, number][] = [];
    for (let i = 0; i < sent.length; i++) {
      const m = i % 2 ? q.tryReceive() : await q.receive();
      got.push([text(m)!, m!.priority]);
    }
    expect(got).toEqual([['d', 32767], ['b', 5], ['f', 5], ['a', 1], ['c', 1], ['e', 0]]);
  });

  it('carries strings, Buffers, typed arrays, DataViews, ArrayBuffers and empty messages', () => {
    const q = fresh();
    q.trySend('héllo');
    q.trySend(new Uint16Array([1, 2]));
    q.trySend(new DataView(new Uint8Array([9, 8, 7]).buffer, 1, 2));
    q.trySend(new Uint8Array([5, 6]).buffer);
    expect(text(q.tryReceive())).toBe('héllo');
    expect([...q.tryReceive()!.data]).toEqual([1, 0, 2, 0]);
    expect([...q.tryReceive()!.data]).toEqual([8, 7]);
    expect([...q.tryReceive()!.data]).toEqual([5, 6]);
    q.trySend('');
    const empty = q.tryReceive()!;
    expect(empty.data.length).toBe(0);
    // Received data is a copy: the receive buffer is reused.
    q.trySend('one');
    q.trySend('two');
    const a = q.tryReceive()!;
    q.tryReceive();
    expect(text(a)).toBe('one');
  });

  it('try forms: trySend is false when full, tryReceive null when empty', () => {
    const q = fresh({ maxMessages: 2 });
    expect(q.tryReceive()).toBeNull();
    expect(q.trySend('1')).toBe(true);
    expect(q.trySend('2')).toBe(true);
    expect(q.trySend('3')).toBe(false);
    expect(q.attributes.currentMessages).toBe(2);
  });

  it('Promise forms wait without blocking the loop and time out as values', async () => {
    const q = fresh({ maxMessages: 1 });
    let ticks = 0;
    const t = setInterval(() => ticks++, 5);
    expect(await q.receive({ timeout: 80 })).toBeNull();
    expect(await q.receive({ timeout: 0 })).toBeNull();
    q.trySend('x');
    expect(await q.send('y', { timeout: 80 })).toBe(false);
    expect(await q.send('y', { timeout: 0 })).toBe(false);
    clearInterval(t);
    expect(ticks).toBeGreaterThan(5);
    // A waiting send goes through once room appears.
    const pending = q.send('z');
    setTimeout(() => q.tryReceive(), 30);
    expect(await pending).toBe(true);
    expect(text(q.tryReceive())).toBe('z');
  });

  it('concurrent receives in one process each get a different message', async () => {
    const q = fresh();
    const waits = [q.receive(), q.receive(), q.receive()];
    setTimeout(() => { q.trySend('a'); q.trySend('b'); q.trySend('c'); }, 20);
    const got = (await Promise.all(waits)).map(text).sort();
    expect(got).toEqual(['a', 'b', 'c']);
  });

  it('AbortSignal cancels a wait without losing the next message', async () => {
    const q = fresh();
    const ac = new AbortController();
    const waiting = q.receive({ signal: ac.signal });
    setTimeout(() => ac.abort(new Error('stop')), 20);
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' });
    await expect(q.receive({ signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ABORT_ERR' });
    await expect(q.send('x', { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ABORT_ERR' });
    expect(q.attributes.currentMessages).toBe(0); // the aborted send sent nothing
    q.trySend('after');
    expect(text(await q.receive({ signal: new AbortController().signal }))).toBe('after');
  });

  it('sync forms block with a bound', () => {
    const q = fresh({ maxMessages: 1 });
    expect(q.receiveSync({ timeout: 30 })).toBeNull();
    expect(q.sendSync('a', { timeout: 30 })).toBe(true);
    expect(q.sendSync('b', { timeout: 30, priority: 2 })).toBe(false);
    expect(q.receiveSync({ timeout: 0 })).toMatchObject({ priority: 0 });
    expect(q.receiveSync({ timeout: 0 })).toBeNull();
  });

  it('receiveSync picks up a message another process sends while it blocks', async () => {
    const q = fresh();
    const child = startFixture('mq-peer.js', ['send', q.name, 1, 150]);
    const m = q.receiveSync({ timeout: 20_000 });
    expect(m).toEqual({ data: Buffer.from('m0'), priority: 0 });
    expect(await child.exit()).toBe(0);
  });

  it('a child that opens by name receives in priority order', async () => {
    const q = fresh();
    q.trySend('low', { priority: 1 });
    q.trySend('high', { priority: 9 });
    q.trySend('mid', { priority: 4 });
    const reader = startFixture('mq-peer.js', ['receive', q.name, 4]);
    expect(await reader.next()).toBe('ready');
    expect(await reader.next()).toEqual({ data: 'high', priority: 9 });
    expect(await reader.next()).toEqual({ data: 'mid', priority: 4 });
    expect(await reader.next()).toEqual({ data: 'low', priority: 1 });
    // The fourth receive waits in the child until we send.
    await new Promise((r) => setTimeout(r, 50));
    await q.send('later', { priority: 2 });
    expect(await reader.next()).toEqual({ data: 'later', priority: 2 });
    expect(await reader.exit()).toBe(0);
  }, 30_000);

  it('a child that sends more than the queue holds waits until we receive', async () => {
    const q = fresh({ maxMessages: 3 });
    const child = startFixture('mq-peer.js', ['send', q.name, 30]);
    const seen: string[] = [];
    for (let i = 0; i < 30; i++) seen.push(text(await q.receive({ timeout: 20_000 }))!);
    expect(await child.exit()).toBe(0);
    // Every message exactly once; within one priority, in send order.
    expect([...seen].sort()).toEqual(Array.from({ length: 30 }, (_, i) => `m${i}`).sort());
    for (const p of [0, 1, 2]) {
      const order = seen.map((s) => Number(s.slice(1))).filter((i) => i % 3 === p);
      expect(order).toEqual([...order].sort((a, b) => a - b));
    }
  }, 30_000);

  it('round trips through a node echo child', async () => {
    const ping = fresh();
    const pong = fresh();
    const child = startFixture('mq-peer.js', ['echo', ping.name, pong.name, 50]);
    for (let i = 0; i < 50; i++) {
      await ping.send(`r${i}`, { priority: i % 7 });
      const m = await pong.receive({ timeout: 20_000 });
      expect(m).toEqual({ data: Buffer.from(`echo:r${i}`), priority: i % 7 });
    }
    expect(await child.exit()).toBe(0);
  }, 30_000);

  it('exchanges messages with a C program that opens the queue by name', async (ctx) => {
    const { exe, why } = compilePeer('posix_mq_peer', ['-lrt']);
    if (!exe) return ctx.skip(why);
    const toC = fresh({ messageSize: 128 });
    const fromC = fresh({ messageSize: 130 });
    const bytes = Buffer.from([0, 1, 2, 255, 254]);
    toC.trySend(bytes, { priority: 3 });
    toC.trySend('hello', { priority: 7 });
    const run = runToEnd(exe, [toC.name, fromC.name, 2]);
    const a = await fromC.receive({ timeout: 20_000 });
    const b = await fromC.receive({ timeout: 20_000 });
    await run;
    expect(a).toEqual({ data: Buffer.from('c:hello'), priority: 7 });
    expect(b).toEqual({ data: Buffer.concat([Buffer.from('c:'), bytes]), priority: 3 });
  }, 60_000);

  it('exchanges messages with Python over ctypes and librt', async (ctx) => {
    const py = pythonWith(['python3', '/usr/bin/python3'], 'ctypes');
    if (!py) return ctx.skip('no python3 with ctypes');
    const toPy = fresh();
    const fromPy = fresh();
    toPy.trySend('one', { priority: 1 });
    toPy.trySend('two', { priority: 2 });
    const run = runToEnd(py, [new URL('./fixtures/peers/posix_mq_peer.py', import.meta.url).pathname, toPy.name, fromPy.name, 2]);
    const got = [await fromPy.receive({ timeout: 20_000 }), await fromPy.receive({ timeout: 20_000 })];
    await run;
    expect(got).toEqual([
      { data: Buffer.from('py:two'), priority: 2 },
      { data: Buffer.from('py:one'), priority: 1 },
    ]);
  }, 60_000);

  it('close: idempotent, ClosedError after, pending waits reject with ClosedError', async () => {
    const q = fresh();
    const pending = q.receive();
    const pendingSend = (() => { const f = fresh({ maxMessages: 1 }); f.trySend('x'); const p = f.send('y'); f.close(); return p; })();
    q.close();
    q.close();
    await expect(pending).rejects.toBeInstanceOf(ClosedError);
    await expect(pendingSend).rejects.toMatchObject({ code: 'ERR_OSIPC_CLOSED' });
    expect(q.closed).toBe(true);
    expect(q.fd).toBe(-1);
    expect(() => q.trySend('x')).toThrow(ClosedError);
    expect(() => q.tryReceive()).toThrow(ClosedError);
    expect(() => q.receiveSync({ timeout: 0 })).toThrow(ClosedError);
    expect(() => q.attributes).toThrow(ClosedError);
    await expect(q.receive()).rejects.toBeInstanceOf(ClosedError);
    expect(() => q.unlink()).toThrow(ClosedError);
  });

  it('ownership: the creator unlinks on close, an opener never does, keep leaves it', () => {
    const q = fresh();
    const o = MessageQueue.open(q.name);
    o.close();
    MessageQueue.open(q.name).close(); // still there
    q.close();
    expect(() => MessageQueue.open(q.name)).toThrow(expect.objectContaining({ code: 'ENOENT', syscall: 'mq_open' }));
    const kept = MessageQueue.create({ name: uniqueName(), maxMessages: 1, messageSize: 8, keep: true });
    expect(kept.owner).toBe(false);
    kept.close();
    MessageQueue.open(kept.name).close();
    MessageQueue.unlink(kept.name);
  });

  it('the creator unlinks at exit; keep: true survives the process', async () => {
    const gone = uniqueName();
    const kept = uniqueName();
    const a = startFixture('mq-peer.js', ['create-and-exit', gone, 'false']);
    const b = startFixture('mq-peer.js', ['create-and-exit', kept, 'true']);
    expect(await a.next()).toBe('created');
    expect(await a.exit()).toBe(0);
    expect(await b.exit()).toBe(0);
    expect(() => MessageQueue.open(gone)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    MessageQueue.open(kept).close();
    MessageQueue.unlink(kept);
  });

  it('unlink removes the name but the open queue keeps working', () => {
    const q = fresh();
    const o = MessageQueue.open(q.name);
    q.unlink();
    expect(q.owner).toBe(false);
    expect(() => MessageQueue.open(q.name)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect(() => q.unlink()).toThrow(expect.objectContaining({ code: 'ENOENT', syscall: 'mq_unlink' }));
    expect(() => MessageQueue.unlink(q.name)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect(o.trySend('still')).toBe(true);
    expect(text(q.tryReceive())).toBe('still');
    o.close();
  });

  it('a closing owner does not unlink a newer queue that took its name', () => {
    const q = fresh();
    MessageQueue.unlink(q.name);
    const successor = MessageQueue.create({ name: q.name, maxMessages: 1, messageSize: 8 });
    q.close();
    MessageQueue.open(q.name).close(); // the successor is still there
    successor.close();
    expect(() => MessageQueue.open(q.name)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });

  it('readonly and writeonly descriptors', () => {
    const q = fresh();
    const r = MessageQueue.open(q.name, { readonly: true });
    const w = MessageQueue.open(q.name, { writeonly: true });
    expect(w.trySend('a')).toBe(true);
    expect(() => r.trySend('b')).toThrow(expect.objectContaining({ code: 'EBADF', syscall: 'mq_send' }));
    expect(() => w.tryReceive()).toThrow(expect.objectContaining({ code: 'EBADF', syscall: 'mq_receive' }));
    expect(text(r.tryReceive())).toBe('a');
    r.close();
    w.close();
  });

  it('travels by name: the rebuilt queue opens the same queue and does not own it', () => {
    const q = fresh();
    expect(q[kTransfer]()).toEqual({ kind: 'MessageQueue', data: { name: q.name, mode: 'rw' } });
    const packed = packHandles({ q });
    const { q: copy } = unpackHandles(packed.value, packed.fds) as { q: MessageQueue };
    expect(copy).toBeInstanceOf(MessageQueue);
    expect(copy.owner).toBe(false);
    copy.trySend('via handle');
    expect(text(q.tryReceive())).toBe('via handle');
    copy.close();
  });

  it('rejects bad names, options, data, priorities and timeouts with clear errors', async () => {
    for (const name of ['noslash', '/', '/a/b', 'x'.repeat(300), `/${'x'.repeat(300)}`, '/nul\0']) {
      expect(() => MessageQueue.create({ name }), name).toThrow(TypeError);
      expect(() => MessageQueue.open(name), name).toThrow(TypeError);
    }
    expect(() => MessageQueue.open(42 as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    for (const maxMessages of [0, -1, 1.5, NaN, Infinity]) {
      expect(() => MessageQueue.create({ maxMessages }), String(maxMessages)).toThrow(RangeError);
    }
    expect(() => MessageQueue.create({ messageSize: '8' as never })).toThrow(TypeError);
    expect(() => MessageQueue.create({ messageSize: 0 })).toThrow(RangeError);
    expect(() => MessageQueue.create({ mode: 0o10000 })).toThrow(RangeError);
    expect(() => MessageQueue.create({ keep: 1 as never })).toThrow(TypeError);
    expect(() => MessageQueue.create('x' as never)).toThrow(TypeError);
    expect(() => MessageQueue.open('/x', { readonly: true, writeonly: true })).toThrow(TypeError);

    const q = fresh({ messageSize: 8 });
    expect(() => q.trySend(Buffer.alloc(9))).toThrow(expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }));
    expect(() => q.sendSync('123456789')).toThrow(RangeError);
    await expect(q.send(Buffer.alloc(9))).rejects.toThrow(RangeError);
    expect(q.trySend(Buffer.alloc(8))).toBe(true);
    q.tryReceive();
    for (const priority of [-1, MQ_PRIO_MAX, 1.5, NaN]) {
      expect(() => q.trySend('x', { priority }), String(priority)).toThrow(RangeError);
    }
    expect(() => q.trySend('x', { priority: '1' as never })).toThrow(TypeError);
    for (const data of [42, null, undefined, {}, [1, 2]]) {
      expect(() => q.trySend(data as never), String(data)).toThrow(TypeError);
    }
    for (const timeout of [-1, NaN]) {
      await expect(q.receive({ timeout })).rejects.toThrow(RangeError);
      expect(() => q.receiveSync({ timeout })).toThrow(RangeError);
      expect(() => q.sendSync('x', { timeout })).toThrow(RangeError);
    }
    await expect(q.receive({ signal: 'no' as never })).rejects.toThrow(TypeError);
    expect(q.attributes.currentMessages).toBe(0);
  });

  it('reports missing and existing queues as system errors', () => {
    const q = fresh();
    expect(() => MessageQueue.create({ name: q.name })).toThrow(expect.objectContaining({ code: 'EEXIST', syscall: 'mq_open', path: q.name }));
    const missing = uniqueName();
    expect(() => MessageQueue.open(missing)).toThrow(expect.objectContaining({ code: 'ENOENT', errno: -2, syscall: 'mq_open', path: missing }));
    expect(() => MessageQueue.unlink(missing)).toThrow(expect.objectContaining({ code: 'ENOENT', syscall: 'mq_unlink' }));
  });

  it('names the system limit a create runs into', () => {
    // Above the kernel's fixed ceiling: EINVAL even for root.
    let err: Record<string, unknown> = {};
    try { MessageQueue.create({ name: uniqueName(), maxMessages: 70_000, messageSize: 8 }); } catch (e) { err = e as never; }
    expect(err).toMatchObject({ code: 'EINVAL', errno: -22, syscall: 'mq_open', limit: 'HARD_MSGMAX' });
    try { MessageQueue.create({ name: uniqueName(), maxMessages: 1, messageSize: 32 * 1024 * 1024 }); } catch (e) { err = e as never; }
    expect(err).toMatchObject({ code: 'EINVAL', limit: 'HARD_MSGSIZEMAX' });
  });

  it('names msg_max and msgsize_max for a process without CAP_SYS_RESOURCE', async (ctx) => {
    // Root has CAP_SYS_RESOURCE and may go past the sysctls: drop it in the child.
    let prefix: string[] = [];
    if (process.getuid?.() === 0) {
      try { execFileSync('setpriv', ['--version'], { stdio: 'ignore' }); } catch { return ctx.skip('root without setpriv'); }
      prefix = ['setpriv', '--bounding-set=-sys_resource'];
    }
    const msgMax = Number(readFileSync('/proc/sys/fs/mqueue/msg_max', 'utf8'));
    const sizeMax = Number(readFileSync('/proc/sys/fs/mqueue/msgsize_max', 'utf8'));
    const peer = new URL('./fixtures/mq-peer.js', import.meta.url).pathname;
    const run = (args: number[]): Promise<string> => {
      const argv = [...prefix, process.execPath, peer, 'create', ...args.map(String)];
      return runToEnd(argv[0]!, argv.slice(1));
    };
    const deep = JSON.parse(await run([msgMax + 1, 8]));
    expect(deep).toMatchObject({ code: 'EINVAL', syscall: 'mq_open', limit: '/proc/sys/fs/mqueue/msg_max' });
    expect(deep.message).toContain('sysctl -w fs.mqueue.msg_max=');
    const wide = JSON.parse(await run([1, sizeMax + 1]));
    expect(wide).toMatchObject({ code: 'EINVAL', limit: '/proc/sys/fs/mqueue/msgsize_max' });
  });

  it('names RLIMIT_MSGQUEUE when the per-user queue memory is used up', async (ctx) => {
    try { execFileSync('prlimit', ['--version'], { stdio: 'ignore' }); } catch { return ctx.skip('no prlimit'); }
    // A child whose RLIMIT_MSGQUEUE is 1000 bytes cannot create a 10 x 1000-byte queue.
    const out = await runToEnd('prlimit', ['--msgqueue=1000', process.execPath,
      new URL('./fixtures/mq-peer.js', import.meta.url).pathname, 'create', 10, 1000]);
    const err = JSON.parse(out);
    expect(err).toMatchObject({ code: 'EMFILE', syscall: 'mq_open', limit: 'RLIMIT_MSGQUEUE' });
    expect(err.message).toContain('RLIMIT_MSGQUEUE');
    expect(err.message).toContain('ulimit -q');
  });

  it('closes descriptors of dropped openers (GC) and of a worker thread that ends', async () => {
    const q = fresh();
    const name = JSON.stringify(q.name);
    const code = `
      import { readdirSync } from 'node:fs';
      import { Worker } from 'node:worker_threads';
      import { MessageQueue } from 'osipc';
      const fds = () => readdirSync('/proc/self/fd').length;
      const before = fds();
      for (let i = 0; i < 20; i++) MessageQueue.open(${name});
      const opened = fds();
      for (let i = 0; i < 5 && fds() > before; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 20)); }
      const afterGc = fds();
      const runWorker = (src) => new Promise((r) => new Worker(src, { eval: true }).on('exit', r));
      // A first worker that opens nothing: whatever Node itself keeps open for workers.
      await runWorker("import 'osipc';");
      const baseline = fds();
      await runWorker(${JSON.stringify("import { MessageQueue } from 'osipc'; for (let i = 0; i < 20; i++) MessageQueue.open(")} + ${JSON.stringify(name)} + ');');
      console.log(JSON.stringify({ before, opened, afterGc, baseline, afterWorker: fds() }));
    `;
    const out = await runToEnd(process.execPath, ['--expose-gc', '--input-type=module', '-e', code]);
    const r = JSON.parse(out);
    expect(r.opened).toBe(r.before + 20);
    expect(r.afterGc).toBe(r.before);
    expect(r.afterWorker).toBe(r.baseline);
  });

  it('leaks no descriptors', async () => {
    const before = openFds().length;
    for (let i = 0; i < 5; i++) {
      const q = MessageQueue.create({ name: uniqueName(), maxMessages: 1, messageSize: 8 });
      const o = MessageQueue.open(q.name);
      await q.receive({ timeout: 5 }); // creates and closes the poller
      q.trySend('x');
      await q.send('y', { timeout: 5 });
      o.close();
      q.close();
    }
    expect(openFds().length).toBe(before);
  });
});

describe.skipIf(linux)('MessageQueue off Linux', () => {
  it('throws an ENOSYS error that points to SysVMessageQueue', () => {
    expect(() => MessageQueue.create()).toThrow(expect.objectContaining({ code: 'ENOSYS', syscall: 'mq_open' }));
    expect(() => MessageQueue.create()).toThrow(/SysVMessageQueue/);
  });
});
