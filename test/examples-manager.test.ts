// The Manager example runs as users run it (node examples/manager-dict.js), within a time bound.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { collect, packageRoot } from './helpers/child.js';

describe('manager examples', () => {
  it('manager-dict: 50 processes take one each off dict.count under a Lock, which ends at 50', async () => {
    const child = spawn(process.execPath, ['examples/manager-dict.js'], { cwd: packageRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    const r = await collect(child, 150_000);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const [, manager, main] = /manager process (\d+) is serving \(this is (\d+)\)/.exec(r.stdout)!;
    expect(manager).not.toBe(main);
    expect(r.stdout).toContain('50 processes took one each');
    expect(r.stdout).toContain("main process: { count: 50 }");
    expect(r.stdout).toContain("after changing a copy: { count: 50 }");
    expect(r.stdout).toContain('manager shut down');
  }, 180_000);
});
