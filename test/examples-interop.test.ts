// Runs examples/interop as the README shows: every scenario with a C peer
// (compiled here with cc, -Wall -Wextra -Werror) and with a Python peer, and
// checks what they print. Every IPC name the examples make is
// /osipc-<example's pid>-interop-…, checked for leaks by the global teardown.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pythonWith } from './helpers/procs.js';

const dir = fileURLToPath(new URL('../examples/interop/', import.meta.url));
const scenarios = ['mq', 'value', 'semaphore', 'sysv'] as const;
type Scenario = (typeof scenarios)[number];

const hasCc = (() => {
  try {
    execFileSync('cc', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const python = pythonWith(['python3'], 'ctypes, multiprocessing.shared_memory');
const pythonSysv = pythonWith(['/usr/bin/python3', 'python3'], 'sysv_ipc');
if (!hasCc) console.warn('no C compiler (cc): the C interop examples are skipped');
if (!python) console.warn('no python3: the Python interop examples are skipped');
if (!pythonSysv) console.warn('no python3 with sysv_ipc (apt-get install python3-sysv-ipc): the Python System V example is skipped');

let bin = '';
const exe: Partial<Record<Scenario, string>> = {};
beforeAll(() => {
  if (!hasCc) return;
  bin = mkdtempSync(join(tmpdir(), 'osipc-interop-test-'));
  for (const s of scenarios) {
    exe[s] = join(bin, `${s}_peer`);
    execFileSync('cc', ['-O2', '-Wall', '-Wextra', '-Werror', '-o', exe[s]!, join(dir, 'c', `${s}_peer.c`), '-lrt', '-pthread'], { stdio: 'pipe' });
  }
});
afterAll(() => {
  if (bin) rmSync(bin, { recursive: true, force: true });
});

function run(file: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [join(dir, file), ...args], { timeout: 90_000, env }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${file} ${args.join(' ')}: ${err.message}\n${stdout}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

// What each scenario must print, whatever the peer (`label` is C or Python).
const checks: Record<Scenario, (out: string, label: string) => void> = {
  mq(out, label) {
    // The peer took them by priority, not in the order sent (hello 1, urgent 9, world 5).
    expect([...out.matchAll(new RegExp(`^${label}: got '(\\w+)' at priority (\\d+)$`, 'gm'))].map((m) => `${m[1]}@${m[2]}`))
      .toEqual(['urgent@9', 'world@5', 'hello@1']);
    expect([...out.matchAll(/^node: reply '(.*)' \(priority (\d+)\)$/gm)].map((m) => `${m[1]}@${m[2]}`))
      .toEqual([`URGENT from ${label}@9`, `WORLD from ${label}@5`, `HELLO from ${label}@1`]);
    expect(out).toContain(`mq with ${label}: 3 replies, priorities 9,5,1, peer exit 0: ok`);
  },
  value(out, label) {
    const m = new RegExp(`^value with ${label}: 1000 \\+ (\\d+) \\(node\\) \\+ (\\d+) \\(${label}\\) = (\\d+), peer exit 0: ok$`, 'm').exec(out);
    expect(m, out).not.toBeNull();
    const [, node, peer, total] = m!.map(Number);
    expect(node).toBe(peer);
    expect(total).toBe(1000 + node! + peer!); // not one increment lost
    expect(out).toMatch(new RegExp(`^${label}: opened /osipc-\\d+-interop-value, typecode 'i', value 1000$`, 'm'));
    expect(out).toMatch(new RegExp(`^${label}: added ${peer} under the`, 'm'));
  },
  semaphore(out, label) {
    expect([...out.matchAll(new RegExp(`^${label}: round (\\d): got ping, posting pong$`, 'gm'))].map((m) => Number(m[1])))
      .toEqual([1, 2, 3, 4, 5]);
    expect(out.match(/^node: round \d: ping answered by pong$/gm)).toHaveLength(5);
    expect(out).toContain(`semaphore with ${label}: 5/5 rounds, values left 0/0, peer exit 0: ok`);
  },
  sysv(out, label) {
    expect(out).toMatch(/^node: queue key 0x4f[0-9a-f]+, id \d+/m);
    expect(out.match(new RegExp(`^${label}: got \\d+, answering \\d+$`, 'gm'))).toHaveLength(3);
    expect([...out.matchAll(/^node: (\d+) squared is (\d+) \(type 2\)$/gm)].map((m) => [Number(m[1]), Number(m[2])]))
      .toEqual([[3, 9], [4, 16], [12, 144]]);
    expect(out).toContain(`sysv with ${label}: 3/3 answers, peer exit 0: ok`);
  },
};

describe.skipIf(process.platform !== 'linux')('interop examples', () => {
  for (const s of scenarios) {
    it.skipIf(!hasCc)(`${s}.js with the C peer`, async () => {
      checks[s](await run(`${s}.js`, ['c', exe[s]!]), 'C');
    });
    const py = s === 'sysv' ? pythonSysv : python;
    it.skipIf(!py)(`${s}.js with the Python peer`, async () => {
      checks[s](await run(`${s}.js`, ['python'], { ...process.env, PYTHON: py! }), 'Python');
    });
  }

  it.skipIf(!hasCc)('a C peer built by the example itself (no binary given), and all.js', async () => {
    const out = await run('all.js', ['c']);
    for (const s of scenarios) {
      expect(out).toContain(`$ cc -O2 -Wall -Wextra -o `);
      expect(out).toMatch(new RegExp(`^${s} with C: .*: ok$`, 'm'));
    }
    expect(out).toContain('4/4 interop examples with C peers passed');
  });

  it('refuses an unknown peer kind with a usage line', async () => {
    await expect(run('mq.js', ['rust'])).rejects.toThrow(/usage: node examples\/interop\/mq\.js c \[peer-binary\] \| python/);
  });
});
