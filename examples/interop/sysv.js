// Node and a C or Python program talk through one System V message queue:
// Node sends numbers as type 1, the peer answers each with its square as type 2.
// System V queues exist on macOS too (POSIX message queues do not).
//   node examples/interop/sysv.js c|python
import { SysVMessageQueue } from 'osipc';
import { choosePeer, runPeer } from './peer.js';

const peer = choosePeer('sysv', { pythonModule: 'sysv_ipc' });
const numbers = [3, 4, 12];

// Peers find the queue by its key. Two programs usually agree on one with
// ftok(path, id); this example makes it from its pid, so two copies can run at once.
const key = 0x4f000000 | (process.pid & 0xffffff);
let q;
try {
  q = SysVMessageQueue.create({ key });
} catch (err) {
  if (err.code !== 'EEXIST') throw err;
  console.log(`a queue with key 0x${key.toString(16)} exists already (ipcs -q)`);
  process.exit(1);
}
console.log(`node: queue key 0x${key.toString(16)}, id ${q.id} (ipcs -q shows it)`);
const { exited, waitFor } = runPeer(peer, [`0x${key.toString(16)}`]);

for (const n of numbers) await q.send(String(n), { type: 1 });
await q.send('quit', { type: 1 });
const answers = [];
for (const n of numbers) {
  // type 2 only: our own requests (type 1) are never taken by mistake.
  const m = await q.receive({ type: 2, timeout: 20_000 });
  if (!m) break;
  answers.push(Number(m.data.toString()));
  await waitFor(new RegExp(`got ${n},`)); // the peer's own line first, to keep the output in order
  console.log(`node: ${n} squared is ${m.data.toString()} (type ${m.type})`);
}
const code = await exited;
q.close(); // the creator removes the queue (IPC_RMID)

const ok = code === 0 && answers.join() === numbers.map((n) => n * n).join();
console.log(`sysv with ${peer.label}: ${answers.length}/${numbers.length} answers, peer exit ${code}: ${ok ? 'ok' : 'FAILED'}`);
process.exitCode = ok ? 0 : 1;
