// SysVMessageQueue with real processes: node children that open by key or id,
// a C peer (msgsnd/msgrcv) and Python's sysv_ipc.
import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClosedError, SysVMessageQueue, SYSV_TYPE_MAX, ftok, kTransfer } from 'osipc';
import { packHandles, unpackHandles } from '../dist/transfer.js';
import { compilePeer, pythonWith, runToEnd, startFixture } from './helpers/procs.js';

let counter = 0;
const made: SysVMessageQueue[] = [];
/** A key no other test process uses: the pid and a counter. */
const uniqueKey = (): number => ((process.pid << 8) | (counter++ & 0xff)) & 0x7fffffff;

function fresh(opts: { key?: number; mode?: number } = {}): SysVMessageQueue {
  const q = SysVMessageQueue.create(opts);
  made.push(q);
  return q;
}

afterEach(() => {
  for (const q of made.splice(0)) q.close();
});

const text = (m: { data: Buffer } | null): string | undefined => m?.data.toString();
const msgmax = Number(readFileSync('/proc/sys/kernel/msgmax', 'utf8'));

function ipcsIds(): number[] {
  try {
    return execFileSync('ipcs', ['-q'], { encoding: 'utf8' }).split('\n')
      .map((l) => /^0x[0-9a-f]+\s+(\d+)\s/.exec(l)?.[1]).filter((x) => x !== undefined).map(Number);
  } catch {
    return [];
  }
}

