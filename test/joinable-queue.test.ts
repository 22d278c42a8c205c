// JoinableQueue (taskDone/join across processes) and SimpleQueue.
import { afterEach, describe, expect, it } from 'vitest';
import { JoinableQueue, Queue, SimpleQueue, TimeoutError } from 'osipc';
import { collect, runNode, spawnNode, waitForLine } from './helpers/child.js';

const made: { close(): void }[] = [];
function track<T extends { close(): void }>(q: T): T {
  made.push(q);
  return q;
}
afterEach(() => {
  for (const q of made.splice(0)) q.close();
});

describe('JoinableQueue', () => {
  it('counts unfinished tasks; join resolves when each has its taskDone', async () => {
    const q = track(new JoinableQueue<number>());
    await q.join(); // nothing put yet
    q.joinSync();
    for (let i = 0; i < 3; i++) await q.put(i);
    expect(q.unfinishedTasks()).toBe(3);
    let joined = false;
    const j = q.join().then(() => { joined = true; });
    for (let i = 0; i < 3; i++) {
      await q.get();
      await new Promise((r) => setTimeout(r, 10));
      expect(joined).toBe(false);
      q.taskDone();
    }
    await j;
    expect(q.unfinishedTasks()).toBe(0);
    expect(() => q.taskDone()).toThrow(expect.objectContaining({ code: 'ERR_OSIPC_TASK_DONE_TOO_MANY' }));
  });

  it('join times out (TimeoutError) and is cancelled by an AbortSignal', async () => {
    const q = track(new JoinableQueue());
    await q.put('x');
    await expect(q.join({ timeout: 30 })).rejects.toBeInstanceOf(TimeoutError);
    await expect(q.join({ timeout: 0 })).rejects.toMatchObject({ code: 'ERR_OSIPC_TIMEOUT' });
    expect(() => q.joinSync({ timeout: 30 })).toThrow(TimeoutError);
    const ac = new AbortController();
    const j = q.join({ signal: ac.signal });
    setTimeout(() => ac.abort(), 20);
    await expect(j).rejects.toMatchObject({ name: 'AbortError' });
    await q.get();
    q.taskDone();
    await q.join({ timeout: 1000 });
  });

  it('workers in other processes take, process and mark tasks; join waits for all', async () => {
    const q = track(new JoinableQueue<number>());
    const results = track(new Queue<number>());
    const workers = [0, 1].map(() => spawnNode(`
      import { JoinableQueue, Queue } from 'osipc';
      const q = JoinableQueue.open(process.argv[2]);
      const results = Queue.open(process.argv[3]);
      console.log('ready');
      for (;;) {
        const v = await q.get();
        await new Promise((r) => setTimeout(r, 2));
        await results.put(v * 10);
        q.taskDone();
      }`, [q.name, results.name]));
    await Promise.all(workers.map((w) => waitForLine(w, /ready/)));
    for (let i = 0; i < 40; i++) await q.put(i);
    await q.join({ timeout: 30_000 });
    // Every task was finished (its result put) before join resolved.
    expect(results.qsize()).toBe(40);
    const got: number[] = [];
    for (let i = 0; i < 40; i++) got.push(results.getNowait());
    expect(got.sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i * 10));
    for (const w of workers) w.kill();
    await Promise.all(workers.map((w) => collect(w)));
  });

  it('joinSync in another process returns when this one finishes the tasks', async () => {
    const q = track(new JoinableQueue<string>());
    await q.put('a');
    await q.put('b');
    const child = spawnNode(`
      import { JoinableQueue } from 'osipc';
      const q = JoinableQueue.open(process.argv[2]);
      console.log('joining', q.unfinishedTasks());
      q.joinSync({ timeout: 20000 });
      console.log('joined', q.unfinishedTasks());`, [q.name]);
    expect(await waitForLine(child, /joining/)).toBe('joining 2');
    const done = collect(child); // from now on, keep what it prints
    q.getNowait();
    q.taskDone();
    q.getNowait();
    q.taskDone();
    const r = await done;
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('joined 0');
  });
});

describe('SimpleQueue', () => {
  it('put, get, empty and the sync forms, across processes', async () => {
    const q = track(new SimpleQueue<{ n: number }>());
    expect(q.empty()).toBe(true);
    const r = await runNode(`
      import { SimpleQueue } from 'osipc';
      const q = SimpleQueue.open(process.argv[2]);
      await q.put({ n: 1 });
      q.putSync({ n: 2 });
      q.close();`, [q.name]);
    expect(r.stderr).toBe('');
    expect(q.empty()).toBe(false);
    expect(await q.get()).toEqual({ n: 1 });
    expect(q.getSync({ timeout: 1000 })).toEqual({ n: 2 });
    expect(() => q.getNowait()).toThrow(expect.objectContaining({ code: 'ERR_OSIPC_QUEUE_EMPTY' }));
    expect(q.empty()).toBe(true);
  });
});
