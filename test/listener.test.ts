// Listener / Client over AF_UNIX sockets, with and without an authkey,
// between unrelated processes (node and Python).
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Listener, type Connection } from 'osipc';
import { collect, packageRoot } from './helpers/child.js';
import { openFds } from './helpers/leaks.js';
import { fixture } from './helpers/spawn-args.js';

const cleanup: { close(): void }[] = [];
function keep<T extends { close(): void }>(x: T): T {
  cleanup.push(x);
  return x;
}
afterEach(() => {
  for (const x of cleanup.splice(0)) x.close();
});

let n = 0;
const tmpPath = (): string => join(tmpdir(), `osipc-${process.pid}-${++n}.sock`);

function runClient(address: string, authkey = '') {
  const child = spawn(process.execPath, [fixture('listener-client.js'), address, authkey], {
    cwd: packageRoot, stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { child, result: collect(child) };
}

describe('Listener and Client', () => {
  it('connect without an authkey; the default address is a fresh abstract name', async () => {
    const l = keep(new Listener());
    expect(l.address.startsWith('\0osipc-')).toBe(true);
    const [server, client] = await Promise.all([l.accept(), Client(l.address)]);
    keep(server);
    keep(client);
    await client.send({ q: 1 });
    expect(await server.recv()).toEqual({ q: 1 });
    await server.sendBytes(Buffer.from('raw'));
    expect((await client.recvBytes()).toString()).toBe('raw');
  });

  it('serves clients in other processes, with an authkey', async () => {
    const l = keep(new Listener(`@osipc-${process.pid}-auth`, { authkey: Buffer.from('s3cret') }));
    const clients = [runClient(l.address, 's3cret'), runClient(l.address, 's3cret')];
    for (let i = 0; i < 2; i++) {
      const conn = keep(await l.accept({ timeout: 20_000 }));
      const hello = (await conn.recv({ timeout: 20_000 })) as { pid: number };
      await conn.send({ reply: `hi ${hello.pid}` });
    }
    for (const { child, result } of clients) {
      const res = await result;
      expect(res.stderr).toBe('');
      expect(JSON.parse(res.stdout)).toEqual({ reply: `hi ${child.pid}` });
    }
  });

  it('refuses a wrong authkey on both sides, and keeps listening', async () => {
    const l = keep(new Listener(undefined, { authkey: 'right' }));
    const accepted = l.accept().then(() => null, (err: unknown) => err); // handled at once
    await expect(Client(l.address, { authkey: 'wrong' })).rejects.toMatchObject({ code: 'ERR_OSIPC_AUTH' });
    expect(await accepted).toMatchObject({ name: 'AuthenticationError', code: 'ERR_OSIPC_AUTH' });
    // a client with no key at all never answers the challenge: bounded by timeouts
    const noKey = keep(await Client(l.address));
    await expect(l.accept({ timeout: 200 })).rejects.toMatchObject({ code: 'ERR_OSIPC_TIMEOUT' });
    noKey.close();
    const [s, c] = await Promise.all([l.accept(), Client(l.address, { authkey: 'right' })]);
    keep(s);
    keep(c);
    await c.send('in');
    expect(await s.recv()).toBe('in');
    // the other way round: a keyed client against a keyless listener times out
    const open = keep(new Listener());
    const waiting = open.accept().then(keep);
    await expect(Client(open.address, { authkey: 'k', timeout: 200 })).rejects.toMatchObject({ code: 'ERR_OSIPC_TIMEOUT' });
    await waiting;
  });

  it('a filesystem path: created, refused when taken, removed by close()', async () => {
    const path = tmpPath();
    const l = new Listener(path);
    expect(existsSync(path)).toBe(true);
    expect(() => new Listener(path)).toThrow(expect.objectContaining({ code: 'EADDRINUSE', path }));
    const c = keep(await Client(path));
    keep(await l.accept());
    await c.send(1);
    l.close();
    l.close();
    expect(existsSync(path)).toBe(false);
    await expect(l.accept()).rejects.toMatchObject({ code: 'ERR_OSIPC_CLOSED' });
    await expect(Client(path)).rejects.toMatchObject({ code: 'ENOENT', syscall: 'connect' });
    writeFileSync(path, 'not a socket');
    await expect(Client(path)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    unlinkSync(path);
  });

  it('accept(): timeout, abort, and ClosedError when the listener closes', async () => {
    const l = new Listener();
    await expect(l.accept({ timeout: 20 })).rejects.toMatchObject({ code: 'ERR_OSIPC_TIMEOUT' });
    const ac = new AbortController();
    const aborted = l.accept({ signal: ac.signal });
    ac.abort();
    await expect(aborted).rejects.toMatchObject({ code: 'ABORT_ERR' });
    const pending = l.accept();
    l.close();
    await expect(pending).rejects.toMatchObject({ code: 'ERR_OSIPC_CLOSED' });
    expect(l.closed).toBe(true);
  });

  it('bad arguments are TypeErrors naming the argument', () => {
    expect(() => new Listener(42 as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => new Listener('/tmp/' + 'x'.repeat(200))).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => new Listener('')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => new Listener('@')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => new Listener(undefined, { authkey: 5 as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => new Listener(undefined, { backlog: 0 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    return expect(Client(undefined as never)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
  });

  it('leaks no fds', async () => {
    const before = openFds().length;
    for (let i = 0; i < 10; i++) {
      const l = new Listener(undefined, { authkey: 'k' });
      const [s, c] = await Promise.all([l.accept(), Client(l.address, { authkey: 'k' })]);
      await c.send(i);
      expect(await s.recv()).toBe(i);
      for (const x of [s, c, l] as { close(): void }[]) x.close();
    }
    await new Promise((r) => setTimeout(r, 50));
    expect(openFds().length).toBe(before);
  });
});

const python = spawnSync('python3', ['-c', 'import multiprocessing.connection'], { stdio: 'ignore' }).status === 0;

describe.skipIf(!python)('with Python multiprocessing.connection', () => {
  it('a Python Client talks bytes to our Listener, authkey and all', async () => {
    const l = keep(new Listener(`@osipc-${process.pid}-py`, { authkey: 'pykey' }));
    const py = spawn('python3', ['-c', `
from multiprocessing.connection import Client
c = Client('\\0' + ${JSON.stringify(l.address.slice(1))}, authkey=b'pykey')
c.send_bytes(b'from python')
print(c.recv_bytes().decode())
`], { stdio: ['ignore', 'pipe', 'pipe'] });
    const result = collect(py);
    const conn: Connection = keep(await l.accept({ timeout: 20_000 }));
    expect((await conn.recvBytes({ timeout: 20_000 })).toString()).toBe('from python');
    await conn.sendBytes(Buffer.from('from node'));
    const res = await result;
    expect(res.stderr).toBe('');
    expect(res.stdout.trim()).toBe('from node');
  });

  it('our Client talks to a Python Listener; a wrong key fails on both sides', async () => {
    const path = tmpPath();
    const py = spawn('python3', ['-c', `
from multiprocessing.connection import Listener
from multiprocessing import AuthenticationError
l = Listener(${JSON.stringify(path)}, authkey=b'right')
print('ready', flush=True)
try:
    l.accept()
except AuthenticationError:
    print('python refused', flush=True)
c = l.accept()
print(c.recv_bytes().decode(), flush=True)
c.send_bytes(b'bye')
l.close()
`], { stdio: ['ignore', 'pipe', 'pipe'] });
    const result = collect(py);
    for (let i = 0; i < 200 && !existsSync(path); i++) await new Promise((r) => setTimeout(r, 50));
    await expect(Client(path, { authkey: 'wrong' })).rejects.toMatchObject({ code: 'ERR_OSIPC_AUTH' });
    const c = keep(await Client(path, { authkey: 'right' }));
    await c.sendBytes(Buffer.from('from node'));
    expect((await c.recvBytes({ timeout: 20_000 })).toString()).toBe('bye');
    const res = await result;
    expect(res.stdout).toContain('python refused');
    expect(res.stdout).toContain('from node');
  });
});
