// A process SIGKILLed in the middle of a message on a Connection end it shares
// with others: the others find the dead holder of the end's token and get
// ERR_OSIPC_CONNECTION_BROKEN (the byte stream no longer starts at a message),
// never a hang and never a garbled message. Holders that died between messages
// break nothing.
import { afterEach, describe, expect, it } from 'vitest';
import { writeSync } from 'node:fs';
import { Pipe, type Connection } from 'osipc';
import { openFds } from './helpers/leaks.js';
import { until } from './helpers/procfs.js';
import { lineReader } from './helpers/procfs.js';
import { fixture, spawnWithArgs, type RunningChild } from './helpers/spawn-args.js';

const holders = fixture('shared-end-holders.js');
const BROKEN = { code: 'ERR_OSIPC_CONNECTION_BROKEN' };
const children: RunningChild[] = [];
const open: Connection[] = [];

afterEach(async () => {
  for (const c of children.splice(0)) {
    c.kill('SIGKILL');
    await c.result;
  }
  for (const c of open.splice(0)) c.close();
});

async function killAndReap(child: RunningChild): Promise<void> {
  child.kill('SIGKILL');
  expect((await child.result).signal).toBe('SIGKILL');
}

describe('a holder killed mid-message on a shared Connection end', () => {
  it('mid-write: the other writers get ERR_OSIPC_CONNECTION_BROKEN (async and Sync), the reader EOF once they close', async () => {
    const fdsBefore = openFds().length;
    const [r, w] = Pipe({ duplex: false });
    open.push(r, w);
    const writer = spawnWithArgs(holders, 'writeBig', [w, 8]);
    children.push(writer);
    await lineReader(writer)(/^writing/);
    // Part of the message is in the pipe, and nobody reads: the child holds the token mid-frame.
    expect(await until(() => r.pollSync(0), 10_000)).toBe(true);
    await killAndReap(writer);

    await expect(w.send('after')).rejects.toMatchObject(BROKEN);
    expect(() => w.sendBytesSync(Buffer.from('x'), undefined, undefined, { timeout: 10_000 })).toThrow(expect.objectContaining(BROKEN));
    // The reader has a message that never ends: once the writers are gone it is told so.
    w.close();
    await expect(r.recvBytes({ timeout: 10_000 })).rejects.toMatchObject({ code: 'ERR_OSIPC_EOF' });
    r.close();
    open.length = 0;
    expect(openFds().length).toBeLessThanOrEqual(fdsBefore);
  });

  it('mid-read: the other readers get ERR_OSIPC_CONNECTION_BROKEN instead of reading from the middle of a message', async () => {
    const [r, w] = Pipe({ duplex: false });
    open.push(r, w);
    const reader = spawnWithArgs(holders, 'readOne', [r]);
    children.push(reader);
    await lineReader(reader)(/^reading/);
    // A message announced as 1 MiB of which 32 KiB come: the child reads them and waits for the rest.
    const part = Buffer.alloc(4 + 32 * 1024, 0x62);
    part.writeInt32BE(1024 * 1024, 0);
    expect(writeSync(w.fileno(), part)).toBe(part.length);
    expect(await until(() => !r.pollSync(0), 10_000)).toBe(true);
    await killAndReap(reader);

    const t0 = Date.now();
    await expect(r.recvBytes({ timeout: 20_000 })).rejects.toMatchObject(BROKEN);
    expect(Date.now() - t0).toBeLessThan(15_000); // found, not timed out
    expect(() => r.recvSync({ timeout: 10_000 })).toThrow(expect.objectContaining(BROKEN));
    await expect(r.recv({ timeout: 10_000 })).rejects.toMatchObject(BROKEN); // for good
  });

  it('a holder that closes mid-read and exits: the last holder, alone now, still gets ERR_OSIPC_CONNECTION_BROKEN', async () => {
    const [r, w] = Pipe({ duplex: false });
    open.push(r, w);
    const reader = spawnWithArgs(holders, 'readPartAndLeave', [r]);
    children.push(reader);
    const lines = lineReader(reader);
    await lines(/^reading/);
    const part = Buffer.alloc(4 + 32 * 1024, 0x62);
    part.writeInt32BE(64 * 1024, 0);
    expect(writeSync(w.fileno(), part)).toBe(part.length);
    expect(await lines(/^failed/)).toBe('failed ERR_OSIPC_TIMEOUT');
    expect((await reader.result).code).toBe(0);
    // The rest of its message, then a whole one: read from the middle, without the token, they are garbage.
    expect(writeSync(w.fileno(), Buffer.alloc(32 * 1024, 0x62))).toBe(32 * 1024);
    await w.sendBytes(Buffer.from('whole'));
    await expect(r.recvBytes({ timeout: 10_000 })).rejects.toMatchObject(BROKEN);
    expect(() => r.recvBytesSync({ timeout: 1000 })).toThrow(expect.objectContaining(BROKEN));
  });

  it('a holder killed between messages breaks nothing: the others go on', async () => {
    const [r, w] = Pipe({ duplex: false });
    open.push(r, w);
    const reader = spawnWithArgs(holders, 'readOne', [r]);
    children.push(reader);
    const lines = lineReader(reader);
    await lines(/^reading/);
    await w.send({ first: true });
    // The child took its one message and sits idle, holding no token.
    await lines(/^got/);
    await killAndReap(reader);
    await w.send({ second: true });
    expect(await r.recv({ timeout: 10_000 })).toEqual({ second: true });
    // The dead holder still counts as one (it never closed): reads go on locking, correctly.
    const big = r.recvBytes({ timeout: 10_000 });
    await w.sendBytes(Buffer.alloc(200_000, 1));
    expect((await big).length).toBe(200_000);
  });
});
