// FdPoller is internal; it is tested through a pipe made by the shell-free way:
// a child process's stdout, whose fd we read with fs (non-blocking).
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { FdPoller, READABLE } from '../dist/os/poller.js';

function childWriting(delayMs: number) {
  const child = spawn(process.execPath, ['-e', `setTimeout(() => process.stdout.write('x'), ${delayMs})`], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // The pipe's fd as libuv opened it (non-blocking).
  const fd = (child.stdout as unknown as { _handle: { fd: number } })._handle.fd;
  child.stdout!.pause();
  return { child, fd };
}

describe('FdPoller', () => {
  it('resolves when the fd becomes readable, without blocking the loop', async () => {
    const { child, fd } = childWriting(100);
    child.stdout!.removeAllListeners();
    (child.stdout as unknown as { _handle: { readStop(): void } })._handle.readStop();
    const p = new FdPoller(fd);
    let ticks = 0;
    const t = setInterval(() => ticks++, 5);
    const fired = await p.wait(READABLE, 5000);
    clearInterval(t);
    p.close();
    expect(fired & READABLE).toBe(READABLE);
    expect(ticks).toBeGreaterThan(3);
    child.kill();
  });

  it('times out with 0 and aborts with an AbortError', async () => {
    const { child, fd } = childWriting(10_000);
    (child.stdout as unknown as { _handle: { readStop(): void } })._handle.readStop();
    const p = new FdPoller(fd);
    expect(await p.wait(READABLE, 30)).toBe(0);
    const ac = new AbortController();
    const w = p.wait(READABLE, Infinity, ac.signal);
    ac.abort();
    await expect(w).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' });
    const pending = p.wait(READABLE);
    p.close();
    await expect(pending).rejects.toMatchObject({ code: 'EBADF' });
    p.close(); // idempotent
    child.kill();
  });
});
