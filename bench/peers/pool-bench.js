// osipc Pool peer for bench/suites/pool.js.
//   node pool-bench.js map <n> <chunksize> <processes>  -> tasks/s of pool.map over n trivial tasks
//   node pool-bench.js rtt <n>                          -> µs per pool.apply round trip (1 worker)
// Untimed first, as in the other peers: every worker has started and answered,
// then the measured call runs WARMUPS times. The figure is the median of REPS timed
// calls; every result is checked.
import { Pool } from 'osipc';

const REPS = 7;
// Untimed calls first, the same number in every peer: a map's first calls in
// a fresh process run before V8 has compiled its loops (5-10x slower here).
const WARMUPS = 5;
const [mode, nArg, chunkArg, procArg] = process.argv.slice(2);
const n = Number(nArg);
const module = new URL('./pool-tasks.js', import.meta.url);
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

// Workers start in the background; a map timed while one is still starting
// would measure its start-up. Ask until every worker has answered.
async function allStarted(pool, procs) {
  const seen = new Set();
  const end = Date.now() + 60_000;
  while (seen.size < procs) {
    if (Date.now() > end) throw new Error('the workers did not all start');
    for (const p of await pool.map('pid', new Array(procs * 2).fill(0), { chunksize: 1 })) seen.add(p);
    if (seen.size < procs) await new Promise((r) => setTimeout(r, 20));
  }
}

if (mode === 'map') {
  const chunksize = Number(chunkArg);
  const procs = Number(procArg);
  const pool = new Pool({ processes: procs, module });
  await allStarted(pool, procs);
  const inputs = Array.from({ length: n }, (_, i) => i);
  for (let r = 0; r < WARMUPS; r++) await pool.map('inc', inputs, { chunksize });   // the measured call, untimed
  const times = [];
  for (let r = 0; r < REPS; r++) {
    const t0 = performance.now();
    const out = await pool.map('inc', inputs, { chunksize });
    times.push(performance.now() - t0);
    if (out.length !== n || out[0] !== 1 || out[n - 1] !== n) throw new Error('wrong results');
  }
  pool.close();
  await pool.join();
  console.log(n / (median(times) / 1000));
} else if (mode === 'rtt') {
  const pool = new Pool({ processes: 1, module });
  for (let i = 0; i < Math.min(n, 1000); i++) await pool.apply('inc', [i]);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) if (await pool.apply('inc', [i]) !== i + 1) throw new Error('wrong result');
  const ms = performance.now() - t0;
  pool.close();
  await pool.join();
  console.log((ms * 1000) / n);
} else {
  throw new Error(`unknown mode ${mode}`);
}
