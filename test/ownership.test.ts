// Ownership: the creator of a named object unlinks it however it ends (normal
// exit, exception, SIGINT/SIGTERM/SIGHUP) without changing what the signal
// does; an opener never unlinks; `keep` leaves the object. The tracker tests
// are in test/tracker.test.ts.
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { MessageQueue, SharedMemory } from 'osipc';
import { collect, runNode, spawnNode, testName } from './helpers/child.js';
import { lineReader, until } from './helpers/procfs.js';

const shmPath = (name: string): string => `/dev/shm${name}`;

// The in-process paths are tested with the tracker off, so that the tracker
// cannot be what removed the object.
const prelude = `
  process.env.OSIPC_TRACKER = '0';
  const { SharedMemory } = await import('osipc');
  const { existsSync } = await import('node:fs');
  const s = SharedMemory.create({ size: 64 });
  console.log('name', s.name);
`;

function nameOf(stdout: string): string {
  return /name (\S+)/.exec(stdout)![1]!;
}

const kept: string[] = [];
afterEach(() => {
  for (const name of kept.splice(0)) {
    try { SharedMemory.unlink(name); } catch { /* gone */ }
  }
});

describe('ownership: the creator unlinks', () => {
  it('at normal exit and at process.exit(code), keeping the exit code', async () => {
    const a = await runNode(`${prelude}`);
    expect(a.code).toBe(0);
    expect(existsSync(shmPath(nameOf(a.stdout)))).toBe(false);
    const b = await runNode(`${prelude} process.exit(3);`);
    expect(b.code).toBe(3);
    expect(existsSync(shmPath(nameOf(b.stdout)))).toBe(false);
  });

  it('on an uncaught exception and an unhandled rejection (exit code 1, error printed)', async () => {
    const a = await runNode(`${prelude} setTimeout(() => { throw new Error('boom-sync'); }, 10);`);
    expect(a.code).toBe(1);
    expect(a.stderr).toContain('boom-sync');
    expect(existsSync(shmPath(nameOf(a.stdout)))).toBe(false);
    const b = await runNode(`${prelude} Promise.reject(new Error('boom-async'));`);
    expect(b.code).toBe(1);
    expect(b.stderr).toContain('boom-async');
    expect(existsSync(shmPath(nameOf(b.stdout)))).toBe(false);
  });

  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    it(`on ${signal} with no handler, then dies of ${signal} as it would have`, async () => {
      const child = spawnNode(`${prelude} setInterval(() => {}, 1000);`);
      const result = collect(child);
      const line = lineReader(child);
      const name = /name (\S+)/.exec(await line(/^name /))![1]!;
      expect(existsSync(shmPath(name))).toBe(true);
      child.kill(signal);
      const r = await result;
      expect(r.signal).toBe(signal);
      expect(r.code).toBe(null);
      expect(existsSync(shmPath(name))).toBe(false);
    });
  }

  it('on SIGTERM, removes every kind (semaphores, POSIX and System V queues too) from the signal handler', async () => {
    const child = spawnNode(`
      process.env.OSIPC_TRACKER = '0';
      const { SharedMemory, NamedSemaphore, MessageQueue, SysVMessageQueue } = await import('osipc');
      const made = {
        shm: SharedMemory.create({ size: 64 }).name,
        sem: NamedSemaphore.create({ value: 0 }).name,
        mq: MessageQueue.create({ maxMessages: 2, messageSize: 16 }).name,
        sysv: SysVMessageQueue.create().id,
      };
      console.log('made', JSON.stringify(made));
      for (;;);`);
    const result = collect(child);
    const line = lineReader(child);
    const made = JSON.parse((await line(/^made /)).slice(5)) as { shm: string; sem: string; mq: string; sysv: number };
    await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGTERM');
    expect((await result).signal).toBe('SIGTERM');
    expect(existsSync(shmPath(made.shm))).toBe(false);
    expect(existsSync(`/dev/shm/sem.${made.sem.slice(1)}`)).toBe(false);
    expect(() => MessageQueue.open(made.mq)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect(readFileSync('/proc/sysvipc/msg', 'utf8')).not.toMatch(new RegExp(`^\\s*\\S+\\s+${made.sysv}\\s`, 'm'));
  });

  it('leaves a signal to the user\'s handler: nothing is unlinked until the handler exits', async () => {
    const child = spawnNode(`${prelude}
      let n = 0;
      process.on('SIGINT', () => {
        n++;
        console.log('handled', n, existsSync('/dev/shm' + s.name));
        if (n === 2) process.exit(5);
      });
      console.log('ready');
      setInterval(() => {}, 1000);`);
    const result = collect(child);
    const line = lineReader(child);
    await line(/^ready/);
    child.kill('SIGINT');
    expect(await line(/^handled 1/)).toBe('handled 1 true');
    child.kill('SIGINT');
    const r = await result;
    expect(r.code).toBe(5);
    expect(r.stdout).toContain('handled 2 true');
    expect(existsSync(shmPath(nameOf(r.stdout)))).toBe(false);
  });

  it('counts a once() handler registered before the first object as the user\'s', async () => {
    const child = spawnNode(`
      process.env.OSIPC_TRACKER = '0';
      process.once('SIGTERM', () => console.log('once'));
      const { SharedMemory } = await import('osipc');
      const s = SharedMemory.create({ size: 64 });
      console.log('name', s.name);
      setInterval(() => {}, 1000);`);
    const result = collect(child);
    const line = lineReader(child);
    const name = /name (\S+)/.exec(await line(/^name /))![1]!;
    child.kill('SIGTERM');
    await line(/^once/);
    // The user's handler took the first one: still alive, still there.
    expect(existsSync(shmPath(name))).toBe(true);
    child.kill('SIGTERM');
    const r = await result;
    expect(r.signal).toBe('SIGTERM');
    expect(existsSync(shmPath(name))).toBe(false);
  });

  for (const [what, block] of [
    ['in a busy loop', 'for (;;);'],
    ['blocked in a Sync wait', 'futex.waitSync(new Int32Array(s.buffer), 0, 0);'],
  ] as const) {
    it(`on SIGTERM while ${what}, dying of it at once (no JS listener could have run)`, async () => {
      const child = spawnNode(`${prelude}
        const { futex } = await import('osipc');
        console.log('blocking', s.name);
        ${block}`);
      const result = collect(child);
      const line = lineReader(child);
      const name = (await line(/^blocking /)).split(' ')[1]!;
      await new Promise((r) => setTimeout(r, 50));
      child.kill('SIGTERM');
      const r = await result;
      expect(r.signal).toBe('SIGTERM');
      expect(existsSync(shmPath(name))).toBe(false);
    });
  }

  it('adds no JS listeners, and gives a signal back its default once the user\'s listener is removed', async () => {
    const child = spawnNode(`${prelude}
      const counts = ['SIGINT', 'SIGTERM', 'SIGHUP'].map((x) => process.listenerCount(x)).join(',');
      const h = () => console.log('mine');
      process.on('SIGINT', h);
      console.log('listeners', counts);
      process.stdin.once('data', () => {
        process.off('SIGINT', h);
        console.log('removed');
      });
      setInterval(() => {}, 1000);`);
    const result = collect(child);
    const line = lineReader(child);
    const name = /name (\S+)/.exec(await line(/^name /))![1]!;
    expect(await line(/^listeners/)).toBe('listeners 0,0,0');
    child.kill('SIGINT');
    await line(/^mine/);
    expect(existsSync(shmPath(name))).toBe(true);
    child.stdin!.write('x');
    await line(/^removed/);
    child.kill('SIGINT');
    const r = await result;
    expect(r.signal).toBe('SIGINT');
    expect(existsSync(shmPath(name))).toBe(false);
  });

  it('puts the default action back once it owns nothing, and never touches an ignored signal', async () => {
    const r = await runNode(`${prelude}
      s.close();
      // Owning nothing, the signal is the default again: this kill ends us.
      process.kill(process.pid, 'SIGTERM');
      await new Promise((r) => setTimeout(r, 1000));
      console.log('survived');`);
    expect(r.signal).toBe('SIGTERM');
    expect(r.stdout).not.toContain('survived');
  });

  it('closes quietly when the object was already removed by hand', async () => {
    const r = await runNode(`${prelude}
      SharedMemory.unlink(s.name);   // as \`osipc rm\` would, from outside
      const t = SharedMemory.create({ size: 64 });
      (await import('node:fs')).unlinkSync('/dev/shm' + t.name);
      t.close();
      console.log('closed', t.closed);`);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('closed true');
  });
});

