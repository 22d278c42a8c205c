// The trivial task the pool benchmarks run (bench/peers/pool-bench.js, thread-pool-bench.js).
export function inc(x) {
  return x + 1;
}

// Which worker ran the task: the benchmarks wait until every worker has answered.
export function pid() {
  return process.pid;
}
