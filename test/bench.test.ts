// The benchmark harness works end to end: it runs the baseline suite, writes the
// JSON and the chart. No figure is asserted (timings are a report, not a test).
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { packageRoot } from './helpers/child.js';

const dir = mkdtempSync(join(tmpdir(), 'osipc-bench-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Figure {
  id: string;
  unit: string;
  runs: number[];
  median?: number;
  min?: number;
  max?: number;
  spreadPct?: number;
  error?: string;
}
interface Ratio {
  id: string;
  ratio: number | null;
  met: boolean | null;
}

function bench(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['bench/run.js', ...args], { cwd: packageRoot, encoding: 'utf8', timeout: 180_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const hasCompiler = spawnSync('cc', ['--version']).status === 0;
const hasPython = spawnSync('python3', ['--version']).status === 0;

describe('bench/run.js', () => {
  it('runs the baseline suite quickly and writes every figure as JSON, with a chart', () => {
    const json = join(dir, 'baseline.json');
    const r = bench(['--quick', '--only', 'baseline', '--json', json, '--no-pin']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('## Summary');

    const data = JSON.parse(readFileSync(json, 'utf8'));
    expect(data.machine.node).toBe(process.version);
    expect(data.options).toMatchObject({ quick: true, only: 'baseline', pinned: false });
    const byId = new Map<string, Figure>(data.figures.map((f: Figure) => [f.id, f]));
    const expected = ['node.fork_ipc.rtt_json', 'node.fork_ipc.tput_json', 'node.fork_ipc.rtt_advanced', 'node.fork_ipc.tput_advanced'];
    if (hasCompiler) expected.push('c.pipe.rtt_1B');
    if (hasPython) expected.push('py.mp_pipe.rtt', 'py.mp_pipe.tput', 'py.mp_queue.rtt', 'py.mp_queue.tput');
    for (const id of expected) {
      const f = byId.get(id);
      expect(f, id).toBeDefined();
      expect(f!.error, id).toBeUndefined();
      expect(f!.runs.length, id).toBe(1);
      for (const v of [f!.median, f!.min, f!.max]) {
        expect(Number.isFinite(v) && v! > 0, `${id}: ${v}`).toBe(true);
      }
    }
    if (hasCompiler) {
      const ratio = (data.ratios as Ratio[]).find((x) => x.id === 'c.pipe.rtt_1B / node.fork_ipc.rtt_json');
      expect(ratio?.ratio).toBeGreaterThan(0);
      expect(typeof ratio?.met).toBe('boolean');
    }
    const svg = readFileSync(join(dir, 'baseline.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('node.fork_ipc.rtt_json');
  }, 200_000);

  it('filters figures by id, and rejects an unknown flag without running anything', () => {
    const json = join(dir, 'one.json');
    const r = bench(['--quick', '--only', 'fork_ipc.rtt_json', '--json', json, '--no-pin']);
    expect(r.status, r.stderr).toBe(0);
    const ids = JSON.parse(readFileSync(json, 'utf8')).figures.map((f: Figure) => f.id);
    expect(ids).toEqual(['node.fork_ipc.rtt_json']);

    const bad = bench(['--no-such-flag', '--json', join(dir, 'bad.json')]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('usage');
    expect(existsSync(join(dir, 'bad.json'))).toBe(false);
  }, 200_000);

  const hasTaskset = spawnSync('taskset', ['-c', '0', 'true']).status === 0;
  it.skipIf(!hasTaskset)('runs a second pass pinned to CPU 0 whose figures end in @same', () => {
    const json = join(dir, 'pinned.json');
    const r = bench(['--quick', '--only', 'fork_ipc.rtt_json', '--json', json]);
    expect(r.status, r.stderr).toBe(0);
    const data = JSON.parse(readFileSync(json, 'utf8'));
    expect(data.options.pinned).toBe(true);
    expect(data.figures.map((f: Figure) => f.id)).toEqual(['node.fork_ipc.rtt_json', 'node.fork_ipc.rtt_json@same']);
    expect(data.notes).toEqual([]); // the pinned child saw exactly one usable CPU
  }, 200_000);

  // Issue 9: `npm run bench -- --quick` runs without failing: every suite, every figure.
  it('npm run bench -- --quick: every suite measures every figure without an error', () => {
    const json = join(dir, 'quick.json');
    const r = spawnSync('npm', ['run', '--silent', 'bench', '--', '--quick', '--json', json],
      { cwd: packageRoot, encoding: 'utf8', timeout: 400_000 });
    expect(r.status, r.stderr).toBe(0);
    const data = JSON.parse(readFileSync(json, 'utf8'));
    const suites = new Set((data.figures as Figure[]).map((f) => f.id.split('.')[1]));
    expect(suites.size).toBeGreaterThan(5);
    const failed = (data.figures as Figure[]).filter((f) => f.error !== undefined || !(f.median! > 0))
      .map((f) => `${f.id}: ${f.error ?? f.median}`);
    expect(failed).toEqual([]);
  }, 420_000);
});

