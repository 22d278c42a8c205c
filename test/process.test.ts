// Layer 2 Process: real node children running the functions of test/fixtures/process-targets.js.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { OsipcError, Process, RemoteError, SharedMemory, currentProcess } from 'osipc';
import { until } from './helpers/child.js';
import { openFds } from './helpers/leaks.js';
import { FdBox, Named } from './fixtures/fd-box.js';

const targets = new URL('./fixtures/process-targets.js', import.meta.url);
const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'osipc-process-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function procState(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return null;
  }
}

/** Runs a fixture program; resolves with its stdout lines as they come and its exit. */
function runFixture(args: string[], env: NodeJS.ProcessEnv = process.env, execArgv: string[] = []) {
  const child = spawn(process.execPath, [...execArgv, fixture('process-parent.js'), ...args],
    { stdio: ['ignore', 'pipe', 'inherit'], env });
  const lines: string[] = [];
  let buffered = '';
  child.stdout.on('data', (d) => {
    buffered += d;
    const parts = buffered.split('\n');
    buffered = parts.pop()!;
    lines.push(...parts);
  });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, lines, exit };
}

describe('Process', () => {
  it('runs a module export with args and brings back its value', async () => {
    const p = new Process({ module: targets, fn: 'add', args: [2, 40] });
    expect(p.pid).toBeNull();
    expect(p.exitCode).toBeNull();
    expect(p.isAlive()).toBe(false);
    await p.start();
    expect(p.pid).toBeGreaterThan(0);
    expect(await p.join()).toBe(0);
    expect(p.result).toBe(42);
    expect(p.hasResult).toBe(true);
    expect(p.error).toBeNull();
    expect(p.exitCode).toBe(0);
    expect(p.isAlive()).toBe(false);
    expect(procState(p.pid!)).toBeNull(); // reaped: no zombie
  });

  it('calls the default export by default; module may be a path, a file URL string or a URL', async () => {
    for (const module of [fileURLToPath(targets), targets.href, targets]) {
      const p = new Process({ module, args: ['osipc'] });
      await p.start();
      await p.join();
      expect(p.result).toBe('hello osipc');
    }
  });

  it('names processes Process-N and tells the child who it is', async () => {
    const a = new Process({ module: targets, fn: 'whoAmI' });
    const b = new Process({ module: targets, fn: 'whoAmI', name: 'worker-b', daemon: true });
    expect(a.name).toMatch(/^Process-\d+$/);
    const n = Number(a.name.split('-')[1]);
    expect(new Process({ module: targets }).name).toBe(`Process-${n + 2}`);
    await a.start();
    await b.start();
    await Promise.all([a.join(), b.join()]);
    expect(a.result).toEqual({ name: a.name, pid: a.pid, ppid: process.pid, daemon: false, identity: [n] });
    expect(b.result).toMatchObject({ name: 'worker-b', pid: b.pid, ppid: process.pid, daemon: true });
    expect(b.daemon).toBe(true);
    const me = currentProcess();
    expect(me).toMatchObject({ name: 'MainProcess', pid: process.pid, ppid: process.ppid, daemon: false });
  });

  it('a child\'s own Processes are named Process-N:M', async () => {
    const p = new Process({ module: targets, fn: 'nested' });
    await p.start();
    expect(await p.join()).toBe(0);
    const n = p.name.split('-')[1];
    expect(p.result).toMatchObject({ me: p.name, child: `Process-${n}:1` });
    expect((p.result as { childSaw: { ppid: number; identity: number[] } }).childSaw)
      .toMatchObject({ name: `Process-${n}:1`, ppid: p.pid, identity: [Number(n), 1] });
  });

  it('reports exit codes', async () => {
    const soft = new Process({ module: targets, fn: 'exitWith', args: [3] });
    const hard = new Process({ module: targets, fn: 'hardExit', args: [5] });
    await soft.start();
    await hard.start();
    expect(await soft.join()).toBe(3);
    expect(await hard.join()).toBe(5);
    expect(hard.hasResult).toBe(false);
  });

  it('kill() ends the child with exitCode -9, terminate() with -15', async () => {
    const a = new Process({ module: targets, fn: 'sleep', args: [30_000] });
    const b = new Process({ module: targets, fn: 'sleep', args: [30_000] });
    await a.start();
    await b.start();
    expect(a.isAlive()).toBe(true);
    a.kill();
    b.terminate();
    expect(await a.join()).toBe(-9);
    expect(await b.join()).toBe(-15);
    expect(a.isAlive()).toBe(false);
    a.kill(); // after the end: nothing happens
    b.terminate();
    expect(a.exitCode).toBe(-9);
  });

  it('join({ timeout }) returns null while the child runs on', async () => {
    const p = new Process({ module: targets, fn: 'sleep', args: [30_000] });
    await p.start();
    expect(await p.join({ timeout: 50 })).toBeNull();
    expect(p.isAlive()).toBe(true);
    expect(p.exitCode).toBeNull();
    const ac = new AbortController();
    const joined = p.join({ signal: ac.signal });
    ac.abort();
    await expect(joined).rejects.toMatchObject({ name: 'AbortError' });
    p.kill();
    expect(await p.join()).toBe(-9);
  });

  it('surfaces an error thrown in the child, with the child\'s stack, and exitCode 1', async () => {
    const p = new Process({ module: targets, fn: 'fail', args: ['boom'] });
    await p.start();
    expect(await p.join()).toBe(1);
    expect(p.error).toBeInstanceOf(RemoteError);
    expect(p.error).toMatchObject({ remoteName: 'RangeError', code: 'ERR_CHILD_FAILED', message: 'RangeError: boom' });
    expect(p.error!.remoteStack).toContain('process-targets.js');
    expect(p.error!.stack).toContain('at fail (');
    expect(p.hasResult).toBe(false);
  });

  it('surfaces a rejected promise and an error thrown later in a timer', async () => {
    const later = new Process({ module: targets, fn: 'failLater', args: ['nope'] });
    const timer = new Process({ module: targets, fn: 'throwInTimer', args: ['in a timer'] });
    await later.start();
    await timer.start();
    expect(await later.join()).toBe(1);
    expect(later.error?.message).toBe('Error: nope');
    expect(await timer.join()).toBe(1);
    expect(timer.error).toMatchObject({ remoteName: 'TypeError', message: 'TypeError: in a timer' });
  });

  it('a value that cannot travel back is an error in the child', async () => {
    const p = new Process({ module: targets, fn: 'unreturnable' });
    await p.start();
    expect(await p.join()).toBe(1);
    expect(p.error?.message).toMatch(/could not be cloned/);
  });

  it('sends osipc objects by handle: fds are inherited, names travel as data', async () => {
    const file = join(tmp, 'box.txt');
    const fd = openSync(file, 'w');
    const box = new FdBox(fd, 'the box');
    const p = new Process({
      module: fixture('fd-box.js'), fn: 'useBoxes',
      args: [box, new Named('/osipc-test-name'), { inner: { box } }],
    });
    await p.start();
    expect(await p.join()).toBe(0);
    box.close();
    expect(p.result).toMatchObject({
      boxIsFdBox: true, label: 'the box', namedIsNamed: true, name: '/osipc-test-name', nestedIsFdBox: true,
    });
    expect((p.result as { fd: number }).fd).toBeGreaterThanOrEqual(4);
    expect(readFileSync(file, 'utf8')).toBe(`hello from ${p.pid} via fd ${(p.result as { fd: number }).fd}\n`);
  });

  it('gives the child a working SharedMemory, not a copy', async () => {
    const shm = SharedMemory.create({ name: `/osipc-${process.pid}-proc-shm`, size: 4096 });
    try {
      const p = new Process({ module: targets, fn: 'fillShared', args: [shm, 7] });
      await p.start();
      expect(await p.join()).toBe(0);
      expect(p.result).toEqual({ name: shm.name, size: 4096, isSharedMemory: true });
      expect(new Uint8Array(shm.buffer).every((b) => b === 7)).toBe(true);
    } finally {
      shm.close(); // the creator's close unlinks it
    }
  });

  it('passes the parent\'s execArgv (a loader with --import, --no-warnings) to the child', async () => {
    const run = runFixture(['execArgv'], process.env, ['--no-warnings', '--import', pathToFileURL(fixture('mark-loader.js')).href]);
    expect(await run.exit).toBe(0);
    const seen = JSON.parse(run.lines[0]!);
    expect(seen.execArgv).toContain('--no-warnings');
    expect(seen.execArgv).toContain('--import');
    expect(seen.marked).toBe('marked-by-import');
  });

  it('passes env when asked', async () => {
    const p = new Process({ module: 'data:text/javascript,export default () => process.env.OSIPC_TEST_VALUE', env: { OSIPC_TEST_VALUE: 'forty-two' } });
    await p.start();
    await p.join();
    expect(p.result).toBe('forty-two');
  });
});

