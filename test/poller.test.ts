// FdPoller is internal; it is tested on a raw pipe written by another process.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { FdPoller, READABLE, WRITABLE } from '../dist/os/poller.js';
import { fdBinding as fd } from '../dist/os/fd.js';

describe('FdPoller', () => {
  it('resolves when another process writes, without blocking the loop', async () => {
    const [r, w] = fd.pipe(true);
    fd.setCloseOnExec(w, false); // hand the write end to the child as fd 3
    const child = spawn(process.execPath,
      ['-e', "setTimeout(() => require('fs').writeSync(3, 'x'), 100)"],
      { stdio: ['ignore', 'ignore', 'inherit', w] });
    fd.close(w);
    const p = new FdPoller(r);
    let ticks = 0;
    const t = setInterval(() => ticks++, 5);
    const fired = await p.wait(READABLE, 10_000);
    clearInterval(t);
    expect(fired & READABLE).toBe(READABLE);
    expect(ticks).toBeGreaterThan(3);
    const buf = Buffer.alloc(8);
    expect(fd.read(r, buf, 0, 8)).toBe(1);
    p.close();
    fd.close(r);
    await new Promise((res) => child.on('exit', res));
  });

  it('times out with 0, aborts with an AbortError, and rejects pending waits on close', async () => {
    const [r, w] = fd.pipe(true);
    const p = new FdPoller(r);
    expect(await p.wait(READABLE, 30)).toBe(0);
    const ac = new AbortController();
    const aborted = p.wait(READABLE, Infinity, ac.signal);
    ac.abort();
    await expect(aborted).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' });
    const pending = p.wait(READABLE);
    p.close();
    await expect(pending).rejects.toMatchObject({ code: 'EBADF' });
    p.close(); // idempotent
    const pw = new FdPoller(w);
    expect(await pw.wait(WRITABLE, 1000)).toBe(WRITABLE);
    pw.close();
    fd.close(r);
    fd.close(w);
  });
});
