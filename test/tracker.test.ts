// The SIGKILL tracker: an owner killed by SIGKILL (which no handler sees) still
// has its objects removed, within a second, by the tracker reading EOF.
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { MessageQueue, SharedMemory } from 'osipc';
import { collect, packageRoot, spawnNode, testName, waitForLine } from './helpers/child.js';
import { notRunning, procInfo, trackers, until } from './helpers/procfs.js';

const shmPath = (name: string): string => `/dev/shm${name}`;

function mqExists(name: string): boolean {
  try {
    MessageQueue.open(name).close();
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

function sysvQueueIds(): number[] {
  return readFileSync('/proc/sysvipc/msg', 'utf8').trim().split('\n').slice(1).map((l) => Number(l.trim().split(/\s+/)[1]));
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

function owner(code: string, args: string[] = []): ChildProcess {
  const c = spawnNode(code, args);
  children.push(c);
  return c;
}

async function trackerOf(pid: number): Promise<number> {
  const found = await until(() => trackers(pid)[0]);
  if (!found) throw new Error(`no tracker for ${pid}`);
  return found.pid;
}

/** SIGKILLs `child` and returns how many ms until every path in `paths` is gone. */
async function killAndTime(child: ChildProcess, paths: string[]): Promise<number> {
  const result = collect(child);
  const t0 = performance.now();
  child.kill('SIGKILL');
  const gone = await until(() => paths.every((p) => !existsSync(p)), 10_000, 2);
  const ms = performance.now() - t0;
  expect(gone).toBe(true);
  expect((await result).signal).toBe('SIGKILL');
  return ms;
}

describe('tracker', () => {
  it('removes the objects of an owner killed by SIGKILL within 1 s, then exits', async () => {
    const child = owner(`
      import { MessageQueue, SharedMemory } from 'osipc';
      const made = [1, 2, 3].map(() => SharedMemory.create({ size: 4096 }));
      console.log('names', made.map((s) => s.name).join(' '));
      setInterval(() => {}, 1000);`);
    const names = (await waitForLine(child, /^names /)).split(' ').slice(1);
    const tracker = await trackerOf(child.pid!);
    // Started detached: a session (and process group) of its own.
    expect(procInfo(tracker)!.sid).toBe(tracker);
    const ms = await killAndTime(child, names.map(shmPath));
    console.log(`tracker cleanup after SIGKILL: ${ms.toFixed(1)} ms`);
    expect(ms).toBeLessThan(1000);
    expect(await until(() => notRunning(tracker))).toBe(true);
  });

  it('removes every kind it knows: shared memory, named semaphores, POSIX and System V queues', async () => {
    const child = owner(`
      import { SharedMemory, NamedSemaphore, MessageQueue, SysVMessageQueue } from 'osipc';
      const shm = SharedMemory.create({ size: 64 });
      const sem = NamedSemaphore.create({ value: 0 });
      const mq = MessageQueue.create({ maxMessages: 2, messageSize: 16 });
      const sysv = SysVMessageQueue.create();
      console.log('made', JSON.stringify({ shm: shm.name, sem: sem.name, mq: mq.name, sysv: sysv.id }));
      setInterval(() => {}, 1000);`);
    const made = JSON.parse((await waitForLine(child, /^made /)).slice(5)) as { shm: string; sem: string; mq: string; sysv: number };
    await trackerOf(child.pid!);
    const present = (): boolean[] => [
      existsSync(shmPath(made.shm)),
      existsSync(`/dev/shm/sem.${made.sem.slice(1)}`),
      mqExists(made.mq),
      sysvQueueIds().includes(made.sysv),
    ];
    expect(present()).toEqual([true, true, true, true]);
    const result = collect(child);
    const t0 = performance.now();
    child.kill('SIGKILL');
    expect(await until(() => present().every((p) => !p), 10_000, 2)).toBe(true);
    const ms = performance.now() - t0;
    console.log(`tracker cleanup of 4 kinds after SIGKILL: ${ms.toFixed(1)} ms`);
    expect(ms).toBeLessThan(1000);
    await result;
  });

  it('removes objects even when the owner dies before its tracker has started', async () => {
    const child = owner(`
      import { MessageQueue, SharedMemory } from 'osipc';
      const s = SharedMemory.create({ size: 64 });
      console.log('name', s.name);
      process.kill(process.pid, 'SIGKILL');`);
    const r = await collect(child);
    expect(r.signal).toBe('SIGKILL');
    const name = /name (\S+)/.exec(r.stdout)![1]!;
    expect(await until(() => !existsSync(shmPath(name)))).toBe(true);
  });

  it('does not remove what the owner released: closed, unlinked early, or kept', async () => {
    const reused = testName('r');
    const child = owner(`
      import { MessageQueue, SharedMemory } from 'osipc';
      const closed = SharedMemory.create({ size: 64 }); closed.close();
      const early = SharedMemory.create({ name: process.argv[2], size: 64 }); early.unlink();
      const live = SharedMemory.create({ size: 64 });
      console.log('live', live.name);
      setInterval(() => {}, 1000);`, [reused]);
    const live = (await waitForLine(child, /^live /)).split(' ')[1]!;
    // Someone else takes the name the owner gave up.
    const other = SharedMemory.create({ name: reused, size: 64, keep: true });
    other.close();
    try {
      await killAndTime(child, [shmPath(live)]);
      await new Promise((r) => setTimeout(r, 200));
      expect(existsSync(shmPath(reused))).toBe(true);
    } finally {
      SharedMemory.unlink(reused);
    }
  });

  it('carries names with spaces, newlines and percent signs intact', async () => {
    const odd = `/osipc-${process.pid}-odd name\nwith %20 and 100%`;
    const child = owner(`
      import { MessageQueue, SharedMemory } from 'osipc';
      const s = SharedMemory.create({ name: JSON.parse(process.argv[2]), size: 64 });
      console.log('made');
      setInterval(() => {}, 1000);`, [JSON.stringify(odd)]);
    await waitForLine(child, /^made/);
    expect(existsSync(shmPath(odd))).toBe(true);
    await killAndTime(child, [shmPath(odd)]);
  });

  it('keeps up with thousands of objects made before it has started', async () => {
    const child = owner(`
      import { MessageQueue, SharedMemory } from 'osipc';
      const made = [];
      for (let i = 0; i < 1500; i++) made.push(SharedMemory.create({ name: '/osipc-' + process.pid + '-many' + i, size: 1 }));
      console.log('made', made.length);
      setInterval(() => {}, 1000);`);
    await waitForLine(child, /^made 1500/);
    const mine = (): string[] => readdirSync('/dev/shm').filter((n) => n.startsWith(`osipc-${child.pid}-many`));
    expect(mine().length).toBe(1500);
    await trackerOf(child.pid!);
    await killAndTime(child, []);
    expect(await until(() => mine().length === 0)).toBe(true);
  });

  it('is started again, and told everything, when it is killed', async () => {
    const child = owner(`
      import { MessageQueue, SharedMemory } from 'osipc';
      const a = SharedMemory.create({ size: 64 });
      console.log('a', a.name);
      process.stdin.once('data', () => {
        const b = SharedMemory.create({ size: 64 });
        console.log('b', b.name);
      });
      setInterval(() => {}, 1000);`);
    const a = (await waitForLine(child, /^a /)).split(' ')[1]!;
    const first = await trackerOf(child.pid!);
    process.kill(first, 'SIGKILL');
    // The owner reaps its dead tracker: no zombie while it lives.
    expect(await until(() => procInfo(first) === null)).toBe(true);
    child.stdin!.write('go\n');
    const b = (await waitForLine(child, /^b /)).split(' ')[1]!;
    const second = await trackerOf(child.pid!);
    expect(second).not.toBe(first);
    await killAndTime(child, [shmPath(a), shmPath(b)]);
  });

  it('is not reached by signals to the owner\'s process group', async () => {
    // The owner leads a process group of its own, as a shell job would.
    const child = spawn(process.execPath, ['--input-type=module', '-e', `
      import { MessageQueue, SharedMemory } from 'osipc';
      const s = SharedMemory.create({ size: 64 });
      process.on('SIGINT', () => console.log('sigint'));
      process.on('SIGTERM', () => console.log('sigterm'));
      console.log('name', s.name);
      setInterval(() => {}, 1000);`], { cwd: packageRoot, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    const name = (await waitForLine(child, /^name /)).split(' ')[1]!;
    const tracker = await trackerOf(child.pid!);
    process.kill(-child.pid!, 'SIGINT');   // Ctrl-C at a terminal
    await waitForLine(child, /^sigint/);
    process.kill(-child.pid!, 'SIGTERM');
    await waitForLine(child, /^sigterm/);
    expect(notRunning(tracker)).toBe(false);
    // Still there to clean up.
    await killAndTime(child, [shmPath(name)]);
  });

  it('does not keep the owner alive, and is not started for openers', async () => {
    const keep = SharedMemory.create({ size: 64 });
    try {
      const child = owner(`
        import { MessageQueue, SharedMemory } from 'osipc';
        const o = SharedMemory.open(process.argv[2]);
        console.log('opened');
        setTimeout(() => {
          const s = SharedMemory.create({ size: 64 });
          console.log('created');
        }, 300);`, [keep.name]);
      await waitForLine(child, /^opened/);
      expect(trackers(child.pid!)).toEqual([]);
      const r = await collect(child, 20_000);
      // It ended by itself, with its tracker running until then.
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('created');
    } finally {
      keep.close();
    }
  });
});
