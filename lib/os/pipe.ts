// Layer 1: pipes, socketpairs and fd passing (SCM_RIGHTS), as the kernel has
// them. Fds are plain numbers, close-on-exec, as `os.pipe()` in Python; close
// them with `fs.closeSync` (or hand them to a Connection, which owns them).
//
// Also the raw fd I/O that layer 2 (Connection) builds on, in `pipeIo`.
import { native } from '../binding.js';
import { EOFError, TimeoutError } from '../errors.js';
import { throwIfAborted, validateBoolean, validateInteger, validateOptions, validateWaitOptions, type WaitOptions } from '../validate.js';
import { EAGAIN, fdBinding } from './fd.js';
import { watchFd, withWatch } from './fd-watch.js';
import { READABLE, WRITABLE } from './poller.js';

const io = native as {
  writev(fd: number, chunks: Uint8Array[], start: number, firstOffset: number, maxBytes: number): number;
  dup(fd: number): number;
  setPipeSize(fd: number, size: number): number;
  pollFd(fd: number, events: number, timeoutMs: number): number;
  bytesReadable(fd: number): number;
  sendFds(sock: number, chunks: Uint8Array[], start: number, firstOffset: number, maxBytes: number,
    fds: number[]): number;
  recvFds(sock: number, buf: Uint8Array, offset: number, length: number, out: Int32Array): number;
  recvFdsv(sock: number, chunks: Uint8Array[], start: number, firstOffset: number, maxBytes: number,
    out: Int32Array): number;
  readv(fd: number, chunks: Uint8Array[], start: number, firstOffset: number, maxBytes: number): number;
  makeErrnoError(errno: number, syscall: string, path?: string): Error;
};

/** The most fds one message can carry (Linux's SCM_MAX_FD). */
export const MAX_FDS_PER_MESSAGE = 253;

/** Poll results of `pollFd`. */
export const HANGUP = 4;
export const POLL_ERROR = 8;
export { READABLE, WRITABLE };

/**
 * Raw fd I/O for layer 2 (not exported from the package). Every call is
 * non-blocking except pollFd; would-block is a return value (-EAGAIN).
 */
export const pipeIo = {
  EAGAIN: -EAGAIN,
  read: fdBinding.read,
  write: fdBinding.write,
  /** Gathered write of chunks[start...] (first one from firstOffset), at most maxBytes. */
  writev: io.writev,
  /** A close-on-exec duplicate. */
  dup: io.dup,
  /** Linux: grows a pipe's buffer (F_SETPIPE_SZ); the new size, or -errno. */
  setPipeSize: io.setPipeSize,
  sendFds: io.sendFds,
  recvFds: io.recvFds,
  /** Scattering forms of read and recvFds (same arguments as writev). */
  readv: io.readv,
  recvFdsv: io.recvFdsv,
  /** Blocks up to timeoutMs (Infinity: for ever); events fired or 0. Sync forms only. */
  pollFd: (fd: number, events: number, timeoutMs: number): number =>
    io.pollFd(fd, events, timeoutMs === Infinity ? -1 : timeoutMs),
  bytesReadable: io.bytesReadable,
  setNonBlocking: fdBinding.setNonBlocking,
  setCloseOnExec: fdBinding.setCloseOnExec,
  close: fdBinding.close,
  makeErrnoError: io.makeErrnoError,
  pipe: fdBinding.pipe,
  socketpair: fdBinding.socketpair,
};

export interface FdPairOptions {
  /** Open both ends O_NONBLOCK (default false, like `os.pipe()`). */
  nonBlocking?: boolean;
}

function nonBlockingOption(options: FdPairOptions | undefined): boolean {
  const o = validateOptions(options);
  return o.nonBlocking === undefined ? false : validateBoolean(o.nonBlocking, 'options.nonBlocking');
}

/** pipe(2): `[readFd, writeFd]`, both close-on-exec. */
export function pipe(options?: FdPairOptions): [readFd: number, writeFd: number] {
  return fdBinding.pipe(nonBlockingOption(options));
}

/** socketpair(AF_UNIX, SOCK_STREAM): two connected ends, both close-on-exec. */
export function socketpair(options?: FdPairOptions): [number, number] {
  return fdBinding.socketpair(nonBlockingOption(options));
}

