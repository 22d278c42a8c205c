import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { collect, packageRoot } from './helpers/child.js';

function runExample(file: string): ReturnType<typeof collect> {
  const child = spawn(process.execPath, [join(packageRoot, 'examples', file)], { cwd: packageRoot });
  return collect(child, 60_000);
}

describe('examples: shared values', () => {
  it('bank-account.js: lost updates (or says none were lost), then an exact total with the lock', async () => {
    const r = await runExample('bank-account.js');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const unlocked = /without the lock: balance (-?\d+), expected (-?\d+)/.exec(r.stdout);
    expect(unlocked).not.toBeNull();
    const [, balance, expected] = unlocked!;
    if (balance === expected) expect(r.stdout).toContain('no update was lost in this run');
    else expect(r.stdout).toContain(`off by ${Number(balance) - Number(expected)}`);
    const locked = /with withLock: +balance (-?\d+), expected (-?\d+)/.exec(r.stdout);
    expect(locked).not.toBeNull();
    expect(locked![1]).toBe(locked![2]);
    expect(r.stdout).toContain('exact');
  });

  it("shared-array.js: a child changes Array('c', 'hello') and squares a numeric array", async () => {
    const r = await runExample('shared-array.js');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('parent made: hello [ 1, 2, 3, 4, 5 ]');
    expect(r.stdout).toMatch(/child \d+ sees: h e l l o/);
    expect(r.stdout).toContain('after the child: Hello [ 1, 4, 9, 16, 25 ]');
  });
});
