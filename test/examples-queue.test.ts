// The Queue examples run to completion, in bounded time, and do what they say.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { collect, packageRoot } from './helpers/child.js';

function runExample(file: string): ReturnType<typeof collect> {
  const path = fileURLToPath(new URL(`../examples/${file}`, import.meta.url));
  return collect(spawn(process.execPath, [path], { cwd: packageRoot, stdio: ['ignore', 'pipe', 'pipe'] }), 30_000);
}

const count = (text: string, re: RegExp): number => text.split('\n').filter((l) => re.test(l)).length;

describe('Queue examples', () => {
  it('producer-consumer.js: two producers, two consumers, stopped by sentinels', async () => {
    const r = await runExample('producer-consumer.js');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(count(r.stdout, /^(Egon|WuSir) made /)).toBe(10);
    expect(count(r.stdout, /^(jinBoss|alex) consumed /)).toBe(10);
    // Every item made was consumed exactly once.
    const made = r.stdout.match(/made (.*)$/gm)!.map((l) => l.slice(5)).sort();
    const eaten = r.stdout.match(/consumed (.*)$/gm)!.map((l) => l.slice(9)).sort();
    expect(eaten).toEqual(made);
    expect(count(r.stdout, /got the sentinel and stops/)).toBe(2);
    expect(r.stdout).toContain('main: every consumer stopped after 10 items; 0 left in the queue');
  });

  it('joinable-queue.js: producers wait until every item is processed; daemon consumers', async () => {
    const r = await runExample('joinable-queue.js');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(count(r.stdout, /^(jinBoss|alex) consumed /)).toBe(10);
    expect(count(r.stdout, /all items were processed/)).toBe(2);
    // A producer's join returns only after all it put was consumed (items
    // the other producer puts later may still be on their way).
    const lines = r.stdout.split('\n');
    for (const who of ['Egon', 'WuSir']) {
      const lastOwn = lines.map((l) => l.includes(' consumed ') && l.endsWith(`from ${who}`)).lastIndexOf(true);
      const joined = lines.indexOf(`${who}: all items were processed`);
      expect(joined).toBeGreaterThan(lastOwn);
    }
    expect(r.stdout).toContain('unfinished tasks: 0');
    expect(r.stdout).toMatch(/main: done; the daemon consumers \(\d alive\) end with this process/);
  });
});
