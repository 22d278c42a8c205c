// A minimal pool of worker_threads, the in-process peer of osipc's Pool.
//   node thread-pool-bench.js map <n> <chunksize> <threads>  -> tasks/s
//   node thread-pool-bench.js rtt <n>                        -> µs per task round trip (1 thread)
// Each worker imports pool-tasks.js and runs chunks posted to it (structured clone).
// map's figure is the median of REPS timed calls, as in pool-bench.js.
import { Worker, isMainThread, parentPort } from 'node:worker_threads';

if (!isMainThread) {
  const tasks = await import('./pool-tasks.js');
  parentPort.on('message', ({ id, fn, chunk }) => {
    parentPort.postMessage({ id, values: chunk.map((x) => tasks[fn](x)) });
  });
} else {
  const REPS = 7;
  const WARMUPS = 5; // as pool-bench.js
  const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  const [mode, nArg, chunkArg, threadArg] = process.argv.slice(2);
  const n = Number(nArg);
  const threads = mode === 'map' ? Number(threadArg) : 1;
  const workers = Array.from({ length: threads }, () => new Worker(new URL(import.meta.url)));
  const pending = new Map();
  let nextId = 0;
  for (const w of workers) {
    w.on('message', ({ id, values }) => {
      const p = pending.get(id);
      pending.delete(id);
      p.resolve(values);
    });
  }
  const run = (w, chunk) => new Promise((resolve) => {
    const id = nextId++;
    pending.set(id, { resolve });
    w.postMessage({ id, fn: 'inc', chunk });
  });
  // map: each thread takes the next chunk when it finishes one (as a Pool does).
  async function map(inputs, chunksize) {
    const out = new Array(inputs.length);
    let next = 0;
    await Promise.all(workers.map(async (w) => {
      while (next < inputs.length) {
        const start = next;
        next += chunksize;
        const values = await run(w, inputs.slice(start, start + chunksize));
        for (let i = 0; i < values.length; i++) out[start + i] = values[i];
      }
    }));
    return out;
  }
  if (mode === 'map') {
    const chunksize = Number(chunkArg);
    const inputs = Array.from({ length: n }, (_, i) => i);
    // As the other peers: every worker has answered, then the measured call runs once untimed.
    await Promise.all(workers.map((w) => run(w, [0])));
    for (let r = 0; r < WARMUPS; r++) await map(inputs, chunksize);
    const times = [];
    for (let r = 0; r < REPS; r++) {
      const t0 = performance.now();
      const out = await map(inputs, chunksize);
      times.push(performance.now() - t0);
      if (out.length !== n || out[0] !== 1 || out[n - 1] !== n) throw new Error('wrong results');
    }
    console.log(n / (median(times) / 1000));
  } else {
    for (let i = 0; i < Math.min(n, 1000); i++) await run(workers[0], [i]);
    const t0 = performance.now();
    for (let i = 0; i < n; i++) if ((await run(workers[0], [i]))[0] !== i + 1) throw new Error('wrong result');
    console.log(((performance.now() - t0) * 1000) / n);
  }
  for (const w of workers) await w.terminate();
}