describe('ownership: openers and keep', () => {
  it('an opener never unlinks: not on close, exit, exception or signal', async () => {
    const owner = SharedMemory.create({ size: 64, name: testName() });
    try {
      for (const end of ['s.close();', 'process.exit(0);', 'throw new Error("x");', 'process.kill(process.pid, "SIGTERM");']) {
        const r = await runNode(`
          import { MessageQueue, SharedMemory } from 'osipc';
          const s = SharedMemory.open(process.argv[2]);
          ${end}`, [owner.name]);
        expect(r.stderr).not.toContain('ENOENT');
        expect(existsSync(shmPath(owner.name))).toBe(true);
      }
    } finally {
      owner.close();
    }
  });

  it('keep: true survives close, exit and SIGKILL (the tracker is not told)', async () => {
    const name = testName('k');
    kept.push(name);
    const child = spawnNode(`
      import { MessageQueue, SharedMemory } from 'osipc';
      const s = SharedMemory.create({ name: process.argv[2], size: 64, keep: true });
      console.log('made', s.owner);
      setInterval(() => {}, 1000);`, [name]);
    const result = collect(child);
    const line = lineReader(child);
    expect(await line(/^made/)).toBe('made false');
    child.kill('SIGKILL');
    await result;
    // Give a tracker, if one were wrongly told, the time to act.
    await new Promise((r) => setTimeout(r, 300));
    expect(existsSync(shmPath(name))).toBe(true);
  });

  it('a creator that unlinks early no longer owns the name: a later object of that name survives it', async () => {
    const name = testName('re');
    kept.push(name);
    const child = spawnNode(`
      import { MessageQueue, SharedMemory } from 'osipc';
      const s = SharedMemory.create({ name: process.argv[2], size: 64 });
      s.unlink();
      console.log('unlinked', s.owner);
      setInterval(() => {}, 1000);`, [name]);
    const result = collect(child);
    const line = lineReader(child);
    expect(await line(/^unlinked/)).toBe('unlinked false');
    const other = SharedMemory.create({ name, size: 64, keep: true });
    other.close();
    child.kill('SIGKILL');
    await result;
    await new Promise((r) => setTimeout(r, 300));
    expect(existsSync(shmPath(name))).toBe(true);
  });

  it('keeps an object created by this test process until it is closed', async () => {
    const s = SharedMemory.create({ size: 64 });
    expect(s.owner).toBe(true);
    s.close();
    expect(await until(() => !existsSync(shmPath(s.name)))).toBe(true);
  });
});
