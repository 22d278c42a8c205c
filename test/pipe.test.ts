// Layer 1: pipe(), socketpair(), sendFd()/recvFd() (SCM_RIGHTS), including a
// TCP socket handed to another process that serves it.
import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { closeSync, readFileSync, readSync, writeSync } from 'node:fs';
import net from 'node:net';
import { MAX_FDS_PER_MESSAGE, pipe, recvFd, recvFdSync, sendFd, sendFdSync, socketpair } from 'osipc';
import { collect, packageRoot } from './helpers/child.js';
import { openFds } from './helpers/leaks.js';
import { fixture } from './helpers/spawn-args.js';

const O_NONBLOCK = 0o4000;
const O_CLOEXEC = 0o2000000;
function fdFlags(fd: number): number {
  const m = /flags:\s+(\d+)/.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
  return parseInt(m![1]!, 8);
}

const toClose: number[] = [];
function track<T extends number[]>(fds: T): T {
  toClose.push(...fds);
  return fds;
}
afterEach(() => {
  for (const fd of toClose.splice(0)) {
    try { closeSync(fd); } catch { /* already closed */ }
  }
});

describe('pipe() and socketpair()', () => {
  it('return close-on-exec fds, blocking unless asked', () => {
    const [r, w] = track(pipe());
    expect(fdFlags(r) & O_CLOEXEC).toBe(O_CLOEXEC);
    expect(fdFlags(w) & O_NONBLOCK).toBe(0);
    writeSync(w, 'hi');
    const buf = Buffer.alloc(2);
    expect(readSync(r, buf)).toBe(2);
    const [a, b] = track(socketpair({ nonBlocking: true }));
    expect(fdFlags(a) & (O_CLOEXEC | O_NONBLOCK)).toBe(O_CLOEXEC | O_NONBLOCK);
    writeSync(a, 'x');
    expect(readSync(b, buf)).toBe(1);
    expect(() => pipe({ nonBlocking: 1 as never })).toThrow(TypeError);
  });
});

describe('sendFd() / recvFd()', () => {
  it('passes an fd; the received one is a close-on-exec duplicate', async () => {
    const [s1, s2] = track(socketpair());
    const [r, w] = track(pipe());
    await sendFd(s1, w);
    const w2 = track([await recvFd(s2)])[0]!;
    expect(w2).not.toBe(w);
    expect(fdFlags(w2) & O_CLOEXEC).toBe(O_CLOEXEC);
    writeSync(w2, 'through the copy');
    const buf = Buffer.alloc(64);
    expect(buf.toString('utf8', 0, readSync(r, buf))).toBe('through the copy');
    sendFdSync(s2, r);
    const r2 = track([recvFdSync(s1, { timeout: 1000 })])[0]!;
    writeSync(w, 'x');
    expect(readSync(r2, buf)).toBe(1);
    expect(MAX_FDS_PER_MESSAGE).toBe(253);
  });

  it('times out, aborts, reports EOF and a message without an fd', async () => {
    const [s1, s2] = track(socketpair());
    await expect(recvFd(s2, { timeout: 20 })).rejects.toMatchObject({ code: 'ERR_OSIPC_TIMEOUT' });
    expect(() => recvFdSync(s2, { timeout: 20 })).toThrow(expect.objectContaining({ code: 'ERR_OSIPC_TIMEOUT' }));
    await expect(recvFd(s2, { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ABORT_ERR' });
    writeSync(s1, 'x'); // a byte with no fd attached
    await expect(recvFd(s2)).rejects.toMatchObject({ code: 'EPROTO', syscall: 'recvmsg' });
    closeSync(s1);
    toClose.splice(toClose.indexOf(s1), 1);
    await expect(recvFd(s2)).rejects.toMatchObject({ code: 'ERR_OSIPC_EOF' });
  });

  it('rejects bad arguments and non-sockets clearly', async () => {
    const [r, w] = track(pipe());
    await expect(sendFd('3' as never, 1)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    await expect(sendFd(-1, 1)).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await expect(sendFd(w, 1.5)).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await expect(sendFd(w, r)).rejects.toMatchObject({ code: 'ENOTSOCK', syscall: 'sendmsg' });
    await expect(recvFd(r)).rejects.toMatchObject({ code: 'ENOTSOCK', syscall: 'recvmsg' });
    const [s1] = track(socketpair());
    await expect(sendFd(s1, 999_999)).rejects.toMatchObject({ code: 'EBADF' });
  });

  it('leaks nothing over 200 passes', async () => {
    const before = openFds().length;
    const [s1, s2] = track(socketpair());
    const [r, w] = track(pipe());
    for (let i = 0; i < 200; i++) {
      await sendFd(s1, i % 2 ? r : w);
      closeSync(await recvFd(s2));
    }
    for (const fd of toClose.splice(0)) closeSync(fd);
    expect(openFds().length).toBe(before);
  });
});

describe('a TCP socket handed to another process', () => {
  function startChild(mode: string, fd: number) {
    const child = spawn(process.execPath, [fixture('tcp-child.js'), mode], {
      cwd: packageRoot, stdio: ['ignore', 'pipe', 'pipe', fd],
    });
    return { child, result: collect(child) };
  }

  it('an accepted connection is served by the receiving process', async () => {
    const [mine, theirs] = track(socketpair());
    const { result } = startChild('accepted', theirs);
    // pauseOnConnect: this process never reads from the socket it hands over
    const server = net.createServer({ pauseOnConnect: true });
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
    const handed = new Promise<void>((resolve, reject) => {
      server.once('connection', (sock) => {
        const fd = (sock as unknown as { _handle: { fd: number } })._handle.fd;
        sendFd(mine, fd).then(() => {
          sock.destroy(); // our copy; the child's keeps the connection
          resolve();
        }, reject);
      });
    });
    const { port } = server.address() as net.AddressInfo;
    const client = net.connect(port, '127.0.0.1');
    await handed;
    server.close();
    client.write('hello');
    const reply = await new Promise<string>((res) => client.once('data', (d) => res(d.toString())));
    expect(reply).toBe('child:hello');
    client.end();
    expect((await result).code).toBe(0);
  });

  it('a listening socket is served by the receiving process', async () => {
    const [mine, theirs] = track(socketpair());
    const { child, result } = startChild('listening', theirs);
    const server = net.createServer(() => { throw new Error('the parent must not accept'); });
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
    const { port } = server.address() as net.AddressInfo;
    await sendFd(mine, (server as unknown as { _handle: { fd: number } })._handle.fd);
    server.close(); // stops our accepting; the child's copy keeps listening
    const reply = await new Promise<string>((res, rej) => {
      const c = net.connect(port, '127.0.0.1');
      let got = '';
      c.on('data', (d) => (got += d));
      c.on('end', () => res(got));
      c.on('error', rej);
    });
    expect(reply).toBe(`served by child ${child.pid}`);
    expect((await result).code).toBe(0);
  });
});
