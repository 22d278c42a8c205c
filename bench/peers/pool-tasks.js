// The trivial task the pool benchmarks run (bench/peers/pool-bench.js, thread-pool-bench.js).
export function inc(x) {
  return x + 1;
}
