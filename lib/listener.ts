// Listener and Client: Connections between unrelated processes over AF_UNIX
// sockets, as Python's multiprocessing.connection.Listener/Client, with the
// same optional authkey handshake (HMAC challenge both ways), so that a
// Python Listener or Client can be the other side (send_bytes/recv_bytes).
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from './connection.js';
import { closeQuietly } from './connection-reader.js';
import { AuthenticationError, ClosedError, TimeoutError } from './errors.js';
import { DEFAULT_MAX_MESSAGE_SIZE, MAX_MESSAGE_SIZE_LIMIT } from './frames.js';
import { READABLE, watchFd, WRITABLE, type FdWatch } from './os/pipe.js';
import {
  acceptUnix, connectUnix, listenUnix, parseUnixAddress, throwSocketError, type UnixAddress,
} from './os/unix-socket.js';
import {
  throwIfAborted, typeError, validateInteger, validateOptions, validateWaitOptions, type WaitOptions,
} from './validate.js';

export interface ListenerOptions {
  /** Shared secret: every connection must prove it knows it (and so must we). */
  authkey?: Uint8Array | string;
  /** listen(2) backlog (default 16). */
  backlog?: number;
  /** maxMessageSize of accepted Connections (default 64 MiB). */
  maxMessageSize?: number;
}

export interface ClientOptions extends WaitOptions {
  authkey?: Uint8Array | string;
  maxMessageSize?: number;
}

// Python's multiprocessing.connection handshake (3.12+, which also answers 3.11).
const CHALLENGE = Buffer.from('#CHALLENGE#');
const WELCOME = Buffer.from('#WELCOME#');
const FAILURE = Buffer.from('#FAILURE#');
const NONCE_LENGTH = 40;
const DIGESTS: Record<string, string> = {
  md5: 'md5', sha256: 'sha256', sha384: 'sha384', sha3_256: 'sha3-256', sha3_384: 'sha3-384',
};
const LEGACY_LENGTHS = new Set([16, 20]); // raw HMAC-MD5 reply; 3.11's 20-byte challenge

function validateAuthkey(value: unknown, name: string): Buffer | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (value instanceof Uint8Array) return Buffer.from(value);
  throw typeError(name, 'of type string or an instance of Uint8Array', value);
}

function validateMaxMessageSize(value: unknown, name: string): number {
  return value === undefined ? DEFAULT_MAX_MESSAGE_SIZE : validateInteger(value, name, 1, MAX_MESSAGE_SIZE_LIMIT);
}

/** '{name}payload' → [name, payload]; a legacy message → ['', message]. */
function digestAndPayload(message: Buffer): [string, Buffer] {
  if (LEGACY_LENGTHS.has(message.length)) return ['', message];
  if (message[0] === 0x7b) { // '{'
    const curly = message.indexOf(0x7d, 1); // '}'
    if (curly > 1 && curly <= 10) {
      const name = message.subarray(1, curly).toString('latin1');
      if (name in DIGESTS) return [name, message.subarray(curly + 1)];
    }
  }
  throw new AuthenticationError('unsupported challenge or response: no known digest prefix');
}

function hmac(digest: string, key: Buffer, message: Buffer): Buffer {
  return createHmac(DIGESTS[digest]!, key).update(message).digest();
}

const SMALL = { maxLength: 256 };

/** Server side: challenge the peer, then answer its challenge (Python's order). */
async function deliverChallenge(conn: Connection, key: Buffer, opts: WaitOptions): Promise<void> {
  const message = Buffer.concat([Buffer.from('{sha256}'), randomBytes(NONCE_LENGTH)]);
  await conn.sendBytes(Buffer.concat([CHALLENGE, message]));
  const response = await conn.recvBytes({ ...SMALL, ...opts });
  let ok = false;
  try {
    const [digest, mac] = digestAndPayload(response);
    const expected = hmac(digest || 'md5', key, message);
    ok = expected.length === mac.length && timingSafeEqual(expected, mac);
  } catch {
    ok = false;
  }
  if (!ok) {
    await conn.sendBytes(FAILURE);
    throw new AuthenticationError('digest received was wrong');
  }
  await conn.sendBytes(WELCOME);
}

async function answerChallenge(conn: Connection, key: Buffer, opts: WaitOptions): Promise<void> {
  const challenge = await conn.recvBytes({ ...SMALL, ...opts });
  if (!challenge.subarray(0, CHALLENGE.length).equals(CHALLENGE)) {
    throw new AuthenticationError('the peer sent no challenge');
  }
  const message = challenge.subarray(CHALLENGE.length);
  const [digest] = digestAndPayload(message);
  const mac = hmac(digest || 'md5', key, message);
  await conn.sendBytes(digest ? Buffer.concat([Buffer.from(`{${digest}}`), mac]) : mac);
  const response = await conn.recvBytes({ ...SMALL, ...opts });
  if (!response.equals(WELCOME)) throw new AuthenticationError('digest sent was rejected');
}

/**
 * The listener's side of the authkey handshake on a connection accepted
 * without one (AuthenticationError when the peer fails it), for servers that
 * run handshakes side by side instead of one at a time in accept().
 */
export async function authenticateClient(conn: Connection, authkey: Uint8Array | string, options?: WaitOptions): Promise<void> {
  const key = validateAuthkey(authkey, 'authkey')!;
  await deliverChallenge(conn, key, options ?? {});
  await answerChallenge(conn, key, options ?? {});
}

