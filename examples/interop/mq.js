// Node and a C or Python program talk through two POSIX message queues: Node
// queues requests with priorities, the peer takes them most urgent first and
// answers each on the reply queue with the same priority.
//   node examples/interop/mq.js c|python
import { MessageQueue } from 'osipc';
import { choosePeer, runPeer } from './peer.js';

const peer = choosePeer('mq');
const requests = [['hello', 1], ['urgent', 9], ['world', 5]];

let rx;
let tx;
try {
  // Names a C program passes to mq_open as they are.
  tx = MessageQueue.create({ name: `/osipc-${process.pid}-interop-requests`, maxMessages: 8, messageSize: 256 });
  rx = MessageQueue.create({ name: `/osipc-${process.pid}-interop-replies`, maxMessages: 8, messageSize: 256 });
} catch (err) {
  if (err.code !== 'ENOSYS') throw err;
  console.log(`${err.message}\nPOSIX message queues do not exist here: run examples/interop/sysv.js instead.`);
  process.exit(1);
}

// Everything is queued before the peer starts, so it sees all three at once
// and the kernel hands them over by priority, not in the order sent.
for (const [text, priority] of requests) {
  await tx.send(text, { priority });
  console.log(`node: sent '${text}' at priority ${priority}`);
}
await tx.send('quit', { priority: 0 }); // lowest: it comes out last
const { exited, waitFor } = runPeer(peer, [tx.name, rx.name]);

const replies = [];
for (let i = 0; i < requests.length; i++) {
  const m = await rx.receive({ timeout: 20_000 });
  if (!m) break;
  replies.push(m);
  await waitFor(new RegExp(`priority ${m.priority}$`)); // the peer's own line first, to keep the output in order
  console.log(`node: reply '${m.data.toString()}' (priority ${m.priority})`);
}
const code = await exited;
tx.close(); // the creator unlinks both names
rx.close();

const order = replies.map((m) => m.priority).join(',');
const ok = code === 0 && order === '9,5,1';
console.log(`mq with ${peer.label}: ${replies.length} replies, priorities ${order}, peer exit ${code}: ${ok ? 'ok' : 'FAILED'}`);
process.exitCode = ok ? 0 : 1;
