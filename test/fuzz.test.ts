// Fuzzes every public function, class, static and method of 'osipc' (whatever
// is exported when this runs: test/fixtures/fuzz.js walks the exports) in a
// child process: it must not crash, not hang, and leave no fds and no IPC
// objects behind. In a sandbox (own pid, IPC and mount namespaces, private
// /dev/shm) random pids, keys and names can touch nothing outside it.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInSandbox, sandboxAvailable } from './helpers/sandbox.js';

/** Calls per seed: FUZZ_CALLS for longer runs (npm run soak sets it). */
const CALLS = Number(process.env.FUZZ_CALLS ?? 10_000);
const SEEDS = process.env.FUZZ_SEEDS ? process.env.FUZZ_SEEDS.split(',').map(Number) : [1, 2, 3];

interface Summary {
  seed: number;
  targets: number;
  exports: number;
  calls: number;
  returned: number;
  threw: number;
  rejected: number;
  abandoned: number;
  errors: Record<string, number>;
  failures: { label: string; what: string }[];
  failureCount: number;
  uncoded: string[];
  fdsBefore: number;
  fdsAfter: number;
  leaked: string[];
  kept: number;
  sane: boolean;
  labels: string[];
}

// On in `npm test` (FUZZ=0 turns it off). The abort it found (uv__close on an
// fd <= 2, from a SharedArrayBuffer view's pending napi exception and from fds
// adopted unchecked) is fixed; see docs/reliability.md.
const enabled = process.env.FUZZ !== '0';

describe.skipIf(!sandboxAvailable || !enabled)('fuzz (in a sandbox)', () => {
  for (const seed of SEEDS) {
    it(`seed ${seed}: ${CALLS} calls across every export, no crash, hang or leak`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'osipc-fuzz-'));
      try {
        const summaryFile = join(dir, 'summary.json');
        const lastFile = join(dir, 'last-call.txt');
        // Well inside the test's own timeout, so that a hang is reported with its call.
        const r = await runInSandbox('test/fixtures/fuzz.js', [], {
          nodeArgs: ['--expose-gc'],
          env: { FUZZ_SEED: String(seed), FUZZ_CALLS: String(CALLS), FUZZ_SUMMARY: summaryFile, FUZZ_LAST: lastFile, FUZZ_SANDBOXED: '1' },
          timeoutMs: 45_000 + CALLS * 10,
        });
        const last = (() => {
          try { return readFileSync(lastFile, 'utf8').trim(); } catch { return '?'; }
        })();
        expect(r.timedOut, `hung at: ${last}`).toBe(false);
        expect(r.code, `exited ${r.code}/${r.signal} at ${last}\n${r.stderr.slice(-2000)}`).toBe(0);
        const s = JSON.parse(readFileSync(summaryFile, 'utf8')) as Summary;
        console.log(`fuzz seed ${seed}: ${s.calls} calls over ${s.targets} targets (${s.exports} exports); ` +
          `${s.returned} returned, ${s.threw} threw, ${s.rejected} rejected, ${s.abandoned} abandoned pending; ` +
          `errors ${JSON.stringify(s.errors)}; fds ${s.fdsBefore} -> ${s.fdsAfter}; kept ${s.kept}` +
          (s.uncoded.length ? `; errors without a class or code: ${s.uncoded.join(' | ')}` : ''));
        expect(s.failures).toEqual([]);
        expect(s.calls).toBe(CALLS);
        // Every export with something callable is reached.
        expect(s.targets).toBeGreaterThan(s.exports);
        expect(s.leaked).toEqual([]);
        expect(s.fdsAfter).toBeLessThanOrEqual(s.fdsBefore);
        expect(s.sane).toBe(true);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }, 60_000 + CALLS * 12);
  }
});