describe('Process lifetime', () => {
  for (const lifeline of ['PR_SET_PDEATHSIG', 'end of file on the control socket']) {
    it(`a daemon child dies with its SIGKILLed parent (${lifeline})`, async () => {
      const env = lifeline === 'PR_SET_PDEATHSIG' ? process.env : { ...process.env, OSIPC_NO_PDEATHSIG: '1' };
      const run = runFixture(['daemon'], env);
      expect(await until(() => run.lines.length > 0)).toBe(true);
      const pid = Number(/^daemon (\d+)$/.exec(run.lines[0]!)![1]);
      expect(procState(pid)).toMatch(/[RS]/);
      run.child.kill('SIGKILL');
      await run.exit;
      expect(await until(() => procState(pid) === null || procState(pid) === 'Z', 5000)).toBe(true);
    });
  }

  it('a running non-daemon child keeps the parent alive; the parent ends after it', async () => {
    const file = join(tmp, 'non-daemon.txt');
    const run = runFixture(['leave', file, 'false']);
    expect(await run.exit).toBe(0);
    expect(existsSync(file)).toBe(true);
  });

  it('a daemon child does not keep the parent alive and is killed when the parent exits', async () => {
    const file = join(tmp, 'daemon.txt');
    const run = runFixture(['leave', file, 'true']);
    expect(await run.exit).toBe(0);
    const pid = Number(/^started (\d+)$/.exec(run.lines[0]!)![1]);
    expect(await until(() => procState(pid) === null || procState(pid) === 'Z', 5000)).toBe(true);
    await new Promise((r) => setTimeout(r, 400)); // past the 300 ms it would have written at
    expect(existsSync(file)).toBe(false);
  });
});

