// Layer 1: forkExec, Child, waitpid, kill, getpid, getppid, with real programs.
import { describe, expect, it } from 'vitest';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { Child, forkExec, getpid, getppid, kill, waitpid } from 'osipc';
import { openFds } from './helpers/leaks.js';

/** A process's state letter from /proc (R, S, Z...), or null when it is gone. */
function procState(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return null;
  }
}

/** fds above 2 open in this process without close-on-exec (left by whoever started us). */
function inheritedFds(): number[] {
  return openFds().map(Number).filter((fd) => {
    if (fd <= 2) return false;
    try {
      const flags = /flags:\s+(\d+)/.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
      return flags !== null && (parseInt(flags[1]!, 8) & 0o2000000) === 0;
    } catch {
      return false;
    }
  });
}

async function withTempDir<T>(fn: (dir: string) => T | Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'osipc-forkexec-'));
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('forkExec', () => {
  it('starts a program and reports its exit code', async () => {
    const child = forkExec('sh', ['-c', 'exit 7']);
    expect(child).toBeInstanceOf(Child);
    expect(child.pid).toBeGreaterThan(0);
    expect(await child.wait()).toEqual({ pid: child.pid, exitCode: 7, signal: null });
    expect(child.exitStatus).toEqual({ pid: child.pid, exitCode: 7, signal: null });
    expect(procState(child.pid)).toBeNull();
  });

  it('reports a death by signal with its name', async () => {
    const child = forkExec('sleep', ['30']);
    expect(child.kill('SIGKILL')).toBe(true);
    expect(await child.wait()).toEqual({ pid: child.pid, exitCode: null, signal: 'SIGKILL' });
    expect(child.kill()).toBe(false); // reaped: its pid may be someone else's now
  });

  it('throws the exec errno synchronously, with syscall and path, and leaks nothing', () => withTempDir((dir) => {
    const notExecutable = join(dir, 'data.txt');
    writeFileSync(notExecutable, 'just text', { mode: 0o644 });
    const notAProgram = join(dir, 'garbage');
    writeFileSync(notAProgram, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 0]), { mode: 0o755 });
    const before = openFds().length;
    expect(() => forkExec('/nope/not-here')).toThrow(expect.objectContaining({
      code: 'ENOENT', syscall: 'execve', path: '/nope/not-here',
    }));
    expect(() => forkExec('no-such-program-osipc')).toThrow(expect.objectContaining({
      code: 'ENOENT', syscall: 'execve', path: 'no-such-program-osipc',
    }));
    expect(() => forkExec(notExecutable)).toThrow(expect.objectContaining({ code: 'EACCES', syscall: 'execve' }));
    // No shell fallback for a file the kernel cannot run (execvp would try /bin/sh).
    expect(() => forkExec(notAProgram)).toThrow(expect.objectContaining({ code: 'ENOEXEC', syscall: 'execve' }));
    expect(() => forkExec('/bin/true', [], { cwd: '/nope-dir' })).toThrow(expect.objectContaining({
      code: 'ENOENT', syscall: 'chdir', path: '/nope-dir',
    }));
    expect(openFds().length).toBe(before);
  }));

  it('searches PATH, passes args, env and cwd', async () => {
    await withTempDir(async (dir) => {
      const out = join(dir, 'out');
      const fd = openSync(out, 'w');
      const child = forkExec('sh', ['-c', 'echo "$0|$FOO|$(pwd)|$(head -c 5 /proc/$$/cmdline)"', 'one two'], {
        fds: [null, fd, 2], env: { FOO: 'bar', PATH: process.env.PATH }, cwd: dir, argv0: 'my-sh',
      });
      closeSync(fd);
      expect((await child.wait())?.exitCode).toBe(0);
      expect(readFileSync(out, 'utf8')).toBe(`one two|bar|${dir}|my-sh\n`);
    });
  });

  it('maps any parent fd to any child fd, also when numbers collide', async () => {
    await withTempDir(async (dir) => {
      const a = openSync(join(dir, 'a'), 'w');
      const b = openSync(join(dir, 'b'), 'w');
      // Swap: child fd a gets b's file and child fd b gets a's; plus fd 1 -> a.
      const map: Record<number, number> = { 1: a, [a]: b, [b]: a };
      // bash: sh cannot redirect to fds above 9.
      const child = forkExec('bash', ['-c', `echo to-b >&${a}; echo to-a >&${b}; echo stdout`], { fds: map });
      closeSync(a);
      closeSync(b);
      expect((await child.wait())?.exitCode).toBe(0);
      expect(readFileSync(join(dir, 'a'), 'utf8').split('\n').sort()).toEqual(['', 'stdout', 'to-a']);
      expect(readFileSync(join(dir, 'b'), 'utf8')).toBe('to-b\n');
    });
  });

  it('gives the child exactly the mapped fds, default handlers and an empty mask', async () => {
    await withTempDir(async (dir) => {
      const out = openSync(join(dir, 'out'), 'w');
      const child = forkExec('sh', ['-c', 'ls /proc/self/fd; grep -E "^Sig(Blk|Ign)" /proc/self/status'],
        { fds: [null, out, null, out] });
      closeSync(out);
      expect((await child.wait())?.exitCode).toBe(0);
      const text = readFileSync(join(dir, 'out'), 'utf8');
      const fds = text.split('\n').filter((l) => /^\d+$/.test(l)).map(Number);
      // 1 and 3 are ours; 0 and 2 were closed, so the directory ls reads
      // /proc/self/fd with gets 0; plus whatever this process itself
      // inherited without close-on-exec.
      const inherited = inheritedFds();
      expect(fds.filter((f) => !inherited.includes(f)).sort()).toEqual([0, 1, 3]);
      expect(text).toMatch(/SigBlk:\s+0+\n/);
      // Node ignores SIGPIPE; the child must not (sh itself ignores nothing here).
      expect(text).toMatch(/SigIgn:\s+0+\n/);
    });
  });

  it('starts 200 children in parallel and reaps every one: no zombies', async () => {
    const before = openFds().length;
    const children = Array.from({ length: 200 }, () => forkExec('/bin/true'));
    const statuses = await Promise.all(children.map((c) => c.wait({ timeout: 30_000 })));
    expect(statuses.every((s) => s?.exitCode === 0)).toBe(true);
    for (const c of children) {
      expect(procState(c.pid)).not.toBe('Z');
      expect(() => waitpid(c.pid, { noHang: true })).toThrow(expect.objectContaining({ code: 'ECHILD' }));
    }
    expect(openFds().length).toBe(before);
  });

  it('reaps a child nobody waits for', async () => {
    const child = forkExec('/bin/true');
    const pid = child.pid;
    for (let i = 0; i < 200 && procState(pid) !== null; i++) await new Promise((r) => setTimeout(r, 10));
    expect(procState(pid)).toBeNull();
    expect(child.exitStatus?.exitCode).toBe(0);
  });

  it('wait({ timeout }) resolves null and the child runs on; waitSync and tryWait', async () => {
    const child = forkExec('sleep', ['30']);
    expect(await child.wait({ timeout: 20 })).toBeNull();
    expect(child.tryWait()).toBeNull();
    expect(child.waitSync({ timeout: 20 })).toBeNull();
    expect(procState(child.pid)).toMatch(/[RS]/);
    child.kill('SIGTERM');
    expect(child.waitSync({ timeout: 10_000 })).toEqual({ pid: child.pid, exitCode: null, signal: 'SIGTERM' });
    expect(child.tryWait()?.signal).toBe('SIGTERM');
  });

  it('wait() rejects with an AbortError when its signal fires', async () => {
    const child = forkExec('sleep', ['30']);
    const ac = new AbortController();
    const p = child.wait({ signal: ac.signal });
    ac.abort();
    await expect(p).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' });
    child.kill(9);
    expect((await child.wait())?.signal).toBe('SIGKILL');
  });

  it('deathSignal kills the child when its parent dies (Linux)', async () => {
    if (process.platform !== 'linux') return;
    // A node parent that starts `sleep` with deathSignal and prints its pid.
    const code = `import('osipc').then(({ forkExec }) => {
      const c = forkExec('sleep', ['60'], { deathSignal: 'SIGKILL' }); c.unref();
      console.log(c.pid); setInterval(() => {}, 1000); })`;
    const parent = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'], cwd: process.cwd() });
    const pid = await new Promise<number>((resolve) => parent.stdout.once('data', (d) => resolve(Number(String(d)))));
    expect(procState(pid)).toMatch(/[RS]/);
    parent.kill('SIGKILL');
    let state = procState(pid);
    for (let i = 0; i < 500 && state !== null && state !== 'Z'; i++) {
      await new Promise((r) => setTimeout(r, 10));
      state = procState(pid);
    }
    expect(state === null || state === 'Z').toBe(true);
  });

  it('reaps through SIGCHLD where there is no pidfd (forced here with OSIPC_NO_PIDFD=1)', async () => {
    const code = `import('osipc').then(async ({ forkExec }) => {
      const kids = Array.from({ length: 50 }, (_, i) => forkExec('sh', ['-c', 'exit ' + (i % 5)]));
      const st = await Promise.all(kids.map((k) => k.wait()));
      const slow = forkExec('sleep', ['30']);
      const timedOut = await slow.wait({ timeout: 20 });
      slow.kill('SIGKILL');
      const killed = await slow.wait();
      const zombies = kids.filter((k) => { try { return require('fs').readFileSync('/proc/' + k.pid + '/stat', 'utf8').includes(') Z'); } catch { return false; } });
      console.log(JSON.stringify({ ok: st.every((s, i) => s.exitCode === i % 5), timedOut, killed: killed.signal, zombies: zombies.length }));
    })`;
    const child = spawn(process.execPath, ['--input-type=commonjs', '-e', code], {
      env: { ...process.env, OSIPC_NO_PIDFD: '1' }, stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    const exitCode = await new Promise((resolve) => child.on('exit', resolve));
    expect(exitCode).toBe(0);
    expect(JSON.parse(out)).toEqual({ ok: true, timedOut: null, killed: 'SIGKILL', zombies: 0 });
  });

  it('a running child keeps the parent alive; unref() lets the parent exit first', async () => {
    const runParent = async (unref: boolean): Promise<{ pid: number; stateAtExit: string | null }> => {
      const code = `import('osipc').then(({ forkExec }) => {
        const c = forkExec('sleep', ['${unref ? 30 : 0.3}']); ${unref ? 'c.unref();' : ''} console.log(c.pid); })`;
      const parent = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      parent.stdout.on('data', (d) => { out += d; });
      await new Promise((resolve) => parent.on('exit', resolve));
      const pid = Number(out.trim());
      return { pid, stateAtExit: procState(pid) };
    };
    const kept = await runParent(false);
    expect(kept.stateAtExit === null || kept.stateAtExit === 'Z').toBe(true); // it ended before the parent
    const left = await runParent(true);
    expect(left.stateAtExit).toMatch(/[RS]/); // still sleeping after the parent is gone
    kill(left.pid, 'SIGKILL');
  });

  it('rejects bad arguments with TypeError/RangeError', () => {
    expect(() => forkExec(42 as never)).toThrow(TypeError);
    expect(() => forkExec('')).toThrow(TypeError);
    expect(() => forkExec('a\0b')).toThrow(TypeError);
    expect(() => forkExec('/bin/true', 'x' as never)).toThrow(TypeError);
    expect(() => forkExec('/bin/true', [1 as never])).toThrow(TypeError);
    expect(() => forkExec('/bin/true', [], { fds: [-1] })).toThrow(RangeError);
    expect(() => forkExec('/bin/true', [], { fds: { x: 1 } as never })).toThrow(TypeError);
    expect(() => forkExec('/bin/true', [], { fds: { 5000: 1 } })).toThrow(RangeError);
    expect(() => forkExec('/bin/true', [], { env: { 'A=B': 'x' } })).toThrow(TypeError);
    expect(() => forkExec('/bin/true', [], { deathSignal: 'SIGNOPE' as never }))
      .toThrow(expect.objectContaining({ code: 'ERR_UNKNOWN_SIGNAL' }));
    // A source fd that is not open: EBADF before anything starts.
    expect(() => forkExec('/bin/true', [], { fds: [0, 1, 2, 999_999] })).toThrow(expect.objectContaining({ code: 'EBADF' }));
  });
});

