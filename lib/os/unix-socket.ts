// Layer 1: AF_UNIX stream sockets by address (a filesystem path, or on Linux
// an abstract name), non-blocking and close-on-exec. Used by Listener/Client.
import { native } from '../binding.js';
import { notSupported } from '../errors.js';
import { invalidArg, validateString } from '../validate.js';

const sock = native as {
  unixListen(name: Buffer, backlog: number): number;
  unixAccept(fd: number): number;
  unixConnect(name: Buffer): [number, number];
  socketError(fd: number): number;
  makeErrnoError(errno: number, syscall: string, path?: string): Error;
};

// sun_path is 108 bytes on Linux (104 on macOS), a path needs its NUL.
const SUN_PATH = process.platform === 'darwin' ? 104 : 108;

export interface UnixAddress {
  /** The bytes that go into sun_path ('\0' first for an abstract name). */
  raw: Buffer;
  /** A filesystem path (removed by the Listener that created it), or null. */
  path: string | null;
}

/**
 * A path, or an abstract name written '\0name' or '@name' (Linux).
 * Throws TypeError naming `argName` when it cannot be one.
 */
export function parseUnixAddress(value: unknown, argName = 'address'): UnixAddress {
  const address = validateString(value, argName);
  if (address.length === 0) throw invalidArg(argName, 'must not be empty');
  const abstract = address.startsWith('\0') || address.startsWith('@');
  if (abstract) {
    if (process.platform !== 'linux') {
      throw notSupported('abstract socket names', 'use a filesystem path');
    }
    const raw = Buffer.concat([Buffer.from([0]), Buffer.from(address.slice(1), 'utf8')]);
    if (raw.length < 2) throw invalidArg(argName, 'an abstract name needs at least one character');
    if (raw.length > SUN_PATH) throw invalidArg(argName, `is longer than ${SUN_PATH - 1} bytes`);
    return { raw, path: null };
  }
  if (address.includes('\0')) throw invalidArg(argName, 'must not contain NUL characters after the first');
  const raw = Buffer.from(address, 'utf8');
  if (raw.length > SUN_PATH - 1) {
    throw invalidArg(argName, `is longer than ${SUN_PATH - 1} bytes (the limit of a socket path)`);
  }
  return { raw, path: address };
}

/** socket + bind + listen: the listening fd. */
export function listenUnix(address: UnixAddress, backlog: number): number {
  return sock.unixListen(address.raw, backlog);
}

/** accept4: a connected fd, or null when none is waiting. */
export function acceptUnix(fd: number): number | null {
  const r = sock.unixAccept(fd);
  return r < 0 ? null : r;
}

/**
 * Starts connecting. 'connected' / 'in-progress' come with the fd;
 * 'busy' (the listener's backlog is full) comes with none: try again later.
 */
export function connectUnix(address: UnixAddress): { state: 'connected' | 'in-progress' | 'busy'; fd: number } {
  const [status, fd] = sock.unixConnect(address.raw);
  if (status === 0) return { state: 'connected', fd };
  if (status === 1) return { state: 'in-progress', fd };
  return { state: 'busy', fd: -1 };
}

/** Throws the pending error of a socket (after an in-progress connect), if any. */
export function throwSocketError(fd: number, syscall: string, path?: string): void {
  const err = sock.socketError(fd);
  if (err < 0) throw sock.makeErrnoError(-err, syscall, path);
}
