// Create and attach latency of osipc segments, for bench/suites/values.js.
// Usage: node values-shm.js create <n>            µs per new SharedArray('B', 1 MiB)
//        node values-shm.js attach <prefix> <n>   µs per SharedArray.open(`${prefix}${i}`)
// Close (and the creator's unlink) is not timed. Prints one number.
import { SharedArray } from 'osipc';

const SIZE = 1 << 20;
const [mode, ...rest] = process.argv.slice(2);

function timeEach(count, make) {
  let total = 0n;
  for (let i = 0; i < count; i++) {
    const t0 = process.hrtime.bigint();
    const a = make(i);
    total += process.hrtime.bigint() - t0;
    a.close();
  }
  return Number(total) / count / 1e3;
}

if (mode === 'create') {
  const n = Number(rest[0]);
  timeEach(Math.min(n, 200), () => new SharedArray('B', SIZE)); // warm-up
  console.log(timeEach(n, () => new SharedArray('B', SIZE)));
} else if (mode === 'attach') {
  const [prefix, nText] = rest;
  const n = Number(nText);
  timeEach(Math.min(n, 200), (i) => SharedArray.open(`${prefix}${i}`)); // warm-up
  console.log(timeEach(n, (i) => SharedArray.open(`${prefix}${i}`)));
} else {
  throw new Error(`unknown mode ${mode}`);
}
