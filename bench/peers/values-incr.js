// One of two processes incrementing an osipc Value, for bench/suites/values.js.
// Usage: node values-incr.js <value name> <gate name> <n> lock|add
//   lock: n times getLock().acquireSync(); v.value += 1; release()
//   add:  n times v.add(1) (lock-free)
// Warms up untimed, waits at the gate until both peers are there, then prints
// "<start ns> <end ns>" on the monotonic clock (comparable across processes).
import { SharedArray, Value } from 'osipc';

const [name, gateName, nText, mode] = process.argv.slice(2);
const n = Number(nText);
const v = Value.open(name);
const gate = SharedArray.open(gateName);
const lock = mode === 'lock' ? v.getLock() : null;

function lockedIncrements(count) {
  for (let i = 0; i < count; i++) {
    lock.acquireSync();
    v.value += 1;
    lock.release();
  }
}
function atomicAdds(count) {
  for (let i = 0; i < count; i++) v.add(1);
}
const run = mode === 'lock' ? lockedIncrements : mode === 'add' ? atomicAdds : null;
if (!run) throw new Error(`unknown mode ${mode}`);

run(Math.min(n, 100_000)); // warm-up: let the JIT compile the loop
gate.add(0, 1);
while (gate.load(0) < 2); // both peers start together
const t0 = process.hrtime.bigint();
run(n);
const t1 = process.hrtime.bigint();
console.log(`${t0} ${t1}`);
v.close();
gate.close();
