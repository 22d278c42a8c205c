// The pipe examples run to the end within a bound and print what they claim.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { collect, packageRoot } from './helpers/child.js';

function run(name: string) {
  const file = fileURLToPath(new URL(`../examples/${name}`, import.meta.url));
  return collect(spawn(process.execPath, [file], { cwd: packageRoot, stdio: ['ignore', 'pipe', 'pipe'] }), 30_000);
}

describe('pipe examples', () => {
  it('pipe-greeting.js: parent and child greet each other', async () => {
    const res = await run('pipe-greeting.js');
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/parent got: Have you eaten\? \(from the child, pid \d+\)/);
    expect(res.stdout).toMatch(/child got: Yes, thanks \(from the parent, pid \d+\)/);
    expect(res.stdout).toContain('child exited with code 0');
  });

  it('pipe-producer-consumers.js: every bun eaten exactly once, every consumer stops', async () => {
    const res = await run('pipe-producer-consumers.js');
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const eaten = [...res.stdout.matchAll(/consumer-\d ate bun #(\d+)/g)].map((m) => Number(m[1]));
    expect(eaten.sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    const stops = [...res.stdout.matchAll(/consumer-\d stops after (\d+) buns/g)].map((m) => Number(m[1]));
    expect(stops.length).toBe(3);
    expect(stops.reduce((a, b) => a + b, 0)).toBe(12);
    expect(res.stdout).toContain('all 3 consumers stopped; 12 buns baked, 12 eaten');
  });

  it('prefork-echo-server.js: workers serve the sockets the parent accepted', async () => {
    const res = await run('prefork-echo-server.js');
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const echoes = [...res.stdout.matchAll(/worker-(\d) \(pid (\d+)\) echoes: hello from client (\d)/g)];
    expect(echoes.map((m) => Number(m[3])).sort()).toEqual([1, 2, 3, 4]);
    expect(new Set(echoes.map((m) => m[2])).size).toBe(2); // both workers served
    expect(res.stdout).toContain('server and workers shut down');
  });
});
