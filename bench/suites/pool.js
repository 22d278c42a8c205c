// Pool (issue 7): map of 100k trivial tasks (throughput at the best chunksize)
// and the apply round trip, against Python's multiprocessing.Pool and a pool
// of worker_threads, all in the same run.
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseFigure, runPeer } from '../lib/peers.js';

export const title = 'Pool: map throughput, apply round trip';

const here = (rel) => fileURLToPath(new URL(rel, import.meta.url));
const OSIPC = here('../peers/pool-bench.js');
const THREADS = here('../peers/thread-pool-bench.js');
const PY = here('../py/pool_map.py');

/** The best tasks/s over a few chunksizes: each library at its own best. */
async function bestMap(cmd, script, n, procs, chunksizes) {
  let best = 0;
  for (const c of chunksizes) best = Math.max(best, parseFigure(await runPeer(cmd, [script, 'map', n, c, procs])));
  return best;
}

export default async function (b) {
  const n = b.quick ? 20_000 : 100_000;
  const rtts = b.quick ? 500 : 5_000;
  const procs = b.pinned ? 1 : Math.min(availableParallelism(), 4);
  // n / (2 * procs) is in the list: Python's Pool.map is at its best near there.
  const chunks = b.quick ? [1000] : [...new Set([500, 2000, 10_000, Math.ceil(n / (2 * procs))])];
  const rate = { unit: 'tasks/s', better: 'higher' };
  const us = { unit: 'us', better: 'lower' };

  await b.measure('osipc.pool.map_100k', rate, () => bestMap(process.execPath, OSIPC, n, procs, chunks));
  await b.measure('osipc.pool.apply_rtt', us, async () => parseFigure(await runPeer(process.execPath, [OSIPC, 'rtt', rtts])));
  await b.measure('node.worker_threads_pool.map_100k', rate, () => bestMap(process.execPath, THREADS, n, procs, chunks));
  await b.measure('node.worker_threads_pool.rtt', us, async () => parseFigure(await runPeer(process.execPath, [THREADS, 'rtt', rtts])));
  if (b.python) {
    await b.measure('py.mp_pool.map_100k', rate, () => bestMap(b.python, PY, n, procs, chunks));
    await b.measure('py.mp_pool.apply_rtt', us, async () => parseFigure(await runPeer(b.python, [PY, 'rtt', rtts])));
  } else b.log('python3 not found: Python peers skipped');

  b.compare('osipc.pool.map_100k', 'py.mp_pool.map_100k', { atLeast: 5, note: 'issue 7 goal: map ≥ 5x Python Pool.map' });
  b.compare('osipc.pool.apply_rtt', 'py.mp_pool.apply_rtt', { note: 'apply round trip vs Python (reference)' });
  b.compare('osipc.pool.map_100k', 'node.worker_threads_pool.map_100k', { note: 'vs worker_threads (reference)' });
  b.compare('osipc.pool.apply_rtt', 'node.worker_threads_pool.rtt', { note: 'vs worker_threads (reference)' });
}
