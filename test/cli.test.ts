// The `osipc` command against real objects: made by osipc in child processes,
// by a C program (named semaphores, message queues), and by ipcmk (System V).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SharedMemory } from 'osipc';
import { collect, packageRoot, runNode, spawnNode, testName, waitForLine } from './helpers/child.js';

const cli = join(packageRoot, 'dist/cli/main.js');

interface Listed {
  id: string; kind: string; name: string; key: string | null; size: number | null; value: number | null;
  mode: string; uid: number; ownerPid: number | null; ownerAlive: boolean | null; osipc: boolean; stale: boolean;
}

function osipc(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: packageRoot, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function ls(...args: string[]): { objects: Listed[]; trackers: { pid: number; owner: number; ownerAlive: boolean }[]; notes: string[] } {
  const r = osipc('ls', '--json', ...args);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
}

const find = (id: string): Listed | undefined => ls().objects.find((o) => o.id === id);

let dir: string;
let peer: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'osipc-cli-test-'));
  peer = join(dir, 'ipc-peer');
  execFileSync('cc', ['-O1', '-o', peer, join(packageRoot, 'test/fixtures/ipc-peer.c'), '-lrt', '-pthread']);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('osipc command', () => {
  it('prints usage; a missing or unknown command or flag is a usage error (status 2)', () => {
    const h = osipc('--help');
    expect(h.code).toBe(0);
    for (const word of ['ls', 'rm', '--stale', 'doctor', 'bench', '--json']) expect(h.stdout).toContain(word);
    expect(osipc().code).toBe(2);
    const bad = osipc('frobnicate');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('frobnicate');
    expect(osipc('ls', '--nope').code).toBe(2);
    expect(osipc('rm').code).toBe(2);
    expect(osipc('rm', '--stale', '--pid', 'abc').code).toBe(2);
    expect(osipc('--version').stdout.trim()).toBe(JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')).version);
  });

  it('lists a live owner\'s segments with size, mode, owner and its tracker, and removes one by id', async () => {
    const child = spawnNode(`
      import { SharedMemory } from 'osipc';
      const a = SharedMemory.create({ size: 5000 });
      const b = SharedMemory.create({ size: 64, mode: 0o640 });
      console.log('names', a.name, b.name);
      process.stdin.once('data', () => { a.close(); b.close(); console.log('closed'); process.stdin.destroy(); });`);
    const result = collect(child);
    const [, a, b] = (await waitForLine(child, /^names /)).split(' ');
    const listing = ls('--osipc');
    const sa = listing.objects.find((o) => o.id === `shm:${a}`)!;
    expect(sa).toMatchObject({ kind: 'shm', name: a, size: 5000, mode: '0600', uid: 0, ownerPid: child.pid, ownerAlive: true, osipc: true, stale: false });
    expect(listing.objects.find((o) => o.id === `shm:${b}`)!.mode).toBe('0640');
    expect(listing.trackers).toContainEqual(expect.objectContaining({ owner: child.pid, ownerAlive: true }));
    const text = osipc('ls');
    // The KEY column is there (as `-` for shm) only while System V objects exist.
    expect(text.stdout).toMatch(new RegExp(`shm\\s+${a}\\s+(-\\s+)?5000\\s+`));
    const rm = osipc('rm', `shm:${a}`);
    expect(rm.code).toBe(0);
    expect(rm.stdout).toContain(`removed shm:${a}`);
    expect(existsSync(`/dev/shm${a}`)).toBe(false);
    // Removing it again: no such object.
    const again = osipc('rm', `shm:${a}`);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('no such object');
    // A plain name, without the slash, works too.
    expect(osipc('rm', b!.slice(1)).code).toBe(0);
    expect(existsSync(`/dev/shm${b}`)).toBe(false);
    // The owner closes what someone else removed without an error.
    child.stdin!.end('x');
    const r = await result;
    expect(r.stdout).toContain('closed');
    expect(r.stderr).toBe('');
  });

  it('finds stale objects (owner gone) and removes only those with rm --stale', async () => {
    const r = await runNode(`
      import { SharedMemory } from 'osipc';
      const a = SharedMemory.create({ size: 64, keep: true });
      const b = SharedMemory.create({ size: 128, keep: true });
      console.log(a.name, b.name);`);
    const [a, b] = r.stdout.trim().split(' ');
    const dead = Number(/^\/osipc-(\d+)-/.exec(a!)![1]);
    const live = SharedMemory.create({ name: testName('live'), size: 64 });
    try {
      const sa = find(`shm:${a}`)!;
      expect(sa).toMatchObject({ ownerPid: dead, ownerAlive: false, stale: true });
      expect(find(`shm:${live.name}`)).toMatchObject({ ownerPid: process.pid, ownerAlive: true, stale: false });
      expect(ls('--stale').objects.map((o) => o.id)).toEqual(expect.arrayContaining([`shm:${a}`, `shm:${b}`]));
      expect(ls('--stale').objects.map((o) => o.id)).not.toContain(`shm:${live.name}`);
      expect(osipc('ls').stdout).toMatch(new RegExp(`${a}.*no \\(stale\\)`));

      const dry = osipc('rm', '--stale', '--pid', String(dead), '--dry-run');
      expect(dry.stdout).toContain(`would remove shm:${a}`);
      expect(existsSync(`/dev/shm${a}`)).toBe(true);
      const none = osipc('rm', '--stale', '--pid', String(process.pid));
      expect(none.stdout).toContain('no stale osipc objects');
      expect(existsSync(`/dev/shm${live.name}`)).toBe(true);

      const rm = osipc('rm', '--stale', '--pid', String(dead));
      expect(rm.code).toBe(0);
      expect(rm.stdout.trim().split('\n').sort()).toEqual([`removed shm:${a}`, `removed shm:${b}`].sort());
      expect(existsSync(`/dev/shm${a}`) || existsSync(`/dev/shm${b}`)).toBe(false);
    } finally {
      live.close();
      for (const n of [a!, b!]) try { SharedMemory.unlink(n); } catch { /* removed */ }
    }
  });

  it('lists and removes named semaphores and message queues made by a C program', () => {
    const sem = testName('sem');
    const mq = testName('mq');
    execFileSync(peer, ['sem', sem, '3']);
    try {
      execFileSync(peer, ['mq', mq, '10']);
    } catch (err) {
      execFileSync(peer, ['has-sem', sem]);
      throw err;
    }
    try {
      const listing = ls();
      expect(listing.objects.find((o) => o.id === `sem:${sem}`)).toMatchObject({ kind: 'sem', value: 3, mode: '0600', ownerPid: process.pid, ownerAlive: true });
      expect(listing.objects.find((o) => o.id === `mq:${mq}`)).toMatchObject({ kind: 'mq', size: 10, mode: '0600', ownerPid: process.pid });
      // The queues were read through a private mount: the mount table is unchanged.
      if (!readFileSync('/proc/mounts', 'utf8').includes(' /dev/mqueue mqueue ')) {
        expect(listing.notes.join('\n')).toContain('private mount');
      }
      const rm = osipc('rm', `sem:${sem}`, `mq:${mq}`);
      expect(rm.stderr).toBe('');
      expect(rm.code).toBe(0);
      expect(execFileSync(peer, ['has-sem', sem], { encoding: 'utf8' }).trim()).toBe('0');
      expect(execFileSync(peer, ['has-mq', mq], { encoding: 'utf8' }).trim()).toBe('0');
      expect(readFileSync('/proc/mounts', 'utf8')).not.toMatch(/osipc-mqueue-/);
    } finally {
      osipc('rm', `sem:${sem}`, `mq:${mq}`);
    }
  });

  it('lists and removes System V queues, segments and semaphore sets', () => {
    const made: [string, string][] = [];
    const id = (out: string): string => /id: (\d+)/.exec(out)![1]!;
    try {
      made.push(['sysv-msg', id(execFileSync('ipcmk', ['-Q', '-p', '0600'], { encoding: 'utf8' }))]);
      made.push(['sysv-shm', id(execFileSync('ipcmk', ['-M', '8192', '-p', '0640'], { encoding: 'utf8' }))]);
      made.push(['sysv-sem', id(execFileSync('ipcmk', ['-S', '2'], { encoding: 'utf8' }))]);
      const listing = ls();
      const [msg, shm, sem] = made.map(([kind, n]) => listing.objects.find((o) => o.id === `${kind}:${n}`)!);
      expect(msg).toMatchObject({ size: 0, value: 0, mode: '0600', osipc: false, stale: false });
      expect(msg!.key).toMatch(/^0x[0-9a-f]{8}$/);
      // A segment records its creator (ipcmk, gone now); a queue and a set do not.
      expect(shm).toMatchObject({ size: 8192, mode: '0640', ownerAlive: false, stale: false });
      expect(shm!.ownerPid).toBeGreaterThan(0);
      expect(sem).toMatchObject({ value: 2, ownerPid: null });
      const rm = osipc('rm', ...made.map(([kind, n]) => `${kind}:${n}`));
      expect(rm.stderr).toBe('');
      expect(rm.code).toBe(0);
      const after = ls().objects.map((o) => o.id);
      for (const [kind, n] of made) expect(after).not.toContain(`${kind}:${n}`);
    } finally {
      for (const [kind, n] of made) {
        spawnSync('ipcrm', [{ 'sysv-msg': '-q', 'sysv-shm': '-m', 'sysv-sem': '-s' }[kind]!, n], { stdio: 'ignore' });
      }
    }
  });

  it('doctor prints the limits that matter, with the kernel\'s values and what to change', () => {
    const r = osipc('doctor');
    expect(r.code).toBe(0);
    for (const name of ['fs.mqueue.msg_max', 'fs.mqueue.msgsize_max', 'fs.mqueue.queues_max', '/dev/shm',
      'SEMVMX', 'SEM_VALUE_MAX', 'kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'RLIMIT_NOFILE', 'RLIMIT_MSGQUEUE']) {
      expect(r.stdout).toContain(name);
    }
    expect(r.stdout).toContain('sysctl -w fs.mqueue.msg_max');
    const { checks } = JSON.parse(osipc('doctor', '--json').stdout) as { checks: { name: string; value: unknown }[] };
    const value = (name: string): unknown => checks.find((c) => c.name === name)?.value;
    expect(value('fs.mqueue.msg_max')).toBe(Number(readFileSync('/proc/sys/fs/mqueue/msg_max', 'utf8')));
    expect(value('kernel.msgmnb')).toBe(Number(readFileSync('/proc/sys/kernel/msgmnb', 'utf8')));
    expect(value('SEMVMX (System V)')).toBe(32767);
    const nofile = /Max open files\s+(\d+)/.exec(readFileSync('/proc/self/limits', 'utf8'))![1];
    expect(value('RLIMIT_NOFILE (open files)')).toBe(Number(nofile));
  });

  it('bench runs bench/run.js with the remaining arguments and its exit status', () => {
    // A copy of the command in a package whose bench/run.js reports what it got.
    const pkg = join(dir, 'pkg');
    mkdirSync(join(pkg, 'bench'), { recursive: true });
    cpSync(join(packageRoot, 'dist/cli'), join(pkg, 'dist/cli'), { recursive: true });
    writeFileSync(join(pkg, 'package.json'), '{"type":"module","version":"0.0.0"}');
    const copy = join(pkg, 'dist/cli/main.js');
    const missing = spawnSync(process.execPath, [copy, 'bench'], { encoding: 'utf8' });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('bench/run.js');
    writeFileSync(join(pkg, 'bench/run.js'), 'console.log(JSON.stringify(process.argv.slice(2))); process.exit(3);');
    const r = spawnSync(process.execPath, [copy, 'bench', '--quick', '--json', 'pipes'], { encoding: 'utf8' });
    expect(r.stdout.trim()).toBe('["--quick","--json","pipes"]');
    expect(r.status).toBe(3);
  });
});

