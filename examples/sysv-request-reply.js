// Request/reply on one System V message queue, the classic way: clients send
// requests as type 1, the server answers each with type = the client's pid, so
// every client receives only its own replies. The key comes from ftok() on this
// file, as a C or Python client would compute it.
//   node examples/sysv-request-reply.js
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SysVMessageQueue, ftok } from 'osipc';

const self = fileURLToPath(import.meta.url);
const key = ftok(self, 0x52);
const REQUESTS = 3;

if (process.argv[2] === 'client') {
  const q = SysVMessageQueue.open(key);
  for (let i = 1; i <= REQUESTS; i++) {
    const n = Number(process.argv[3]) * 10 + i;
    await q.send(JSON.stringify({ pid: process.pid, n }), { type: 1 });
    const reply = await q.receive({ type: process.pid, timeout: 10_000 });
    console.log(`client ${process.pid}: ${n} squared is ${reply.data.toString()}`);
  }
  q.close(); // an opener never removes the queue
} else {
  let q;
  try {
    q = SysVMessageQueue.create({ key });
  } catch (err) {
    if (err.code !== 'EEXIST') throw err;
    console.log(`a queue with key 0x${(key >>> 0).toString(16)} already exists: is another copy running?`);
    process.exit(1);
  }
  console.log(`server: queue id ${q.id}, key 0x${(key >>> 0).toString(16)} (see ipcs -q)`);
  const clients = [1, 2].map((c) => spawn(process.execPath, [self, 'client', c], { stdio: 'inherit' }));
  const exited = clients.map((c) => new Promise((resolve) => c.on('exit', resolve)));
  for (let served = 0; served < clients.length * REQUESTS; served++) {
    const { data } = await q.receive({ type: 1 });
    const { pid, n } = JSON.parse(data.toString());
    await q.send(String(n * n), { type: pid });
  }
  await Promise.all(exited);
  console.log(`server: served ${clients.length * REQUESTS} requests`);
  q.close(); // the creator removes the queue (IPC_RMID)
}
