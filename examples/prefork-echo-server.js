// A pre-fork TCP echo server: the parent accepts connections on 127.0.0.1 and
// hands each accepted socket to one of its worker processes (round robin)
// with sendFd (SCM_RIGHTS); the worker serves it. The example connects a few
// clients itself, prints their echoes, and shuts everything down.
//   node examples/prefork-echo-server.js
import net from 'node:net';
import { Pipe, Process, sendFd } from 'osipc';

const WORKERS = 2;
const CLIENTS = 4;

const workers = [];
for (let i = 1; i <= WORKERS; i++) {
  const [line, theirs] = Pipe(); // a socketpair: it can carry fds
  const p = new Process({
    module: new URL('./workers/pipes.js', import.meta.url), fn: 'serveEcho', args: [theirs, `worker-${i}`],
  });
  await p.start();
  theirs.close();
  workers.push({ line, p });
}

let next = 0;
// pauseOnConnect: the parent never reads from a socket it hands over.
const server = net.createServer({ pauseOnConnect: true }, async (sock) => {
  const w = workers[next++ % WORKERS];
  await sendFd(w.line.fileno(), sock._handle.fd);
  sock.destroy(); // our copy only: the worker's keeps the connection open
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address();
console.log(`listening on 127.0.0.1:${port} with ${WORKERS} workers`);

const replies = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => new Promise((resolve, reject) => {
  const client = net.connect(port, '127.0.0.1', () => client.end(`hello from client ${i + 1}`));
  let reply = '';
  client.on('data', (d) => (reply += d));
  client.on('end', () => resolve(reply));
  client.on('error', reject);
})));
for (const r of replies) console.log(r);

server.close();
for (const w of workers) w.line.close(); // workers see EOF and leave
for (const w of workers) await w.p.join();
console.log('server and workers shut down');