describe('SysVMessageQueue', () => {
  it('creates a private queue that shows in ipcs -q, with stat()', () => {
    const q = fresh();
    expect(q.key).toBe(0);
    expect(q.id).toBeGreaterThanOrEqual(0);
    expect(ipcsIds()).toContain(q.id);
    const st = q.stat();
    expect(st).toMatchObject({
      key: 0, mode: 0o600, uid: process.getuid!(), cuid: process.getuid!(),
      currentMessages: 0, currentBytes: 0, lastSendPid: 0, lastSendTime: null,
    });
    expect(st.maxBytes).toBeGreaterThan(0);
    expect(st.lastChangeTime).toBeInstanceOf(Date);
    q.trySend('12345', { type: 4 });
    expect(q.stat()).toMatchObject({ currentMessages: 1, currentBytes: 5, lastSendPid: process.pid });
    q.tryReceive();
    expect(q.stat()).toMatchObject({ currentMessages: 0, lastReceivePid: process.pid });
    expect(q.stat().lastReceiveTime).toBeInstanceOf(Date);
  });

  it('creates by key (IPC_EXCL) and opens by key and by id', () => {
    const key = uniqueKey();
    const q = fresh({ key, mode: 0o640 });
    expect(q.key).toBe(key);
    expect(q.stat()).toMatchObject({ key, mode: 0o640 });
    expect(() => SysVMessageQueue.create({ key })).toThrow(expect.objectContaining({ code: 'EEXIST', syscall: 'msgget' }));
    const byKey = SysVMessageQueue.open(key);
    const byId = SysVMessageQueue.fromId(q.id);
    expect([byKey.id, byId.id, byId.key]).toEqual([q.id, q.id, key]);
    byKey.trySend('k');
    expect(text(byId.tryReceive())).toBe('k');
    byKey.close();
    byId.close();
    expect(SysVMessageQueue.open(key).id).toBe(q.id); // openers did not remove it
  });

  it('selects by type: 0 the first, > 0 that type, < 0 the lowest type up to |type|', async () => {
    const q = fresh();
    for (const [d, t] of [['a5', 5], ['b3', 3], ['c9', 9], ['d3', 3], ['e1', 1]] as const) q.trySend(d, { type: t });
    expect(q.tryReceive({ type: 9 })).toEqual({ data: Buffer.from('c9'), type: 9 });
    expect(q.tryReceive({ type: 7 })).toBeNull();
    expect(q.tryReceive({ type: -4 })).toEqual({ data: Buffer.from('e1'), type: 1 });
    expect(q.tryReceive({ type: -4 })).toEqual({ data: Buffer.from('b3'), type: 3 });
    expect(q.tryReceive()).toEqual({ data: Buffer.from('a5'), type: 5 });
    expect(await q.receive({ type: -3 })).toEqual({ data: Buffer.from('d3'), type: 3 });
    expect(q.receiveSync({ timeout: 0 })).toBeNull();
    q.trySend('big', { type: SYSV_TYPE_MAX });
    expect(q.receiveSync({ type: SYSV_TYPE_MAX, timeout: 100 })).toEqual({ data: Buffer.from('big'), type: SYSV_TYPE_MAX });
    // The default send type is 1.
    await q.send('dflt');
    expect(q.tryReceive({ type: 1 })?.type).toBe(1);
  });

  it('try forms: false when full, null when empty', () => {
    const q = fresh();
    expect(q.tryReceive()).toBeNull();
    const maxBytes = q.stat().maxBytes;
    const chunk = Buffer.alloc(Math.min(msgmax, maxBytes));
    let sent = 0;
    while (q.trySend(chunk)) sent++;
    expect(sent).toBe(Math.floor(maxBytes / chunk.length));
    expect(q.trySend(chunk)).toBe(false);
    expect(q.stat().currentMessages).toBe(sent);
  });

  it('Promise forms wait without blocking the loop and time out as values', async () => {
    const q = fresh();
    let ticks = 0;
    const t = setInterval(() => ticks++, 5);
    expect(await q.receive({ timeout: 80 })).toBeNull();
    expect(await q.receive({ timeout: 0 })).toBeNull();
    const chunk = Buffer.alloc(Math.min(msgmax, q.stat().maxBytes));
    while (q.trySend(chunk));
    expect(await q.send(chunk, { timeout: 60 })).toBe(false);
    clearInterval(t);
    expect(ticks).toBeGreaterThan(5);
    const pending = q.send('after room');
    setTimeout(() => q.tryReceive(), 20);
    expect(await pending).toBe(true);
    const late = q.receive({ type: 77 });
    setTimeout(() => q.trySend('77', { type: 77 }), 30);
    expect(await late).toEqual({ data: Buffer.from('77'), type: 77 });
  });

  it('many pending receives by type each get their own message', async () => {
    const q = fresh();
    const waits = Array.from({ length: 12 }, (_, i) => q.receive({ type: i + 1, timeout: 20_000 }));
    await new Promise((r) => setTimeout(r, 30));
    for (let i = 12; i >= 1; i--) q.trySend(`t${i}`, { type: i });
    const got = await Promise.all(waits);
    expect(got.map((m) => [text(m), m?.type])).toEqual(Array.from({ length: 12 }, (_, i) => [`t${i + 1}`, i + 1]));
    expect(q.stat().currentMessages).toBe(0);
  });

  it('AbortSignal cancels a wait without taking a message', async () => {
    const q = fresh();
    const ac = new AbortController();
    const waiting = q.receive({ signal: ac.signal });
    setTimeout(() => ac.abort(), 20);
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' });
    await expect(q.receive({ signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ABORT_ERR' });
    await expect(q.send('x', { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ABORT_ERR' });
    expect(q.stat().currentMessages).toBe(0);
    q.trySend('kept');
    expect(text(await q.receive({ signal: new AbortController().signal }))).toBe('kept');
  });

  it('sync forms block with a bound', () => {
    const q = fresh();
    expect(q.receiveSync({ timeout: 30 })).toBeNull();
    expect(q.sendSync('a', { type: 2, timeout: 30 })).toBe(true);
    expect(q.receiveSync({ type: 3, timeout: 30 })).toBeNull();
    expect(q.receiveSync({ type: 2, timeout: 30 })).toEqual({ data: Buffer.from('a'), type: 2 });
    const chunk = Buffer.alloc(Math.min(msgmax, q.stat().maxBytes));
    while (q.trySend(chunk));
    expect(q.sendSync(chunk, { timeout: 30 })).toBe(false);
  });

  it('receiveSync picks up what another process sends while it blocks (bounded and unbounded)', async () => {
    const key = uniqueKey();
    const q = fresh({ key });
    const a = startFixture('sysv-peer.js', ['send', key, 1, 3, 150]);
    expect(q.receiveSync({ type: 3, timeout: 20_000 })).toEqual({ data: Buffer.from('m0'), type: 3 });
    expect(await a.exit()).toBe(0);
    const b = startFixture('sysv-peer.js', ['send', key, 1, 4, 150]);
    expect(q.receiveSync({ type: 4 })).toEqual({ data: Buffer.from('m0'), type: 4 });
    expect(await b.exit()).toBe(0);
  }, 30_000);

  it('a child that opens by key sends more than the queue holds, in order per type', async () => {
    const key = uniqueKey();
    const q = fresh({ key });
    const children = [startFixture('sysv-peer.js', ['send', key, 300, 1]), startFixture('sysv-peer.js', ['send', key, 300, 2])];
    const byType: Record<number, string[]> = { 1: [], 2: [] };
    for (let i = 0; i < 600; i++) {
      const m = await q.receive({ timeout: 20_000 });
      byType[m!.type]!.push(text(m)!);
    }
    for (const c of children) expect(await c.exit()).toBe(0);
    const expected = Array.from({ length: 300 }, (_, i) => `m${i}`);
    expect(byType[1]).toEqual(expected);
    expect(byType[2]).toEqual(expected);
  }, 30_000);

  it('a child that opens a private queue by id receives by type', async () => {
    const q = fresh();
    const reader = startFixture('sysv-peer.js', ['receive-id', q.id, 2, 5]);
    expect(await reader.next()).toBe('ready');
    q.trySend('not for you', { type: 4 });
    await q.send('five', { type: 5 });
    await q.send('five again', { type: 5 });
    expect(await reader.next()).toEqual({ data: 'five', type: 5 });
    expect(await reader.next()).toEqual({ data: 'five again', type: 5 });
    expect(await reader.exit()).toBe(0);
    expect(text(q.tryReceive())).toBe('not for you');
  }, 30_000);

  it('round trips through a node echo child', async () => {
    const key = uniqueKey();
    const q = fresh({ key });
    const child = startFixture('sysv-peer.js', ['echo', key, 50]);
    for (let i = 0; i < 50; i++) {
      await q.send(`r${i}`, { type: 1 });
      expect(await q.receive({ type: 2, timeout: 20_000 })).toEqual({ data: Buffer.from(`echo:r${i}`), type: 2 });
    }
    expect(await child.exit()).toBe(0);
  }, 30_000);

  it('exchanges messages with a C program using msgsnd/msgrcv by key', async (ctx) => {
    const { exe, why } = compilePeer('sysv_mq_peer');
    if (!exe) return ctx.skip(why);
    const key = uniqueKey();
    const q = fresh({ key });
    const bytes = Buffer.from([0, 1, 2, 255]);
    q.trySend(bytes, { type: 1 });
    q.trySend('hello', { type: 1 });
    q.trySend('ignored by C', { type: 9 });
    await runToEnd(exe, [`0x${key.toString(16)}`, 2]);
    expect(q.tryReceive({ type: 2 })).toEqual({ data: Buffer.concat([Buffer.from('c:'), bytes]), type: 2 });
    expect(q.tryReceive({ type: 2 })).toEqual({ data: Buffer.from('c:hello'), type: 2 });
    expect(q.tryReceive()).toEqual({ data: Buffer.from('ignored by C'), type: 9 });
  }, 60_000);

  it("exchanges messages with Python's sysv_ipc by key", async (ctx) => {
    const py = pythonWith(['/usr/bin/python3', 'python3'], 'sysv_ipc');
    if (!py) return ctx.skip('no python3 with sysv_ipc (apt-get install python3-sysv-ipc)');
    const key = uniqueKey();
    const q = fresh({ key });
    q.trySend('one');
    q.trySend(Buffer.from([0xff, 0]));
    await runToEnd(py, [new URL('./fixtures/peers/sysv_mq_peer.py', import.meta.url).pathname, key, 2]);
    expect(q.tryReceive({ type: 2 })).toEqual({ data: Buffer.from('py:one'), type: 2 });
    expect(q.tryReceive({ type: 2 })).toEqual({ data: Buffer.from([0x70, 0x79, 0x3a, 0xff, 0]), type: 2 });
  }, 60_000);

  it('ftok gives the key C and Python get for the same file and id', async (ctx) => {
    const dir = mkdtempSync(join(tmpdir(), 'osipc-ftok-'));
    const file = join(dir, 'anchor');
    writeFileSync(file, '');
    try {
      const key = ftok(file, 65);
      expect(ftok(file, 65)).toBe(key);
      expect(ftok(file, 66)).not.toBe(key);
      const py = pythonWith(['/usr/bin/python3', 'python3'], 'sysv_ipc');
      if (!py) return ctx.skip('no python3 with sysv_ipc');
      const pyKey = Number(execFileSync(py, ['-c', `import sysv_ipc; print(sysv_ipc.ftok(${JSON.stringify(file)}, 65, True))`], { encoding: 'utf8' }));
      expect(key).toBe(pyKey);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('remove(): every user sees the queue gone; a blocked receiver in another process fails', async () => {
    const key = uniqueKey();
    const q = SysVMessageQueue.create({ key });
    const other = SysVMessageQueue.open(key);
    const waiter = startFixture('sysv-peer.js', ['wait-removed', key]);
    expect(await waiter.next()).toBe('ready');
    await new Promise((r) => setTimeout(r, 50));
    q.remove();
    expect(await waiter.next()).toMatchObject({ code: expect.stringMatching(/^(EINVAL|EIDRM)$/), syscall: 'msgrcv' });
    expect(await waiter.exit()).toBe(0);
    expect(() => q.stat()).toThrow(expect.objectContaining({ code: 'EIDRM', syscall: 'msgctl' }));
    expect(() => q.trySend('x')).toThrow(expect.objectContaining({ code: 'EIDRM', syscall: 'msgsnd' }));
    expect(() => other.trySend('x')).toThrow(expect.objectContaining({ code: expect.stringMatching(/^(EINVAL|EIDRM)$/), syscall: 'msgsnd' }));
    expect(() => SysVMessageQueue.open(key)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    q.close();
    other.close();
  }, 30_000);

  it('close: idempotent, ClosedError after, pending waits reject; owner removes, opener and keep do not', async () => {
    const key = uniqueKey();
    const q = SysVMessageQueue.create({ key });
    const opener = SysVMessageQueue.open(key);
    const pending = opener.receive();
    opener.close();
    opener.close();
    await expect(pending).rejects.toBeInstanceOf(ClosedError);
    expect(() => opener.tryReceive()).toThrow(ClosedError);
    expect(() => opener.stat()).toThrow(ClosedError);
    await expect(opener.send('x')).rejects.toBeInstanceOf(ClosedError);
    expect(SysVMessageQueue.open(key).id).toBe(q.id); // still there
    const id = q.id;
    q.close();
    expect(() => SysVMessageQueue.open(key)).toThrow(expect.objectContaining({ code: 'ENOENT', syscall: 'msgget' }));
    expect(() => SysVMessageQueue.fromId(id)).toThrow(expect.objectContaining({ code: expect.stringMatching(/^(EINVAL|EIDRM)$/) }));

    const kept = SysVMessageQueue.create({ key: uniqueKey(), keep: true });
    expect(kept.owner).toBe(false);
    kept.close();
    const again = SysVMessageQueue.open(kept.key);
    again.remove();
    again.close();
  });

  it('the creator removes at exit; keep: true survives the process', async () => {
    const gone = uniqueKey();
    const kept = uniqueKey();
    const a = startFixture('sysv-peer.js', ['create-and-exit', gone, 'false']);
    const b = startFixture('sysv-peer.js', ['create-and-exit', kept, 'true']);
    expect(await a.exit()).toBe(0);
    expect(await b.exit()).toBe(0);
    expect(() => SysVMessageQueue.open(gone)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    const q = SysVMessageQueue.open(kept);
    q.remove();
    q.close();
  });

  it('travels by id: the rebuilt queue is the same queue and does not own it', () => {
    const q = fresh();
    expect(q[kTransfer]()).toEqual({ kind: 'SysVMessageQueue', data: { id: q.id } });
    const packed = packHandles([q]);
    const [copy] = unpackHandles(packed.value, packed.fds) as SysVMessageQueue[];
    expect(copy!.owner).toBe(false);
    copy!.trySend('via id', { type: 3 });
    copy!.close();
    expect(q.tryReceive()).toEqual({ data: Buffer.from('via id'), type: 3 });
  });

  it('rejects bad keys, ids, types, data, sizes and timeouts with clear errors', async () => {
    for (const key of [0, 1.5, 2 ** 31, -(2 ** 31) - 1, NaN]) {
      expect(() => SysVMessageQueue.open(key), String(key)).toThrow(RangeError);
      if (key !== 0) expect(() => SysVMessageQueue.create({ key }), String(key)).toThrow(RangeError);
    }
    expect(() => SysVMessageQueue.create({ key: 0 })).toThrow(RangeError);
    expect(() => SysVMessageQueue.open('1' as never)).toThrow(TypeError);
    expect(() => SysVMessageQueue.fromId(-1)).toThrow(RangeError);
    expect(() => SysVMessageQueue.create({ mode: -1 })).toThrow(RangeError);
    expect(() => ftok('/definitely/not/here', 1)).toThrow(expect.objectContaining({ code: 'ENOENT', syscall: 'ftok' }));
    for (const id of [0, 256, 1.5]) expect(() => ftok('/tmp', id)).toThrow(RangeError);
    expect(() => ftok(1 as never, 1)).toThrow(TypeError);

    const q = fresh();
    for (const type of [0, -1, 1.5, SYSV_TYPE_MAX + 2, NaN]) {
      expect(() => q.trySend('x', { type }), String(type)).toThrow(RangeError);
    }
    expect(() => q.tryReceive({ type: 0.5 })).toThrow(RangeError);
    expect(() => q.tryReceive({ type: '1' as never })).toThrow(TypeError);
    expect(() => q.trySend(Buffer.alloc(msgmax + 1))).toThrow(expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }));
    expect(() => q.trySend(Buffer.alloc(msgmax + 1))).toThrow(/msgmax/);
    await expect(q.send(Buffer.alloc(msgmax + 1))).rejects.toThrow(RangeError);
    expect(q.trySend(Buffer.alloc(msgmax))).toBe(true);
    expect(q.tryReceive()!.data.length).toBe(msgmax);
    for (const data of [1, null, {}]) expect(() => q.trySend(data as never)).toThrow(TypeError);
    for (const timeout of [-5, NaN]) {
      await expect(q.receive({ timeout })).rejects.toThrow(RangeError);
      expect(() => q.receiveSync({ timeout })).toThrow(RangeError);
    }
    expect(() => SysVMessageQueue.open(uniqueKey())).toThrow(expect.objectContaining({ code: 'ENOENT', errno: -2, syscall: 'msgget' }));
    expect(q.stat().currentMessages).toBe(0);
  });
});
