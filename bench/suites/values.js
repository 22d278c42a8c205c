// Shared values (issue 4): a locked increment and a lock-free atomic add by two
// processes on one Value, against Python's multiprocessing.Value, and the
// latency of creating and attaching shared memory against Python's shared_memory.
import { fileURLToPath } from 'node:url';
import { SharedArray, Value } from 'osipc';
import { parseFigure, runPeer } from '../lib/peers.js';

export const title = 'Shared values: Value, SharedArray';

const here = (rel) => fileURLToPath(new URL(rel, import.meta.url));
const INCR = here('../peers/values-incr.js');
const SHM = here('../peers/values-shm.js');
const PY_LOCK = here('../py/value_lock.py');
const PY_SHM = here('../py/shm_create_attach.py');
let serial = 0;
const benchName = (tag) => `/osipc-${process.pid}-bv${++serial}${tag}`;

/** Two peers increment one Value n times each; total increments per second. */
async function twoProcessIncrements(n, mode) {
  const v = new Value('i', 0, { name: benchName('v') });
  const gate = new SharedArray('i', 1, { name: benchName('g') });
  try {
    const outs = await Promise.all([0, 1].map(() => runPeer(process.execPath, [INCR, v.name, gate.name, n, mode])));
    const spans = outs.map((o) => o.trim().split('\n').pop().split(' ').map(BigInt));
    const expected = 2 * (n + Math.min(n, 100_000));
    if (v.value !== expected) throw new Error(`${mode}: ${v.value} increments counted, ${expected} made`);
    const start = spans.reduce((m, [s]) => (s < m ? s : m), spans[0][0]);
    const end = spans.reduce((m, [, e]) => (e > m ? e : m), spans[0][1]);
    return (2 * n) / (Number(end - start) / 1e9);
  } finally {
    v.close();
    gate.close();
  }
}

/** µs per SharedArray.open() of a 1 MiB segment in another process. */
async function attachOtherProcess(n) {
  const prefix = benchName('a');
  const made = [];
  try {
    for (let i = 0; i < n; i++) made.push(new SharedArray('B', 1 << 20, { name: `${prefix}${i}` }));
    return parseFigure(await runPeer(process.execPath, [SHM, 'attach', prefix, n]));
  } finally {
    for (const a of made) a.close();
  }
}

export default async function (b) {
  const locked = b.quick ? 200_000 : 5_000_000;
  const adds = b.quick ? 1_000_000 : 20_000_000;
  const pyLocked = b.quick ? 20_000 : 300_000;
  const segs = b.quick ? 200 : 2_000;
  const rate = { unit: 'ops/s', better: 'higher' };
  const us = { unit: 'us', better: 'lower' };

  await b.measure('osipc.value.locked_incr_2proc', rate, () => twoProcessIncrements(locked, 'lock'));
  await b.measure('osipc.value.atomic_add_2proc', rate, () => twoProcessIncrements(adds, 'add'));
  await b.measure('osipc.shared_array.create_1MiB', us, async () => parseFigure(await runPeer(process.execPath, [SHM, 'create', segs])));
  await b.measure('osipc.shared_array.attach_1MiB_other_proc', us, () => attachOtherProcess(segs));

  if (b.python) {
    await b.measure('py.mp_value_lock.incr_2proc', rate, async () => parseFigure(await runPeer(b.python, [PY_LOCK, pyLocked])));
    await b.measure('py.shared_memory.create_1MiB', us, async () => parseFigure(await runPeer(b.python, [PY_SHM, 'create', segs])));
    await b.measure('py.shared_memory.attach_1MiB_other_proc', us, async () => parseFigure(await runPeer(b.python, [PY_SHM, 'attach', segs])));
  } else b.log('python3 not found: Python peers skipped');

  b.compare('osipc.value.locked_incr_2proc', 'py.mp_value_lock.incr_2proc', { atLeast: 10, note: 'issue 4 goal: locked increment ≥ 10x Python' });
  b.compare('osipc.shared_array.create_1MiB', 'py.shared_memory.create_1MiB', { note: 'create latency vs Python (reference)' });
  b.compare('osipc.shared_array.attach_1MiB_other_proc', 'py.shared_memory.attach_1MiB_other_proc', { note: 'attach latency vs Python (reference)' });
  b.log(`goal: osipc.value.atomic_add_2proc ≥ 50,000,000 ops/s in total (issue 4)`);
}
