import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { NamedSemaphore } from 'osipc';
import { collect, spawnNode, testName } from './helpers/child.js';

const open: NamedSemaphore[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});
function make(value: number, name = testName('sem')): NamedSemaphore {
  const s = NamedSemaphore.create({ name, value });
  open.push(s);
  return s;
}

// A C peer: waits on the semaphore `argv[1]` (sem_wait), then posts it twice.
const C_PEER = `
#include <fcntl.h>
#include <semaphore.h>
#include <stdio.h>
int main(int argc, char** argv) {
  sem_t* s = sem_open(argv[1], 0);
  if (s == SEM_FAILED) { perror("sem_open"); return 1; }
  if (sem_wait(s) != 0) { perror("sem_wait"); return 1; }
  printf("c took it\\n"); fflush(stdout);
  sem_post(s); sem_post(s);
  sem_close(s);
  return 0;
}`;
let cDir: string | null = null;
function compilePeer(): string | null {
  try {
    cDir = mkdtempSync(join(tmpdir(), 'osipc-sem-'));
    writeFileSync(join(cDir, 'peer.c'), C_PEER);
    execFileSync('cc', ['-O1', '-o', join(cDir, 'peer'), join(cDir, 'peer.c'), '-lpthread'], { stdio: 'pipe' });
    return join(cDir, 'peer');
  } catch {
    return null;
  }
}
afterAll(() => {
  if (cDir) rmSync(cDir, { recursive: true, force: true });
});

describe('NamedSemaphore', () => {
  it('counts: tryWait, post, value, wait and waitSync with timeouts', async () => {
    const s = make(2);
    expect(s.value).toBe(2);
    expect(s.tryWait()).toBe(true);
    expect(await s.wait()).toBe(true);
    expect(s.tryWait()).toBe(false);
    expect(await s.wait({ timeout: 30 })).toBe(false);
    expect(s.waitSync({ timeout: 30 })).toBe(false);
    expect(s.waitSync({ timeout: 0 })).toBe(false);
    s.post();
    expect(s.waitSync()).toBe(true);
    setTimeout(() => s.post(), 30);
    expect(await s.wait({ timeout: 20_000 })).toBe(true);
    expect(s.value).toBe(0);
  });

  it('is shared by name with a C program (sem_open, sem_wait, sem_post)', async (ctx) => {
    const peer = compilePeer();
    if (!peer) {
      console.warn('no C compiler (cc): C interop test skipped');
      ctx.skip();
      return;
    }
    const s = make(0);
    if (process.platform === 'linux') expect(existsSync(`/dev/shm/sem.${s.name.slice(1)}`)).toBe(true);
    const child = spawn(peer, [s.name]);
    const done = collect(child);
    await new Promise((r) => setTimeout(r, 50));
    s.post();
    const r = await done;
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('c took it');
    expect(s.value).toBe(2);
  });

  it('wakes a waiter in another node process', async () => {
    const s = make(0);
    const waiting = s.wait({ timeout: 20_000 });
    const r = await collect(spawnNode(`
      import { NamedSemaphore } from 'osipc';
      const s = NamedSemaphore.open(process.argv[2]);
      s.post(); s.close();`, [s.name]));
    expect(r.stderr).toBe('');
    expect(await waiting).toBe(true);
  });

  it('an aborted wait rejects and never swallows a post', async () => {
    const s = make(0);
    const ac = new AbortController();
    const p = s.wait({ signal: ac.signal });
    ac.abort();
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    await expect(s.wait({ signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
    s.post();
    await new Promise((r) => setTimeout(r, 250)); // longer than a wait slice
    expect(s.value).toBe(1);
  });

  it('creator unlinks on close; open never creates; unlink by name', () => {
    const name = testName('sem');
    const s = NamedSemaphore.create({ name, value: 0 });
    expect(s.owner).toBe(true);
    expect(() => NamedSemaphore.create({ name, value: 0 })).toThrow(expect.objectContaining({ code: 'EEXIST', syscall: 'sem_open' }));
    const o = NamedSemaphore.open(name);
    expect(o.owner).toBe(false);
    o.post();
    expect(s.value).toBe(1);
    o.close();
    s.close();
    expect(() => NamedSemaphore.open(name)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    const k = NamedSemaphore.create({ name, value: 0, keep: true });
    k.close();
    NamedSemaphore.unlink(name);
    expect(() => NamedSemaphore.unlink(name)).toThrow(expect.objectContaining({ code: 'ENOENT', syscall: 'sem_unlink' }));
  });

  it('rejects bad input and use after close', async () => {
    expect(() => NamedSemaphore.create({ value: -1 })).toThrow(RangeError);
    expect(() => NamedSemaphore.create({ value: 1.5 })).toThrow(RangeError);
    expect(() => NamedSemaphore.create({} as never)).toThrow(TypeError);
    expect(() => NamedSemaphore.create({ value: 0, name: 'x' })).toThrow(TypeError);
    expect(() => NamedSemaphore.create({ value: 0, name: '/' + 'a'.repeat(300) })).toThrow(TypeError);
    const s = make(0);
    expect(() => s.waitSync({ timeout: NaN })).toThrow(RangeError);
    await expect(s.wait({ timeout: -1 })).rejects.toThrow(RangeError);
    s.close();
    s.close();
    expect(() => s.post()).toThrow(expect.objectContaining({ code: 'EBADF' }));
    expect(() => s.tryWait()).toThrow(expect.objectContaining({ code: 'EBADF' }));
    await expect(s.wait()).rejects.toMatchObject({ code: 'EBADF' });
  });

  it('close while a wait is pending does not crash; the wait ends by its timeout', async () => {
    const s = NamedSemaphore.create({ value: 0 });
    const p = s.wait({ timeout: 300 });
    s.close();
    expect(await p).toBe(false);
  });
});
