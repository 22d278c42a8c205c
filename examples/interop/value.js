// Node and a C or Python program add to the same shared-memory Value at the
// same time, and not one increment is lost.
//   node examples/interop/value.js c|python
// C takes the Value's own lock (osipc's process-shared mutex, whose protocol
// examples/c/osipc_value.h implements). Python's standard library has neither
// atomic instructions nor futex calls, so it cannot take that lock safely:
// there, both sides agree to guard the Value with a named semaphore instead.
import { NamedSemaphore, Value } from 'osipc';
import { choosePeer, runPeer } from './peer.js';

const peer = choosePeer('value');
const start = 1000;
const n = peer.kind === 'c' ? 100_000 : 5_000;

// Typecode 'i' (a 32-bit int) with a lock: the segment is /dev/shm/osipc-<pid>-interop-value.
const v = new Value('i', start, { name: `/osipc-${process.pid}-interop-value` });
console.log(`node: Value('i', ${start}) at ${v.name}; node and ${peer.label} each add 1, ${n} times`);

// Both sides hold the same guard for each increment: for C the Value's lock,
// for Python a named semaphore whose value is 1 when free.
let guard;
let take;
let give;
if (peer.kind === 'c') {
  guard = v.getLock();
  take = async () => guard.tryAcquire() || guard.acquire({ timeout: 20_000 });
  give = () => guard.release();
} else {
  guard = NamedSemaphore.create({ name: `/osipc-${process.pid}-interop-guard`, value: 0 });
  take = async () => guard.tryWait() || guard.wait({ timeout: 20_000 });
  give = () => guard.post();
}

// Node holds the guard (the lock taken, the semaphore made at 0) until the peer
// is ready, so that the two really add at the same time.
if (peer.kind === 'c' && !guard.tryAcquire()) throw new Error('the new lock is taken');
const { exited, waitFor } = runPeer(peer, peer.kind === 'c' ? [v.name, String(n)] : [v.name, guard.name, String(n)]);
await waitFor(/opened/);
give();
for (let i = 0; i < n; i++) {
  if (!(await take())) throw new Error('the guard stayed taken for 20 s');
  v.value += 1; // read, then write: safe only while holding the guard
  give();
}
console.log(`node: added ${n}`);
const code = await exited;
const total = v.value;
if (peer.kind === 'python') guard.close(); // after the peer is done with it: close unlinks it
v.close(); // the creator unlinks the segment

const ok = code === 0 && total === start + 2 * n;
console.log(`value with ${peer.label}: ${start} + ${n} (node) + ${n} (${peer.label}) = ${total}, peer exit ${code}: ${ok ? 'ok' : 'FAILED'}`);
process.exitCode = ok ? 0 : 1;