function defaultAddress(): string {
  const name = `osipc-${process.pid}-${randomBytes(4).toString('hex')}`;
  return process.platform === 'linux' ? `\0${name}` : join(tmpdir(), `${name}.sock`);
}

/** A listening AF_UNIX socket that accepts Connections. */
export class Listener {
  #fd: number;
  #watch: FdWatch | null = null;
  readonly #address: string;
  readonly #parsed: UnixAddress;
  readonly #authkey: Buffer | null;
  readonly #maxMessageSize: number;

  /**
   * Binds and listens at `address`: a filesystem path (it must not exist; it
   * is removed by close()), or on Linux an abstract name '\0name' or '@name'.
   * Without an address, a fresh abstract name (a temporary path on macOS).
   */
  constructor(address?: string, options?: ListenerOptions) {
    const o = validateOptions(options);
    this.#address = address ?? defaultAddress();
    this.#parsed = parseUnixAddress(this.#address, 'address');
    this.#authkey = validateAuthkey(o.authkey, 'options.authkey');
    this.#maxMessageSize = validateMaxMessageSize(o.maxMessageSize, 'options.maxMessageSize');
    const backlog = o.backlog === undefined ? 16 : validateInteger(o.backlog, 'options.backlog', 1, 65535);
    this.#fd = listenUnix(this.#parsed, backlog);
  }

  /** The address clients pass to Client(). */
  get address(): string {
    return this.#address;
  }

  get closed(): boolean {
    return this.#fd < 0;
  }

  /**
   * The next connection, after the authkey handshake when there is an authkey
   * (AuthenticationError if the client fails it; the listener stays open).
   * `timeout`/`signal` bound the wait and the handshake.
   */
  async accept(options?: WaitOptions): Promise<Connection> {
    const { timeout, signal } = validateWaitOptions(options);
    throwIfAborted(signal);
    const deadline = performance.now() + timeout;
    let fd: number | null;
    for (;;) {
      if (this.#fd < 0) throw new ClosedError('Listener');
      fd = acceptUnix(this.#fd);
      if (fd !== null) break;
      this.#watch ??= watchFd(this.#fd);
      const left = deadline - performance.now();
      let fired = 0;
      try {
        if (left > 0) fired = await this.#watch.wait(READABLE, left, signal);
      } catch (err) {
        if (this.#fd < 0) throw new ClosedError('Listener');
        throw err;
      }
      if (fired === 0) throw new TimeoutError('accept timed out');
    }
    const conn = Connection.adopt(fd, {
      readable: true, writable: true, maxMessageSize: this.#maxMessageSize, socket: true,
    });
    if (this.#authkey !== null) {
      const left = Math.max(0, deadline - performance.now());
      try {
        const opts = { timeout: left, signal };
        await deliverChallenge(conn, this.#authkey, opts);
        await answerChallenge(conn, this.#authkey, opts);
      } catch (err) {
        conn.close();
        throw err;
      }
    }
    return conn;
  }

  /** Stops listening; removes the socket file it created. Pending accepts reject (ClosedError). */
  close(): void {
    if (this.#fd < 0) return;
    const fd = this.#fd;
    this.#fd = -1;
    this.#watch?.cancel(READABLE, new ClosedError('Listener'));
    this.#watch?.release();
    this.#watch = null;
    closeQuietly(fd);
    if (this.#parsed.path !== null) {
      try {
        unlinkSync(this.#parsed.path);
      } catch {
        /* removed by someone else */
      }
    }
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * Connects to a Listener (ours or Python's) at `address`; with an authkey,
 * runs the handshake (AuthenticationError if the keys differ). Waits while
 * the listener's backlog is full, up to `timeout`.
 */
export async function Client(address: string, options?: ClientOptions): Promise<Connection> {
  const parsed = parseUnixAddress(address, 'address');
  const o = validateOptions(options);
  const authkey = validateAuthkey(o.authkey, 'options.authkey');
  const maxMessageSize = validateMaxMessageSize(o.maxMessageSize, 'options.maxMessageSize');
  const { timeout, signal } = validateWaitOptions(options);
  throwIfAborted(signal);
  const deadline = performance.now() + timeout;
  let fd = -1;
  for (let delay = 1; ; delay = Math.min(delay * 2, 50)) {
    const r = connectUnix(parsed);
    if (r.state === 'connected') {
      fd = r.fd;
      break;
    }
    if (r.state === 'in-progress') {
      const w = watchFd(r.fd);
      try {
        const fired = await w.wait(WRITABLE, Math.max(0, deadline - performance.now()), signal);
        if (fired === 0) throw new TimeoutError('connect timed out');
        throwSocketError(r.fd, 'connect', address);
      } catch (err) {
        w.release();
        closeQuietly(r.fd);
        throw err;
      }
      w.release();
      fd = r.fd;
      break;
    }
    // Backlog full: the listener is busy accepting; try again shortly.
    if (performance.now() + delay > deadline) throw new TimeoutError('connect timed out (listener busy)');
    await new Promise((res) => setTimeout(res, delay));
    throwIfAborted(signal);
  }
  const conn = Connection.adopt(fd, { readable: true, writable: true, maxMessageSize, socket: true });
  if (authkey !== null) {
    try {
      const opts = { timeout: Math.max(0, deadline - performance.now()), signal };
      await answerChallenge(conn, authkey, opts);
      await deliverChallenge(conn, authkey, opts);
    } catch (err) {
      conn.close();
      throw err;
    }
  }
  return conn;
}
