// The child side of the pipe examples; each function runs in a Process and
// gets its Connection rebuilt from the fds the Process inherited.
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { EOFError, recvFd } from 'osipc';

/** pipe-greeting.js: greet the parent, print its answer. */
export async function greet(conn) {
  await conn.send(`Have you eaten? (from the child, pid ${process.pid})`);
  console.log('child got:', await conn.recv());
  conn.close();
}

/** pipe-producer-consumers.js: eat buns from a shared end until null or EOF. */
export async function eatBuns(buns, name) {
  let eaten = 0;
  for (;;) {
    let bun;
    try {
      bun = await buns.recv();
    } catch (err) {
      if (err instanceof EOFError) break; // every producer has closed
      throw err;
    }
    if (bun === null) break; // the producer's "no more" for one consumer
    console.log(`${name} ate ${bun}`);
    eaten++;
    await sleep(10 + Math.random() * 40);
  }
  buns.close();
  console.log(`${name} stops after ${eaten} buns`);
  return eaten;
}

/**
 * prefork-echo-server.js: serve the TCP connections the parent accepted and
 * sends here, as fds over `line` (a socket), until the parent closes it.
 */
export async function serveEcho(line, name) {
  for (;;) {
    let fd;
    try {
      fd = await recvFd(line.fileno());
    } catch (err) {
      if (err instanceof EOFError) break; // the parent is shutting down
      throw err;
    }
    const sock = new net.Socket({ fd, readable: true, writable: true });
    sock.on('data', (data) => sock.write(`${name} (pid ${process.pid}) echoes: ${data}`));
    sock.on('end', () => sock.end());
  }
  line.close();
}