function validateFd(value: unknown, name: string): number {
  return validateInteger(value, name, 0, 0x7fffffff);
}

const oneByte = new Uint8Array([0x46]); // 'F': fds need a byte to travel with
const recvOut = new Int32Array(2 + MAX_FDS_PER_MESSAGE);
const recvByte = new Uint8Array(1);

function trySendFd(sock: number, fd: number): boolean {
  return io.sendFds(sock, [oneByte], 0, 0, 1, [fd]) !== -EAGAIN;
}

// One byte and its fds, or null when nothing is waiting. Extra fds in the same
// message are closed: recvFd hands out exactly one.
function tryRecvFd(sock: number): number | null {
  const n = io.recvFds(sock, recvByte, 0, 1, recvOut);
  if (n === -EAGAIN) return null;
  const count = recvOut[0]!;
  for (let i = 1; i < count; i++) fdBinding.close(recvOut[2 + i]!);
  if (n === 0 && count === 0) throw new EOFError('end of file: the other end of the socket is closed');
  // EPROTO: EBADMSG has no name in libuv, so Node could not print it.
  if (count === 0) throw io.makeErrnoError(process.platform === 'darwin' ? 100 : 71 /* EPROTO */, 'recvmsg');
  return recvOut[2]!;
}

/**
 * Sends a duplicate of `fd` over the AF_UNIX socket `sock` (SCM_RIGHTS), with
 * one byte of data. The receiving process gets its own fd (recvFd). `fd` stays
 * open here. Waits (without blocking the loop) while the socket buffer is full.
 */
export async function sendFd(sock: number, fd: number, options?: WaitOptions): Promise<void> {
  validateFd(sock, 'sock');
  validateFd(fd, 'fd');
  const { timeout, signal } = validateWaitOptions(options);
  throwIfAborted(signal);
  if (trySendFd(sock, fd)) return;
  await withWatch(sock, async (w) => {
    const deadline = Date.now() + timeout;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0 || (await w.wait(WRITABLE, left, signal)) === 0) throw new TimeoutError('sendFd timed out');
      if (trySendFd(sock, fd)) return;
    }
  });
}

/** sendFd that blocks the thread (poll(2)) up to `timeout` ms (default: for ever). */
export function sendFdSync(sock: number, fd: number, options?: { timeout?: number }): void {
  validateFd(sock, 'sock');
  validateFd(fd, 'fd');
  const { timeout } = validateWaitOptions(options);
  const deadline = Date.now() + timeout;
  while (!trySendFd(sock, fd)) {
    const left = deadline - Date.now();
    if (left <= 0 || pipeIo.pollFd(sock, WRITABLE, left) === 0) throw new TimeoutError('sendFdSync timed out');
  }
}

/**
 * Receives one fd sent with sendFd (or by any peer sending SCM_RIGHTS with at
 * least one byte). The new fd is close-on-exec. Rejects with EOFError when the
 * peer has closed, and EPROTO when a byte arrives without an fd.
 */
export async function recvFd(sock: number, options?: WaitOptions): Promise<number> {
  validateFd(sock, 'sock');
  const { timeout, signal } = validateWaitOptions(options);
  throwIfAborted(signal);
  const now = tryRecvFd(sock);
  if (now !== null) return now;
  return withWatch(sock, async (w) => {
    const deadline = Date.now() + timeout;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0 || (await w.wait(READABLE, left, signal)) === 0) throw new TimeoutError('recvFd timed out');
      const fd = tryRecvFd(sock);
      if (fd !== null) return fd;
    }
  });
}

/** recvFd that blocks the thread (poll(2)) up to `timeout` ms (default: for ever). */
export function recvFdSync(sock: number, options?: { timeout?: number }): number {
  validateFd(sock, 'sock');
  const { timeout } = validateWaitOptions(options);
  const deadline = Date.now() + timeout;
  for (;;) {
    const fd = tryRecvFd(sock);
    if (fd !== null) return fd;
    const left = deadline - Date.now();
    if (left <= 0 || pipeIo.pollFd(sock, READABLE, left) === 0) throw new TimeoutError('recvFdSync timed out');
  }
}

export { watchFd };
export type { FdWatch } from './fd-watch.js';
