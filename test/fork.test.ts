// The experimental fork(): what docs/api/process.md says works, tested as written.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

function run(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], env });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, out })));
}

describe('fork() (experimental, Linux)', () => {
  it.runIf(process.platform === 'linux')('100 of 100 small children write to a pipe and leave with exit()', async () => {
    const { code, out } = await run([fileURLToPath(new URL('./fixtures/fork-children.js', import.meta.url)), '100']);
    expect(code).toBe(0);
    const lines = out.trim().split('\n');
    const summary = lines.pop()!;
    const parentPid = Number(/^parent (\d+) /.exec(summary)![1]);
    expect(summary).toBe(`parent ${parentPid} forked 100 ok 100`);
    expect(lines).toHaveLength(100);
    const pids = new Set<number>();
    lines.forEach((line, i) => {
      const m = /^child (\d+) pid (\d+) process\.pid (\d+) ppid (\d+)$/.exec(line);
      expect(m).not.toBeNull();
      expect(Number(m![1])).toBe(i);
      expect(m![2]).toBe(m![3]); // process.pid is the child's own
      expect(Number(m![4])).toBe(parentPid);
      pids.add(Number(m![2]));
    });
    expect(pids.size).toBe(100);
    expect(pids.has(parentPid)).toBe(false);
  });

  it('throws an ENOSYS-coded error where it is not supported', async () => {
    // Pretend to be macOS before osipc loads.
    const code = `Object.defineProperty(process, 'platform', { value: 'darwin' });
      import('osipc').then(({ fork }) => {
        try { fork(); console.log('forked'); } catch (e) { console.log(JSON.stringify({ code: e.code, syscall: e.syscall, errno: e.errno })); }
      })`;
    const { out } = await run(['-e', code]);
    expect(JSON.parse(out)).toEqual({ code: 'ENOSYS', syscall: 'fork', errno: -38 });
  });
});