describe('Process bad input', () => {
  it('missing module, missing export, export not a function: start() rejects; nothing leaks', async () => {
    const before = openFds().length;
    const cases: [Record<string, unknown>, string][] = [
      [{ module: join(tmp, 'no-such-module.js') }, 'ERR_MODULE_NOT_FOUND'],
      [{ module: targets, fn: 'noSuchExport' }, 'ERR_OSIPC_NO_EXPORT'],
      [{ module: targets, fn: 'notAFunction' }, 'ERR_OSIPC_NOT_A_FUNCTION'],
      [{ module: 'data:text/javascript,throw new SyntaxError("bad module")' }, 'ERR_OSIPC_REMOTE'],
    ];
    for (const [opts, code] of cases) {
      const p = new Process(opts as never);
      const err = await p.start().then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(RemoteError);
      expect(err).toMatchObject({ code });
      expect(p.exitCode).toBe(1);
      expect(p.isAlive()).toBe(false);
      expect(p.error).toBe(err);
      expect(procState(p.pid!)).toBeNull();
    }
    expect(openFds().length).toBe(before);
  });

  it('unserializable args: DataCloneError at start(), no child, no leak; it can start once fixed', async () => {
    const before = openFds().length;
    const args: unknown[] = [() => 1];
    const p = new Process({ module: targets, fn: 'echo', args });
    await expect(p.start()).rejects.toMatchObject({ name: 'DataCloneError' });
    expect(p.pid).toBeNull();
    expect(openFds().length).toBe(before);
    args[0] = 'fine';
    await p.start();
    await p.join();
    expect(p.result).toEqual(['fine']);
  });

  it('starting twice, joining or killing before start, daemon after start: clear errors', async () => {
    const p = new Process({ module: targets, fn: 'add', args: [1, 1] });
    await expect(p.join()).rejects.toMatchObject({ code: 'ERR_OSIPC_PROCESS_NOT_STARTED' });
    expect(() => p.kill()).toThrow(OsipcError);
    expect(() => p.terminate()).toThrow(expect.objectContaining({ code: 'ERR_OSIPC_PROCESS_NOT_STARTED' }));
    const first = p.start();
    await expect(p.start()).rejects.toMatchObject({ code: 'ERR_OSIPC_PROCESS_STARTED' });
    await first;
    await expect(p.start()).rejects.toMatchObject({ code: 'ERR_OSIPC_PROCESS_STARTED' });
    expect(() => { p.daemon = true; }).toThrow(expect.objectContaining({ code: 'ERR_OSIPC_PROCESS_STARTED' }));
    await p.join();
    await expect(p.start()).rejects.toMatchObject({ code: 'ERR_OSIPC_PROCESS_STARTED' });
    expect(p.result).toBe(2);
  });

  it('wrong option types are TypeErrors', () => {
    expect(() => new Process(undefined as never)).toThrow(TypeError);
    expect(() => new Process({} as never)).toThrow(TypeError);
    expect(() => new Process({ module: 42 as never })).toThrow(TypeError);
    expect(() => new Process({ module: '' })).toThrow(TypeError);
    expect(() => new Process({ module: targets, fn: 1 as never })).toThrow(TypeError);
    expect(() => new Process({ module: targets, args: 'x' as never })).toThrow(TypeError);
    expect(() => new Process({ module: targets, name: 5 as never })).toThrow(TypeError);
    expect(() => new Process({ module: targets, daemon: 'yes' as never })).toThrow(TypeError);
    expect(() => new Process({ module: targets, env: 'x' as never })).toThrow(TypeError);
    const p = new Process({ module: targets });
    expect(() => { p.name = 3 as never; }).toThrow(TypeError);
    p.name = 'renamed';
    expect(p.name).toBe('renamed');
  });

  it('many processes started and ended leave no zombies and no fds', async () => {
    const before = openFds().length;
    const ps = Array.from({ length: 8 }, (_, i) => new Process({ module: targets, fn: 'add', args: [i, i] }));
    await Promise.all(ps.map((p) => p.start()));
    await Promise.all(ps.map((p) => p.join()));
    expect(ps.map((p) => p.result)).toEqual([0, 2, 4, 6, 8, 10, 12, 14]);
    for (const p of ps) expect(procState(p.pid!)).toBeNull();
    expect(openFds().length).toBe(before);
  });
});
