// Connection and Pipe(): values and bytes between real processes, EOF, waits,
// sync forms, sharing one end among processes, handles over a Connection.
import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import v8 from 'node:v8';
import { Connection, EOFError, Pipe, type Connection as Conn } from 'osipc';
import { runNode } from './helpers/child.js';
import { holeBomb } from './helpers/v8-bombs.js';
import { openFds } from './helpers/leaks.js';
import { fixture, runWithArgs, spawnWithArgs } from './helpers/spawn-args.js';

const workers = fixture('conn-workers.js');
const open: Conn[] = [];
function pipe(options?: Parameters<typeof Pipe>[0]): [Conn, Conn] {
  const ends = Pipe(options);
  open.push(...ends);
  return ends;
}

afterEach(() => {
  for (const c of open.splice(0)) c.close();
});

describe('Pipe() and Connection in one process', () => {
  it('carries what the V8 serializer carries, equal to v8.deserialize(v8.serialize(x))', async () => {
    const [a, b] = pipe();
    const values: unknown[] = [
      0, -0, 1.5, -(2 ** 31), 2 ** 31, 2 ** 53, NaN, Infinity, 'ascii', 'é latin1', '日本語 ✓',
      'x'.repeat(100_000), true, false, null, undefined, [], [1, , 3], { a: { b: [1, 'two', null] } },
      { __proto__: null, x: 1 }, JSON.parse('{"__proto__": {"polluted": 1}}'), new Map([[1, { a: 2 }]]),
      new Set(['x']), new Date(0), /re/g, 10n, Buffer.from('bytes'), new Float64Array([1.5, 2]),
      Object.assign([1, 2], { extra: 'prop' }), { shared: [1], again: null as unknown },
    ];
    const shared = values[values.length - 1] as { shared: unknown; again: unknown };
    shared.again = shared.shared;
    for (const v of values) await a.send(v);
    for (const v of values) {
      const got = await b.recv();
      expect(got).toEqual(v8.deserialize(v8.serialize(v)));
    }
    const last = v8.deserialize(v8.serialize(shared)) as typeof shared;
    expect(last.again).toBe(last.shared);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('duplex ends both send and receive; simplex: first receives, second sends', async () => {
    const [a, b] = pipe();
    expect([a.readable, a.writable, b.readable, b.writable]).toEqual([true, true, true, true]);
    await b.send('back');
    expect(await a.recv()).toBe('back');
    const [r, w] = pipe({ duplex: false });
    expect([r.readable, r.writable, w.readable, w.writable]).toEqual([true, false, false, true]);
    await expect(r.send(1)).rejects.toMatchObject({ code: 'ERR_OSIPC_NOT_WRITABLE' });
    await expect(w.recv()).rejects.toMatchObject({ code: 'ERR_OSIPC_NOT_READABLE' });
    expect(() => w.recvSync()).toThrow(expect.objectContaining({ code: 'ERR_OSIPC_NOT_READABLE' }));
    expect(() => r.sendBytesSync(Buffer.from('x'))).toThrow(expect.objectContaining({ code: 'ERR_OSIPC_NOT_WRITABLE' }));
    await expect(w.poll()).rejects.toMatchObject({ code: 'ERR_OSIPC_NOT_READABLE' });
  });

  it('sendBytes/recvBytes with offset and size; maxLength refuses and leaves the message', async () => {
    const [a, b] = pipe();
    await a.sendBytes(Buffer.from('0123456789'), 2, 5);
    await a.sendBytes(new Uint16Array([1, 2]));
    await a.sendBytes(new ArrayBuffer(3));
    await expect(b.recvBytes({ maxLength: 4 })).rejects.toMatchObject({ code: 'ERR_OSIPC_MESSAGE_TOO_LARGE' });
    expect((await b.recvBytes()).toString()).toBe('23456');
    expect([...await b.recvBytes()]).toEqual([1, 0, 2, 0]);
    await a.flush(); // a send may be written at the end of this turn: before blocking, flush
    expect(b.recvBytesSync({ timeout: 1000 }).length).toBe(3);
    await a.sendBytes(Buffer.alloc(0));
    expect((await b.recvBytes()).length).toBe(0);
  });

  it('recvBytesInto fills the caller\'s buffer; too short refuses and leaves the message', async () => {
    const [a, b] = pipe();
    const buf = Buffer.alloc(16, 0xee);
    await a.sendBytes(Buffer.from('hello'));
    expect(await b.recvBytesInto(buf, 2)).toBe(5);
    expect(buf.subarray(0, 8).toString('latin1')).toBe('\xee\xeehello\xee');
    await a.sendBytes(Buffer.alloc(20, 1));
    await expect(b.recvBytesInto(buf)).rejects.toMatchObject({ code: 'ERR_OSIPC_BUFFER_TOO_SHORT' });
    expect(b.recvBytesIntoSync(new Uint8Array(32), 0, { timeout: 1000 })).toBe(20);
    await expect(b.recvBytesInto(buf, 17)).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await expect(b.recvBytesInto('x' as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    // a big message read straight into the buffer, across several reads
    const big = Buffer.alloc(3 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 1000) big[i] = i % 251;
    const into = Buffer.alloc(big.length);
    const sent = a.sendBytes(big);
    expect(await b.recvBytesInto(into)).toBe(big.length);
    await sent;
    expect(into.equals(big)).toBe(true);
  });

  it('recvBytesInto that times out mid-message gives the buffer back untouched from then on', async () => {
    const [a, b] = pipe();
    const payload = Buffer.alloc(100_000, 0x42);
    const header = Buffer.alloc(4);
    header.writeInt32BE(payload.length);
    writeRaw(a.fileno(), Buffer.concat([header, payload.subarray(0, 40_000)]));
    const mine = Buffer.alloc(payload.length);
    await expect(b.recvBytesInto(mine, 0, { timeout: 50 })).rejects.toMatchObject({ code: 'ERR_OSIPC_TIMEOUT' });
    mine.fill(0); // ours again: the connection must not write into it any more
    writeRaw(a.fileno(), payload.subarray(40_000));
    const got = await b.recvBytes({ timeout: 5000 });
    expect(got.equals(payload)).toBe(true);
    expect(mine.every((x) => x === 0)).toBe(true);
  });

  it('bytes read ahead go with a Connection that is sent on, partial message included', async () => {
    const [a, b] = pipe();
    const [x, y] = pipe();
    for (const m of ['one', 'two', 'three']) await a.send(m);
    await a.flush();
    expect(await b.recv()).toBe('one'); // 'two' and 'three' are now read ahead in b
    // then half of a big message, written raw, so b holds a partial frame too
    const payload = Buffer.alloc(200_000, 7);
    const header = Buffer.alloc(4);
    header.writeInt32BE(payload.length);
    await x.send(b); // b is sent on, holding two whole messages
    const b2 = (await y.recv()) as Conn;
    open.push(b2);
    expect(await b2.recv()).toBe('two');
    await x.send(b2); // holding 'three'
    const b3 = (await y.recv()) as Conn;
    open.push(b3);
    expect(await b3.recv()).toBe('three');
    writeRaw(a.fileno(), Buffer.concat([header, payload.subarray(0, 50_000)]));
    await expect(b3.recvBytes({ timeout: 50 })).rejects.toMatchObject({ code: 'ERR_OSIPC_TIMEOUT' });
    await x.send(b3); // holding half a message: the read token goes with it
    const b4 = (await y.recv()) as Conn;
    open.push(b4);
    // the original b shares the end: it waits its turn and never reads half a frame
    await expect(b.recvBytes({ timeout: 50 })).rejects.toMatchObject({ code: 'ERR_OSIPC_TIMEOUT' });
    writeRaw(a.fileno(), payload.subarray(50_000));
    expect((await b4.recvBytes({ timeout: 5000 })).equals(payload)).toBe(true);
    await a.send('after');
    expect(await b.recv({ timeout: 5000 })).toBe('after');
  });

  it('poll: false before, true after, true at EOF; pollSync alike', async () => {
    const [r, w] = pipe({ duplex: false });
    expect(await r.poll()).toBe(false);
    expect(await r.poll(30)).toBe(false);
    expect(r.pollSync(20)).toBe(false);
    await w.send('x');
    await w.flush();
    expect(await r.poll(1000)).toBe(true);
    expect(r.pollSync()).toBe(true);
    expect(await r.recv()).toBe('x');
    w.close();
    expect(await r.poll(1000)).toBe(true);
    await expect(r.recv()).rejects.toMatchObject({ code: 'ERR_OSIPC_EOF' });
  });

  it('recv timeout → TimeoutError, abort → AbortError, and the Connection still works after', async () => {
    const [a, b] = pipe();
    await expect(b.recv({ timeout: 20 })).rejects.toMatchObject({ code: 'ERR_OSIPC_TIMEOUT' });
    expect(() => b.recvSync({ timeout: 20 })).toThrow(expect.objectContaining({ code: 'ERR_OSIPC_TIMEOUT' }));
    const ac = new AbortController();
    const pending = b.recv({ signal: ac.signal });
    setTimeout(() => ac.abort(), 20);
    await expect(pending).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' });
    await expect(b.recv({ signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ABORT_ERR' });
    await a.send('still fine');
    expect(await b.recv({ timeout: 1000 })).toBe('still fine');
  });

  it('close(): pending recv rejects with ClosedError, later calls too; idempotent', async () => {
    const [a, b] = pipe();
    const pending = b.recv();
    b.close();
    await expect(pending).rejects.toMatchObject({ code: 'ERR_OSIPC_CLOSED' });
    b.close();
    expect(b.closed).toBe(true);
    await expect(b.recv()).rejects.toMatchObject({ code: 'ERR_OSIPC_CLOSED' });
    await expect(b.send(1)).rejects.toMatchObject({ code: 'ERR_OSIPC_CLOSED' });
    expect(() => b.fileno()).toThrow(expect.objectContaining({ code: 'ERR_OSIPC_CLOSED' }));
    // the other end sees EOF, and a send to a closed peer fails with EPIPE
    await expect(a.recv()).rejects.toBeInstanceOf(EOFError);
    await expect((async () => { for (;;) await a.sendBytes(Buffer.alloc(65536)); })())
      .rejects.toMatchObject({ code: 'EPIPE' });
  });

  it('an idle Connection does not keep the process alive; a pending recv does', async () => {
    const idle = await runNode(`
      import { Pipe } from 'osipc';
      const [a, b] = Pipe();
      setTimeout(() => a.send('x'), 10);
      console.log(await b.recv());
    `, [], 10_000);
    expect(idle.stdout.trim()).toBe('x');
    expect(idle.code).toBe(0);
    const waiting = await runNode(`
      import { Pipe } from 'osipc';
      const [a, b] = Pipe();
      setTimeout(() => { console.log('still alive'); a.send('late'); }, 300);
      console.log(await b.recv());
      a.close(); b.close();
    `, [], 10_000);
    expect(waiting.stdout).toBe('still alive\nlate\n');
  });

  it('for await ends at EOF', async () => {
    const [r, w] = pipe({ duplex: false });
    for (let i = 0; i < 5; i++) void w.send(i);
    w.close();
    const got: unknown[] = [];
    for await (const v of r) got.push(v);
    expect(got).toEqual([0, 1, 2, 3, 4]);
  });

  it('bad input: unserializable values, oversized frames, wrong types', async () => {
    const [a, b] = pipe({ maxMessageSize: 1024 });
    expect(a.maxMessageSize).toBe(1024);
    await expect(a.send(() => 1)).rejects.toMatchObject({ name: 'DataCloneError' });
    await expect(a.send({ f: Symbol('s') })).rejects.toMatchObject({ name: 'DataCloneError' });
    expect(() => a.sendSync(new WeakMap())).toThrow(expect.objectContaining({ name: 'DataCloneError' }));
    await expect(a.send('x'.repeat(2000))).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await expect(a.sendBytes(Buffer.alloc(1025))).rejects.toBeInstanceOf(RangeError);
    await expect(a.sendBytes('text' as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    await expect(a.sendBytes(Buffer.alloc(4), 5)).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await expect(a.sendBytes(Buffer.alloc(4), 1, 4)).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await expect(b.recv({ timeout: -1 })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await expect(b.recv({ signal: 'no' as never })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    await expect(b.poll(-1)).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    expect(() => Pipe({ duplex: 'yes' as never })).toThrow(TypeError);
    expect(() => Pipe({ maxMessageSize: 0 })).toThrow(RangeError);
    expect(() => new (Connection as unknown as new (fd: number) => Conn)(3)).toThrow(TypeError);
    // nothing bad was queued: the next message goes through
    await a.send('ok');
    expect(await b.recv()).toBe('ok');
  });

  it('a peer announcing a frame over the limit gets a clear error, without the allocation', async () => {
    const [a, b] = pipe({ maxMessageSize: 1024 });
    const big = Buffer.alloc(4);
    big.writeInt32BE(0x7ffffff0);
    // the frame header alone, written raw, as a hostile peer would send it
    await a.sendBytes(Buffer.alloc(0)); // a valid empty frame first
    expect((await b.recvBytes()).length).toBe(0);
    writeRaw(a.fileno(), big);
    await expect(b.recv()).rejects.toMatchObject({ code: 'ERR_OSIPC_MESSAGE_TOO_LARGE' });
    // the stream cannot be trusted any more: the error stays
    await expect(b.recv()).rejects.toMatchObject({ code: 'ERR_OSIPC_MESSAGE_TOO_LARGE' });
  });

  it('garbage from a raw peer: 10k random frames end in a value or a clear error each', async () => {
    const [a, b] = pipe();
    const fd = a.fileno();
    const rssBefore = process.memoryUsage().rss;
    let values = 0;
    let errors = 0;
    for (let i = 0; i < 10_000; i++) {
      const len = Math.floor(Math.random() * 64);
      const frame = Buffer.alloc(4 + len);
      frame.writeInt32BE(len);
      for (let j = 4; j < frame.length; j++) frame[j] = Math.floor(Math.random() * 256);
      if (len >= 2 && i % 2 === 0) { frame[4] = 0xff; frame[5] = 0x0f; } // looks like V8 data
      writeRaw(fd, frame);
      try {
        await b.recv({ timeout: 5000 });
        values++;
      } catch (err) {
        expect((err as { code?: string }).code).toBe('ERR_OSIPC_BAD_MESSAGE');
        errors++;
      }
    }
    expect(values + errors).toBe(10_000);
    expect(errors).toBeGreaterThan(0);
    // random headers break the framing: a clear error, once and for all
    const [c, d] = pipe();
    const junk = Buffer.alloc(4096);
    for (let j = 0; j < junk.length; j++) junk[j] = Math.floor(Math.random() * 256);
    junk.writeInt32BE(-7, 0);
    writeRaw(c.fileno(), junk);
    await expect(d.recv({ timeout: 5000 })).rejects.toMatchObject({ code: 'ERR_OSIPC_BAD_MESSAGE' });
    await expect(d.recv({ timeout: 5000 })).rejects.toMatchObject({ code: 'ERR_OSIPC_BAD_MESSAGE' });
    // a frame that announces fds which never came
    const [e, f] = pipe();
    const liar = Buffer.alloc(12 + 3);
    liar.writeInt32BE(-2, 0);
    liar.writeUInt32BE(5, 4);
    liar.writeUInt32BE(3, 8);
    writeRaw(e.fileno(), liar);
    await expect(f.recv({ timeout: 5000 })).rejects.toMatchObject({ code: 'ERR_OSIPC_BAD_MESSAGE' });
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(256 * 1024 * 1024);
  });

  // The fast reader hands a Map to v8 whole, and v8 sets aside 8 bytes per
  // hole an array declares: 16 such arrays (197 bytes) would take 4 GB.
  it('a raw peer process sending arrays with holes of billions of elements: a clear error, no allocation', async () => {
    const [mine, theirs] = pipe();
    const bomb = holeBomb(16, 32_000_000);
    const peer = spawn(process.execPath, ['-e', `
      const { writeSync } = require('node:fs');
      const bomb = Buffer.from(process.argv[1], 'hex');
      const head = Buffer.alloc(4);
      head.writeInt32BE(bomb.length);
      writeSync(3, Buffer.concat([head, bomb]));
      const ok = require('node:v8').serialize('after');
      head.writeInt32BE(ok.length);
      writeSync(3, Buffer.concat([head, ok]));`, bomb.toString('hex')], { stdio: ['ignore', 'inherit', 'inherit', theirs.fileno()] });
    theirs.close();
    const rss = process.memoryUsage().rss;
    await expect(mine.recv({ timeout: 10_000 })).rejects.toMatchObject({ code: 'ERR_OSIPC_BAD_MESSAGE' });
    expect(process.memoryUsage().rss - rss).toBeLessThan(256 * 1024 * 1024);
    // A bad value in a sound frame: the stream goes on.
    expect(await mine.recv({ timeout: 10_000 })).toBe('after');
    await new Promise((resolve) => peer.on('exit', resolve));
  });

  it('a Connection cannot travel over a simplex pipe (no fd passing there)', async () => {
    const [r, w] = pipe({ duplex: false });
    const [x] = pipe();
    await expect(w.send({ conn: x })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
    await w.send('after');
    expect(await r.recv()).toBe('after');
  });

  it('a Connection travels over a Connection in the same process and works', async () => {
    const [a, b] = pipe();
    const [x, y] = pipe();
    await a.send({ conn: x, note: 'here' });
    const got = (await b.recv()) as { conn: Conn; note: string };
    open.push(got.conn);
    expect(got.conn).toBeInstanceOf(Connection);
    expect(got.note).toBe('here');
    x.close(); // the copy in flight is a duplicate
    await got.conn.send('via the received end');
    expect(await y.recv()).toBe('via the received end');
    await y.send('back');
    expect(await got.conn.recv()).toBe('back');
  });

  it('close() still writes what was sent, then the reader sees EOF', async () => {
    const [r, w] = pipe({ duplex: false });
    const big = Buffer.alloc(4 * 1024 * 1024, 3);
    void w.sendBytes(big); // not awaited: more than the pipe holds
    void w.send('last');
    w.close();
    expect(w.closed).toBe(true);
    expect((await r.recvBytes({ timeout: 10_000 })).equals(big)).toBe(true);
    expect(await r.recv({ timeout: 10_000 })).toBe('last');
    await expect(r.recv({ timeout: 10_000 })).rejects.toMatchObject({ code: 'ERR_OSIPC_EOF' });
  });

  it('one message carries many Connections (their fds together)', async () => {
    const [a, b] = pipe();
    const pairs = Array.from({ length: 20 }, () => pipe());
    await a.send({ ends: pairs.map(([x]) => x), n: 20 });
    const got = (await b.recv()) as { ends: Conn[]; n: number };
    open.push(...got.ends);
    expect(got.ends.length).toBe(20);
    await Promise.all(got.ends.map((c, i) => c.send(i)));
    for (let i = 0; i < 20; i++) expect(await pairs[i]![1].recv({ timeout: 5000 })).toBe(i);
  });

  it('closes every fd it opened (pipes, transfers, close with pending data)', async () => {
    const before = openFds().length;
    for (let i = 0; i < 20; i++) {
      const [a, b] = Pipe();
      const [x, y] = Pipe();
      await a.send([x, i]);
      const [x2] = (await b.recv()) as [Conn, number];
      await x2.send('hi');
      expect(await y.recv()).toBe('hi');
      void a.send('pending'); // flushed by close
      for (const c of [a, b, x, y, x2]) c.close();
      await new Promise((res) => setImmediate(res));
    }
    await new Promise((res) => setTimeout(res, 50));
    expect(openFds().length).toBe(before);
  });
});

describe('Connection between processes', () => {
  // send() writes the first message at once and a burst after it on a later
  // turn of the event loop, which never came while recvSync/pollSync blocked
  // the thread: the child never got the messages it was to answer, and
  // recvSync waited for ever (here: until its timeout).
  it('recvSync and pollSync after a burst of send()s: the queued messages are written while they wait', async () => {
    const [a, b] = pipe();
    const child = spawnWithArgs(workers, 'echo', [b]);
    b.close();
    await a.send('ready');
    expect(await a.recv({ timeout: 10_000 })).toBe('ready');
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 20; i++) void a.send({ round, i });
      for (let i = 0; i < 20; i++) expect(a.recvSync({ timeout: 10_000 })).toEqual({ round, i });
    }
    for (let i = 0; i < 20; i++) void a.send(i);
    expect(a.pollSync(10_000)).toBe(true);
    for (let i = 0; i < 20; i++) expect(await a.recv({ timeout: 10_000 })).toBe(i);
    a.close();
    expect((await child.result).code).toBe(0);
  });

  // A message bigger than the socket buffer is written in pieces as the peer
  // reads them: pollSync wrote the first piece, then waited for READABLE
  // only, and the peer, waiting for the rest before it could answer, never
  // got it (pollSync returned false at its timeout).
  it('pollSync after send() of a message bigger than the socket buffer: the rest is written while it waits', async () => {
    const [a, b] = pipe();
    const child = spawnWithArgs(workers, 'echo', [b]);
    b.close();
    await a.send('ready');
    expect(await a.recv({ timeout: 10_000 })).toBe('ready');
    const big = 'x'.repeat(4 * 1024 * 1024);
    const sent = a.send(big);
    expect(a.pollSync(10_000)).toBe(true);
    await sent;
    expect(a.recvSync({ timeout: 10_000 })).toBe(big);
    a.close();
    expect((await child.result).code).toBe(0);
  });

  it('spin: recv polls before it sleeps, both forms, with a child doing the same', async () => {
    const [a, b] = Pipe({ spin: 100 });
    expect(a.spin).toBe(100);
    b.spin = 0;
    expect(b.spin).toBe(0);
    const child = spawnWithArgs(workers, 'echo', [b]);
    b.close();
    for (let i = 0; i < 2000; i++) {
      await a.send({ i });
      expect(await a.recv({ timeout: 10_000 })).toEqual({ i });
    }
    for (let i = 0; i < 200; i++) {
      void a.send({ i });
      expect(a.recvSync({ timeout: 10_000 })).toEqual({ i });
    }
    // A recv that times out while polling: a TimeoutError all the same.
    a.spin = 10_000;
    await expect(a.recv({ timeout: 1 })).rejects.toMatchObject({ code: 'ERR_OSIPC_TIMEOUT' });
    expect(() => a.recvSync({ timeout: 1 })).toThrow(expect.objectContaining({ code: 'ERR_OSIPC_TIMEOUT' }));
    a.close();
    expect((await child.result).code).toBe(0);
    const [c] = pipe();
    expect(() => { c.spin = -1; }).toThrow(RangeError);
    expect(() => { c.spin = 10_001; }).toThrow(RangeError);
    expect(() => { c.spin = 1.5; }).toThrow(RangeError);
    expect(() => { c.spin = '5' as never; }).toThrow(TypeError);
    expect(() => Pipe({ spin: -5 })).toThrow(RangeError);
    expect(() => Connection.fromFd(c.fileno(), { spin: 'x' as never })).toThrow(TypeError);
  });

  // A recv's timeout bounds the whole call, polling included: recvSync({
  // timeout: 0 }) blocked for the whole spin (10 ms here).
  it('spin: a recv polls no longer than its timeout', async () => {
    const [a, b] = pipe();
    let sync = Infinity;
    let async = Infinity;
    for (let i = 0; i < 5; i++) {
      a.spin = 10_000; // a fresh, full budget each time
      let t = performance.now();
      expect(() => a.recvSync({ timeout: 0 })).toThrow(expect.objectContaining({ code: 'ERR_OSIPC_TIMEOUT' }));
      sync = Math.min(sync, performance.now() - t);
      a.spin = 10_000;
      t = performance.now();
      await expect(a.recv({ timeout: 1 })).rejects.toMatchObject({ code: 'ERR_OSIPC_TIMEOUT' });
      async = Math.min(async, performance.now() - t);
    }
    expect(sync).toBeLessThan(5);
    expect(async).toBeLessThan(6);
    a.close();
    b.close();
  });

  it('keeps order over 10k round trips with a child, and sync forms there', async () => {
    const [a, b] = pipe();
    const child = spawnWithArgs(workers, 'echo', [b]);
    b.close();
    for (let i = 0; i < 10_000; i++) {
      void a.send({ i });
    }
    for (let i = 0; i < 10_000; i++) expect(await a.recv()).toEqual({ i });
    a.close();
    expect((await child.result).code).toBe(0);

    const [c, d] = pipe();
    const syncChild = spawnWithArgs(workers, 'echoSync', [d, 100]);
    d.close();
    for (let i = 0; i < 100; i++) {
      c.sendSync({ i }, { timeout: 10_000 });
      expect(c.recvSync({ timeout: 10_000 })).toEqual({ i });
    }
    const res = await syncChild.result;
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
  });

  it('moves 32 MiB messages both ways (bytes and values)', async () => {
    const [a, b] = pipe();
    const child = spawnWithArgs(workers, 'echoBytes', [b]);
    b.close();
    const big = Buffer.alloc(32 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4096) big[i] = i & 0xff;
    await a.sendBytes(big);
    const back = await a.recvBytes({ timeout: 30_000 });
    expect(back.length).toBe(big.length);
    expect(back.equals(big)).toBe(true);
    a.close();
    await child.result;

    const [c, d] = pipe();
    const echo = spawnWithArgs(workers, 'echo', [d]);
    d.close();
    const value = { data: big, list: Array.from({ length: 1000 }, (_, i) => i) };
    await c.send(value);
    const got = (await c.recv({ timeout: 30_000 })) as typeof value;
    expect(Buffer.from(got.data).equals(big)).toBe(true);
    expect(got.list).toEqual(value.list);
    c.close();
    await echo.result;
  });

  it('takes 100k small messages from a child producer', async () => {
    const [r, w] = pipe({ duplex: false });
    const child = spawnWithArgs(workers, 'produce', [w, 100_000, 'p']);
    w.close();
    let n = 0;
    let sum = 0;
    for await (const v of r) {
      const m = v as { i: number; from: string };
      expect(m.i).toBe(n);
      n++;
      sum += m.i;
    }
    expect(n).toBe(100_000);
    expect(sum).toBe((100_000 * 99_999) / 2);
    expect((await child.result).code).toBe(0);
  });

  it('EOF only once every writer has closed (three writer processes, big and small frames)', async () => {
    const [r, w] = pipe({ duplex: false });
    const children = [0, 1, 2].map((k) => spawnWithArgs(workers, 'produce', [w, 2000, `w${k}`, true]));
    w.close();
    const seen = new Map<string, number>();
    let total = 0;
    for (;;) {
      let m: { i: number; from: string };
      try {
        m = (await r.recv({ timeout: 30_000 })) as typeof m;
      } catch (err) {
        expect(err).toBeInstanceOf(EOFError);
        expect((err as EOFError).code).toBe('ERR_OSIPC_EOF');
        break;
      }
      // each writer's messages arrive whole and in its own order
      expect(m.i).toBe(seen.get(m.from) ?? 0);
      seen.set(m.from, m.i + 1);
      total++;
    }
    expect(total).toBe(6000);
    for (const c of children) expect((await c.result).code).toBe(0);
  });

  it('several consumer processes share one end: each message read exactly once', async () => {
    const [r, w] = pipe({ duplex: false });
    const consumers = ['c1', 'c2', 'c3'].map((name) => runWithArgs(workers, 'consume', [r, name]));
    r.close();
    const N = 3000;
    for (let i = 0; i < N; i++) await w.send({ i, pad: 'x'.repeat(i % 7 === 0 ? 9000 : 10) });
    for (let k = 0; k < 3; k++) await w.send(null); // one sentinel each
    await w.flush();
    const results = await Promise.all(consumers);
    let n = 0;
    let sum = 0;
    for (const res of results) {
      expect(res.stderr).toBe('');
      const line = JSON.parse(res.stdout.trim()) as { n: number; sum: number };
      n += line.n;
      sum += line.sum;
    }
    expect(n).toBe(N);
    expect(sum).toBe((N * (N - 1)) / 2);
  });

  it('a Connection sent over a Connection works in the child', async () => {
    const [a, b] = pipe();
    const [x, y] = pipe();
    const child = spawnWithArgs(workers, 'echoOverReceived', [b]);
    b.close();
    await a.send(y);
    y.close();
    await x.send({ over: 'the passed end' });
    expect(await x.recv({ timeout: 10_000 })).toEqual({ over: 'the passed end' });
    x.close();
    a.close();
    const res = await child.result;
    expect(res.stdout).toContain('got a Connection');
    expect(res.code).toBe(0);
  });
});

// ---- raw helpers: a peer that writes bytes without the library's framing ----
import { writeSync } from 'node:fs';

function writeRaw(fd: number, bytes: Buffer): void {
  let off = 0;
  while (off < bytes.length) {
    try {
      off += writeSync(fd, bytes, off);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
    }
  }
}