describe('waitpid, kill, getpid, getppid', () => {
  it('getpid and getppid are the kernel\'s', () => {
    expect(getpid()).toBe(process.pid);
    expect(getppid()).toBe(process.ppid);
  });

  it('waitpid goes through the Child of a forkExec pid', () => {
    const child = forkExec('sh', ['-c', 'exit 3']);
    expect(waitpid(child.pid)).toEqual({ pid: child.pid, exitCode: 3, signal: null });
    expect(child.exitStatus?.exitCode).toBe(3);
  });

  it('waitpid with noHang returns null while the child runs', () => {
    const child = forkExec('sleep', ['30']);
    expect(waitpid(child.pid, { noHang: true })).toBeNull();
    kill(child.pid, 'SIGKILL');
    expect(waitpid(child.pid)).toEqual({ pid: child.pid, exitCode: null, signal: 'SIGKILL' });
  });

  it('waitpid of a pid that is not our child is ECHILD', () => {
    expect(() => waitpid(1, { noHang: true })).toThrow(expect.objectContaining({ code: 'ECHILD', syscall: 'waitpid' }));
  });

  it('kill takes names and numbers, refuses unknown names and group pids', async () => {
    const child = forkExec('sleep', ['30']);
    kill(child.pid, 0); // exists
    kill(child.pid, 'SIGUSR1');
    expect((await child.wait())?.signal).toBe('SIGUSR1');
    expect(() => kill(child.pid, 'SIGFOO' as never)).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_UNKNOWN_SIGNAL' }));
    expect(() => kill(child.pid, 99)).toThrow(RangeError);
    expect(() => kill(child.pid, 1.5)).toThrow(RangeError);
    expect(() => kill(-1, 'SIGTERM')).toThrow(RangeError);
    expect(() => kill(0, 'SIGTERM')).toThrow(RangeError);
    expect(() => kill(-child.pid)).toThrow(RangeError);
    expect(() => kill('1' as never)).toThrow(TypeError);
    expect(() => waitpid(-1)).toThrow(RangeError);
    expect(() => waitpid(1, { noHang: 'yes' as never })).toThrow(TypeError);
  });

  it('kill of a process that is gone is ESRCH', () => {
    const child = forkExec('/bin/true');
    const pid = child.pid;
    child.waitSync();
    // The pid could be reused in between on a busy machine: only assert when it is free.
    if (!existsSync(`/proc/${pid}`)) expect(() => kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH', syscall: 'kill' }));
  });
});
