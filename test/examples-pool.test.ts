// The pool example runs as users run it (node examples/pool.js), within a time bound.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function runExample(name: string, timeoutMs = 60_000): Promise<{ code: number | null; out: string; err: string }> {
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

describe('pool examples', () => {
  it('pool.js: 10 applyAsync tasks on Pool(4), map of squares, a parent callback, pool vs process per task', async () => {
    const { code, out, err } = await runExample('pool.js');
    expect(err).toBe('');
    expect(code).toBe(0);
    const main = Number(/main process pid (\d+); pool workers: ([\d, ]+)/.exec(out)![1]);
    const workers = /pool workers: ([\d, ]+)/.exec(out)![1]!.split(', ').map(Number);
    expect(workers).toHaveLength(4);
    for (let i = 0; i < 10; i++) {
      const m = new RegExp(`hello ${i} done by PoolWorker-\\d+ \\(pid (\\d+)\\)`).exec(out);
      expect(m).not.toBeNull();
      expect(workers).toContain(Number(m![1]));
    }
    // Gathered in submission order.
    const order = [...out.matchAll(/hello (\d) done/g)].map((m) => Number(m[1]));
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(out).toContain('map of squares: [ 0, 1, 4, 9, 16, 25 ]');
    const cb = /callback in pid (\d+) got \{"pid":(\d+),"message":"from the task"\}/.exec(out);
    expect(Number(cb![1])).toBe(main);
    expect(workers).toContain(Number(cb![2]));
    expect(out).toMatch(/12 tasks: pool [\d.]+ ms, one process per task [\d.]+ ms \(\d+x\)/);
    expect(out).toContain('pool closed and joined');
  }, 90_000);
});
