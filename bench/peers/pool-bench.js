// osipc Pool peer for bench/suites/pool.js.
//   node pool-bench.js map <n> <chunksize> <processes>  -> tasks/s of pool.map over n trivial tasks
//   node pool-bench.js rtt <n>                          -> µs per pool.apply round trip (1 worker)
// The pool starts and warms up untimed; the result is checked.
import { Pool } from 'osipc';

const [mode, nArg, chunkArg, procArg] = process.argv.slice(2);
const n = Number(nArg);
const module = new URL('./pool-tasks.js', import.meta.url);

if (mode === 'map') {
  const chunksize = Number(chunkArg);
  const pool = new Pool({ processes: Number(procArg), module });
  const inputs = Array.from({ length: n }, (_, i) => i);
  await pool.map('inc', inputs.slice(0, Math.min(n, 10_000)), { chunksize });   // warm-up
  const t0 = performance.now();
  const out = await pool.map('inc', inputs, { chunksize });
  const ms = performance.now() - t0;
  if (out.length !== n || out[n - 1] !== n) throw new Error('wrong results');
  pool.close();
  await pool.join();
  console.log(n / (ms / 1000));
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
