// A pre-fork TCP echo server: the parent accepts connections on 127.0.0.1 and
// hands each accepted socket to one of its worker processes (round robin)
// with sendFd (SCM_RIGHTS); the worker serves it. The example connects a few
// clients itself, prints their echoes, and shuts everything down.
import { spawn } from 'node:child_process';
import { closeSync } from 'node:fs';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { EOFError, recvFd, sendFd, socketpair } from 'osipc';

const WORKERS = 2;
const CLIENTS = 4;

if (process.argv[2] === 'worker') await worker(process.argv[3]);
else await main();

async function worker(name) {
  // fd 3: a socketpair end over which the parent sends accepted sockets.
  for (;;) {
    let fd;
    try {
      fd = await recvFd(3);
    } catch (err) {
      if (err instanceof EOFError) break; // the parent is shutting down
      throw err;
    }
    const sock = new net.Socket({ fd, readable: true, writable: true });
    sock.on('data', (data) => sock.write(`${name} (pid ${process.pid}) echoes: ${data}`));
    sock.on('end', () => sock.end());
  }
  closeSync(3);
}

async function main() {
  const workers = [];
  for (let i = 1; i <= WORKERS; i++) {
    const [mine, theirs] = socketpair();
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), 'worker', `worker-${i}`], {
      stdio: ['ignore', 'inherit', 'inherit', theirs],
    });
    closeSync(theirs);
    workers.push({ fd: mine, exited: new Promise((resolve) => child.on('exit', resolve)) });
  }

  let next = 0;
  // pauseOnConnect: the parent never reads from a socket it hands over.
  const server = net.createServer({ pauseOnConnect: true }, async (sock) => {
    const w = workers[next++ % WORKERS];
    await sendFd(w.fd, sock._handle.fd);
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
  for (const w of workers) closeSync(w.fd); // workers see EOF and leave
  await Promise.all(workers.map((w) => w.exited));
  console.log('server and workers shut down');
}
