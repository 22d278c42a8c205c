// A wait for a shared Connection end's token (held by another process) must
// end when this very process takes the token meanwhile (a Sync call that then
// timed out mid-message, or another recv): otherwise it waits for itself, for
// ever, and the end is stuck for every holder. Found by the reliability
// `connection` workload (workers that did not stop when asked).
import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { writeSync } from 'node:fs';
import { Pipe, type Connection } from 'osipc';
import { packageRoot } from './helpers/child.js';
import { lineReader, until } from './helpers/procfs.js';
import { fixture, spawnWithArgs, type RunningChild } from './helpers/spawn-args.js';

const holders = fixture('shared-end-holders.js');
const TIMEOUT = { code: 'ERR_OSIPC_TIMEOUT' };
const children: RunningChild[] = [];
const open: Connection[] = [];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

afterEach(async () => {
  for (const c of children.splice(0)) {
    c.kill('SIGKILL');
    await c.result;
  }
  for (const c of open.splice(0)) c.close();
});

/** A frame as Connection writes it: a 4-byte big-endian length, then the bytes. */
function frame(size: number, fill: number): Buffer {
  const b = Buffer.alloc(4 + size, fill);
  b.writeInt32BE(size, 0);
  return b;
}

describe('a wait for a shared end\'s token ends when this process takes the token', () => {
  it('write token: a background send goes on after a sendBytesSync took the token and timed out mid-message', async () => {
    const [r, w] = Pipe({ duplex: false });
    open.push(r, w);
    const child = spawnWithArgs(holders, 'writeBig', [w, 1]);
    children.push(child);
    await lineReader(child)(/^writing/);
    expect(await until(() => r.pollSync(0), 10_000)).toBe(true);
    // The child holds the write token mid-message: this send waits for it in the background.
    await w.sendBytes(Buffer.from('first')); // small: settles once queued
    await sleep(50);

    // One synchronous stretch, so the background wait cannot take the token first:
    // read the child's message (its token is let go), then take the token ourselves.
    expect(r.recvBytesSync({ timeout: 10_000 }).length).toBe(1024 * 1024);
    const big = Buffer.alloc(1024 * 1024, 0x63);
    expect(() => w.sendBytesSync(big, undefined, undefined, { timeout: 50 })).toThrow(expect.objectContaining(TIMEOUT));

    // The rest goes in the background, whose wait for the token must see that we hold it.
    expect((await r.recvBytes({ timeout: 10_000 })).toString()).toBe('first');
    expect((await r.recvBytes({ timeout: 10_000 })).equals(big)).toBe(true);
    await w.flush();
  });

  it('read token: a pending recv goes on after a recvBytesSync took the token and timed out mid-message', async () => {
    const [r, w] = Pipe({ duplex: false });
    open.push(r, w);
    const child = spawnWithArgs(holders, 'readOne', [r]);
    children.push(child);
    const lines = lineReader(child);
    await lines(/^reading/);
    const fd = w.fileno();
    // The child's message: half of it comes, the child holds the read token waiting for the rest.
    const theirs = frame(64 * 1024, 0x61);
    writeSync(fd, theirs, 0, 4 + 32 * 1024);
    expect(await until(() => !r.pollSync(0), 10_000)).toBe(true);
    const pending = r.recvBytes({ timeout: 20_000 }); // waits for the token
    await sleep(50);

    // One synchronous stretch: the child gets the rest and lets the token go; we
    // take it and read the start of our message, then time out mid-message.
    const ours = frame(48 * 1024, 0x62);
    writeSync(fd, theirs, 4 + 32 * 1024);
    writeSync(fd, ours, 0, 4 + 16 * 1024);
    expect(() => r.recvBytesSync({ timeout: 1000 })).toThrow(expect.objectContaining(TIMEOUT));
    expect(await lines(/^got/)).toBe(`got ${64 * 1024}`);

    // The pending recv must see that this process holds the token and read on.
    writeSync(fd, ours, 4 + 16 * 1024);
    const got = await pending;
    expect(got.equals(ours.subarray(4))).toBe(true);
  });
});

// A Sync recv first writes what send() queued; when another process holds the
// write token it cannot wait for the token and the fd at once, and waited for
// the fd only: the peer, waiting for this message to answer, never did.
describe('a Sync recv whose queued send waits for a write token another process holds', () => {
  it('writes the message once the token is free, and gets the answer', async () => {
    const [a, b] = Pipe();
    open.push(a, b);
    const holder = spawnWithArgs(holders, 'writeBig', [b, 1]);
    children.push(holder);
    await lineReader(holder)(/^writing/); // mid-message: b's write token is the holder's
    // The answering peer starts reading a while after this process has blocked.
    const peer = spawn(process.execPath, ['--input-type=module', '-e', `
      import { Connection } from 'osipc';
      setTimeout(async () => {
        const c = Connection.fromFd(3);
        for (;;) {
          const m = await c.recvBytes();
          if (m.toString() === 'ping') break;
        }
        await c.sendBytes(Buffer.from('pong'));
        await c.flush();
        c.close();
      }, 300);`], { cwd: packageRoot, stdio: ['ignore', 'inherit', 'inherit', a.fileno()] });
    a.close();
    void b.sendBytes(Buffer.from('ping')); // queued: the token is busy
    expect(b.recvBytesSync({ timeout: 10_000 }).toString()).toBe('pong');
    await new Promise((resolve) => peer.on('exit', resolve));
  });
});
