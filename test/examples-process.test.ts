// The process examples run as users run them (node examples/x.js), within a time bound.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function runExample(name: string, timeoutMs = 30_000): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, [`examples/${name}`], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err += d; });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) => child.on('close', (code) => {
    clearTimeout(timer);
    resolve({ code, out, err });
  }));
}

function gone(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return true;
  }
}

describe('process examples', () => {
  it('demo.js (npm run demo): pids and exit codes of forkExec and Process children', async () => {
    const { code, out } = await runExample('demo.js');
    expect(code).toBe(0);
    expect(out).toMatch(/MainProcess: pid \d+/);
    expect(out).toMatch(/sh ended: \{"pid":\d+,"exitCode":3,"signal":null\}/);
    expect(out).toContain("forkExec('/no/such/program') threw ENOENT (syscall execve, path /no/such/program)");
    expect(out).toMatch(/Process-1 \(pid \d+\) returned 144, exitCode 0/);
    expect(out).toMatch(/Process-2 \(pid \d+\) threw Error: something went wrong; exitCode 1/);
    expect(out).toMatch(/its stack, from the child: at fail \(.*workers\/demo\.js/);
    expect(out).toMatch(/sleeper \(pid \d+\) alive: true; join\(\{ timeout: 100 \}\) -> null/);
    expect(out).toContain('after kill(): exitCode -9 (minus SIGKILL), alive: false');
    expect(out).toContain('sent "the parent", got back "THE PARENT"');
    expect(out).toContain('received 1000 items from A and 1000 from B');
    expect(out).toContain('squares: 0 1 4 9 16 25 36 49 64 81');
    expect(out).toMatch(/holder pid \d+ killed; acquired: true after \d+ ms; ownerDied: true/);
    expect(out).toContain('Done: every object above was unlinked by its creator.');
  });

  it('process-basics.js: start, join, isAlive, terminate, name, pid, daemon', async () => {
    const { code, out, err } = await runExample('process-basics.js');
    expect(err).toBe('');
    expect(code).toBe(0);
    const parentPid = Number(/parent: MainProcess, pid (\d+)/.exec(out)![1]);
    expect(out).toMatch(new RegExp(`child 0: Process-1, pid \\d+, parent pid ${parentPid}`));
    expect(out).toMatch(/child 1: Process-2, pid \d+/);
    expect(out).toContain('results: 0, 1; exit codes: 0, 0');
    for (const place of ['Henan', 'Shandong', 'Liaoning', 'Hunan']) expect(out).toContain(`I am from ${place}`);
    expect(out).toContain('alive after start: true');
    expect(out).toContain('alive after terminate + join: false, exitCode -15');
    expect(out).not.toContain('nap finished');
    expect(out).toContain('before start: name alex, pid null, daemon false');
    expect(out).toMatch(/after start: name alex, pid \d+/);
    const daemonPid = Number(/daemon child pid (\d+) started/.exec(out)![1]);
    for (let i = 0; i < 250 && !gone(daemonPid); i++) await new Promise((r) => setTimeout(r, 20));
    expect(gone(daemonPid)).toBe(true);
    expect(out).not.toContain('still alive (wrong!)');
  });

  it('process-module.js: a Process subclass running a module function', async () => {
    const { code, out } = await runExample('process-module.js');
    expect(code).toBe(0);
    expect(out).toContain('starting ClockProcess-1 (ticks every 200 ms)');
    expect(out.match(/\[ClockProcess-1\] the time is \d{4}-/g)).toHaveLength(3);
    expect(out).toContain('ClockProcess-1 ticked 3 times and exited with code 0');
  });

  it('copy-halves.js: two processes copy a file in halves', async () => {
    const { code, out } = await runExample('copy-halves.js');
    expect(code).toBe(0);
    expect(out).toContain('source 300001 bytes');
    expect(out).toMatch(/Process-1 \(pid \d+\) copied 150000 bytes, Process-2 \(pid \d+\) copied 150001 bytes/);
    expect(out).toMatch(/1\.bin \+ 2\.bin equal the source/);
  });

  it.runIf(process.platform === 'linux')('fork-twice.js: own copies of variables; two forks, four processes', async () => {
    const { code, out, err } = await runExample('fork-twice.js');
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toMatch(/child {2}\(pid \d+\): num = 1/);
    expect(out).toMatch(/parent \(pid \d+\): num = 1, its own copy/);
    const lines = out.trim().split('\n');
    expect(lines.filter((l) => l.startsWith('first fork:  I am the parent'))).toHaveLength(1);
    expect(lines.filter((l) => l.startsWith('first fork:  I am the child'))).toHaveLength(1);
    expect(lines.filter((l) => l.startsWith('second fork: I am the parent'))).toHaveLength(2);
    expect(lines.filter((l) => l.startsWith('second fork: I am the child'))).toHaveLength(2);
    const pids = new Set(lines.filter((l) => /fork: /.test(l)).map((l) => /pid (\d+)/.exec(l)![1]));
    expect(pids.size).toBe(4);
    expect(lines.at(-1)).toMatch(/^four processes ran; all reaped/);
  });

  it.runIf(process.platform === 'linux')('zombie-orphan.js: a zombie in state Z, reaped; an orphan reparented', async () => {
    const { code, out, err } = await runExample('zombie-orphan.js');
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toMatch(/child (\d+) ended; \/proc says state Z \(zombie\)/);
    expect(out).toMatch(/waitpid: exit code 7; \/proc\/\d+ is gone/);
    const m = /parent (\d+) started child (\d+) and exits/.exec(out)!;
    const o = new RegExp(`orphan ${m[2]}: my parent was ${m[1]}, now it is (\\d+)`).exec(out);
    expect(o).not.toBeNull();
    expect(Number(o![1])).not.toBe(Number(m[1]));
  });
});
