// Runs each synchronization example as a user would, with a time bound, and
// checks what it printed.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { collect, packageRoot } from './helpers/child.js';

function run(name: string) {
  const child = spawn(process.execPath, [`examples/${name}.js`], { cwd: packageRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  return collect(child, 30_000);
}
const count = (text: string, re: RegExp): number => (text.match(new RegExp(re, 'g')) ?? []).length;

describe('sync examples', () => {
  it('ticket-office: 3 tickets to 10 buyers, none sold twice', async () => {
    const r = await run('ticket-office');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(count(r.stdout, /got ticket #/)).toBe(3);
    expect(count(r.stdout, /sold out/)).toBe(7);
    for (const t of [1, 2, 3]) expect(count(r.stdout, new RegExp(`ticket #${t}\\b`))).toBe(1);
    expect(r.stdout).toContain('tickets sold: 3, sold twice: 0, left: 0');
  });

  it('ktv-semaphore: never more than 4 inside', async () => {
    const r = await run('ktv-semaphore');
    expect(r.stderr).toBe('');
    expect(count(r.stdout, /walks in/)).toBe(10);
    const most = Number(/most singers inside at once: (\d+)/.exec(r.stdout)![1]);
    expect(most).toBeGreaterThanOrEqual(1);
    expect(most).toBeLessThanOrEqual(4);
    for (const m of r.stdout.matchAll(/\((\d+) inside\)/g)) expect(Number(m[1])).toBeLessThanOrEqual(4);
  });

  it('traffic-light-event: every car passes, only on green', async () => {
    const r = await run('traffic-light-event');
    expect(r.stderr).toBe('');
    expect(count(r.stdout, /car \d passes/)).toBe(6);
    expect(r.stdout).toContain('all cars passed');
    // A car that waited passes only once the light has turned green. (Its
    // "waits" line may print just after the light changed, so look before "passes".)
    const lines = r.stdout.split('\n');
    const firstGreen = lines.indexOf('light is green');
    for (let i = 0; i < 6; i++) {
      if (!lines.includes(`car ${i} waits at red`)) continue;
      expect(firstGreen).toBeGreaterThan(-1);
      expect(lines.indexOf(`car ${i} passes`)).toBeGreaterThan(firstGreen);
    }
  });

  it('round-robin-locks: Task1, Task2, Task3 in turn, three times', async () => {
    const r = await run('round-robin-locks');
    expect(r.stderr).toBe('');
    const tasks = r.stdout.split('\n').filter((l) => l.includes('Task')).map((l) => l.replace(/-/g, ''));
    expect(tasks).toEqual(['Task1', 'Task2', 'Task3', 'Task1', 'Task2', 'Task3', 'Task1', 'Task2', 'Task3']);
  });

  it('condition: 10 made, 10 taken', async () => {
    const r = await run('condition');
    expect(r.stderr).toBe('');
    expect(count(r.stdout, /took an item/)).toBe(10);
    expect(r.stdout).toContain('made 10, taken 10, left on the shelf 0');
  });

  it('barrier: three runners, each lap announced once', async () => {
    const r = await run('barrier');
    expect(r.stderr).toBe('');
    expect(count(r.stdout, /-- everyone finished lap \d --/)).toBe(3);
    expect(count(r.stdout, /starts lap/)).toBe(9);
    expect(r.stdout).toContain('all laps done together');
  });
});
