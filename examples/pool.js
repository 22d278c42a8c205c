// A pool of worker processes, after the seeds' multiprocessing.Pool examples:
// 10 tasks on Pool(4) with applyAsync and the results gathered; map of
// squares; a callback that runs in the parent; and a pool against starting
// one process per task.
//   node examples/pool.js
import { Pool, Process } from 'osipc';

const tasks = new URL('./workers/pool-tasks.js', import.meta.url);
const pool = new Pool({ processes: 4, module: tasks });
console.log(`main process pid ${process.pid}; pool workers: ${pool.pids.join(', ')}`);

// 1. Ten tasks on four workers, results gathered in order.
const results = [];
for (let i = 0; i < 10; i++) results.push(pool.applyAsync('worker', [`hello ${i}`]));
for (const r of results) console.log(await r.get());

// 2. map of squares.
console.log('map of squares:', await pool.map('square', [0, 1, 2, 3, 4, 5]));

// 3. The callback runs here, in the parent, with the task's value.
await pool.applyAsync('test', [], {
  callback: (value) => console.log(`callback in pid ${process.pid} got ${JSON.stringify(value)}`),
}).wait();

// 4. A pool (workers already running) against one fresh process per task.
const N = 12;
let t0 = performance.now();
await Promise.all(Array.from({ length: N }, (_, i) => pool.apply('square', [i])));
const pooled = performance.now() - t0;
t0 = performance.now();
await Promise.all(Array.from({ length: N }, async (_, i) => {
  const p = new Process({ module: tasks, fn: 'square', args: [i] });
  await p.start();
  await p.join();
  return p.result;
}));
const perTask = performance.now() - t0;
console.log(`${N} tasks: pool ${pooled.toFixed(1)} ms, one process per task ${perTask.toFixed(1)} ms ` +
  `(${(perTask / pooled).toFixed(0)}x)`);

pool.close();
await pool.join();
console.log('pool closed and joined');
