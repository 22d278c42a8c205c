// The child side of bench/suites/pipes.js. Its end of the pipe is fd 3.
//   echo [spin]    values back until EOF (round trips), and on { cmd: 'send', n }
//                  sends n { i, s: 'hello' } (one-way throughput); `spin`: the
//                  µs its recv polls before it sleeps (conn.spin)
//   echo-sync      values back with recvSync/sendSync (no event loop) until EOF
//   stream <n> <size>      n messages of `size` bytes with sendBytes
//   raw-stream <n> <size>  the same bytes with plain non-blocking write(2), no framing
//   raw-echo       each byte back with read(2)/write(2), waiting in FdPoller (libuv)
//                  when there is none: the floor of any Promise-form round trip
import { Connection, EOFError } from 'osipc';
import { fdBinding, EAGAIN } from '../../dist/os/fd.js';
import { FdPoller, READABLE, WRITABLE } from '../../dist/os/poller.js';

const [mode, a, b] = process.argv.slice(2);

if (mode === 'echo') {
  const conn = Connection.fromFd(3, { spin: Number(a ?? 0) });
  for (;;) {
    let m;
    try {
      m = await conn.recv();
    } catch (err) {
      if (err instanceof EOFError) break;
      throw err;
    }
    if (m !== null && typeof m === 'object' && m.cmd === 'send') {
      for (let i = 0; i < m.n; i++) await conn.send({ i, s: 'hello' });
    } else {
      await conn.send(m);
    }
  }
  conn.close();
} else if (mode === 'echo-sync') {
  const conn = Connection.fromFd(3);
  for (;;) {
    let m;
    try {
      m = conn.recvSync();
    } catch (err) {
      if (err instanceof EOFError) break;
      throw err;
    }
    conn.sendSync(m);
  }
  conn.close();
} else if (mode === 'stream') {
  const conn = Connection.fromFd(3, { readable: false });
  const chunk = Buffer.alloc(Number(b), 7);
  for (let i = 0; i < Number(a); i++) await conn.sendBytes(chunk);
  await conn.flush();
  conn.close();
} else if (mode === 'raw-stream') {
  const fd = 3;
  fdBinding.setNonBlocking(fd, true);
  const poller = new FdPoller(fd);
  const chunk = Buffer.alloc(Number(b), 7);
  for (let i = 0; i < Number(a); i++) {
    let off = 0;
    while (off < chunk.length) {
      const n = fdBinding.write(fd, chunk, off, chunk.length - off);
      if (n === -EAGAIN) await poller.wait(WRITABLE);
      else off += n;
    }
  }
  poller.close();
  fdBinding.close(fd);
} else if (mode === 'raw-echo') {
  const fd = 3;
  fdBinding.setNonBlocking(fd, true);
  const poller = new FdPoller(fd);
  const buf = Buffer.alloc(64);
  for (;;) {
    const n = fdBinding.read(fd, buf, 0, buf.length);
    if (n === -EAGAIN) await poller.wait(READABLE, 1000); // bounded: reads again after a second
    else if (n === 0) break;
    else fdBinding.write(fd, buf, 0, n);
  }
  poller.close();
  fdBinding.close(fd);
} else {
  throw new Error(`unknown mode ${mode}`);
}
