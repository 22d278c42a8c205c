// Error classes and codes. System errors (from syscalls) are plain Errors shaped
// like Node's own (code, errno, syscall, path); they come from the native layer.

/** A Node-style system error as thrown by the native layer. */
export interface SystemError extends Error {
  code: string;
  errno: number;
  syscall: string;
  path?: string;
}

/** Base class of the library's own errors; `code` is stable, the text is not. */
export class OsipcError extends Error {
  readonly code: string;
  constructor(message: string, code: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** `getNowait()` on an empty queue, or `get({ timeout })` that timed out. */
export class QueueEmpty extends OsipcError {
  constructor(message = 'queue is empty') {
    super(message, 'ERR_OSIPC_QUEUE_EMPTY');
  }
}

/** `putNowait()` on a full queue, or `put({ timeout })` that timed out. */
export class QueueFull extends OsipcError {
  constructor(message = 'queue is full') {
    super(message, 'ERR_OSIPC_QUEUE_FULL');
  }
}

/** The other end of a Connection is closed and nothing is left to read. */
export class EOFError extends OsipcError {
  constructor(message = 'end of file: every writer has closed') {
    super(message, 'ERR_OSIPC_EOF');
  }
}

/** A wait that took longer than its `timeout` (where a timeout is not a return value). */
export class TimeoutError extends OsipcError {
  constructor(message = 'operation timed out') {
    super(message, 'ERR_OSIPC_TIMEOUT');
  }
}

/** Use of an object after `close()`. */
export class ClosedError extends OsipcError {
  constructor(what: string) {
    super(`${what} is closed`, 'ERR_OSIPC_CLOSED');
  }
}

/** A Barrier was aborted, reset, or a wait on it timed out. */
export class BrokenBarrierError extends OsipcError {
  constructor(message = 'barrier is broken') {
    super(message, 'ERR_OSIPC_BROKEN_BARRIER');
  }
}

/** A lock was acquired from a holder that died while holding it. */
export class OwnerDiedError extends OsipcError {
  constructor(message = 'the previous owner died while holding the lock') {
    super(message, 'ERR_OSIPC_OWNER_DIED');
  }
}

/** Authentication of a Listener/Client connection failed. */
export class AuthenticationError extends OsipcError {
  constructor(message = 'authentication failed') {
    super(message, 'ERR_OSIPC_AUTH');
  }
}

/** An error thrown in another process (a Process target, a Pool task), with its stack. */
export class RemoteError extends OsipcError {
  /** The error's name in the other process (e.g. 'TypeError'). */
  readonly remoteName: string;
  /** The error's stack as printed in the other process. */
  readonly remoteStack: string;
  constructor(name: string, message: string, stack: string, code?: string) {
    super(`${name}: ${message}`, code ?? 'ERR_OSIPC_REMOTE');
    this.remoteName = name;
    this.remoteStack = stack;
    this.stack = `${this.name}: ${this.message}\n--- in the other process ---\n${stack}`;
  }
}

/** The error a Promise form rejects with when its AbortSignal fires (as Node's). */
export class AbortError extends Error {
  readonly code = 'ABORT_ERR';
  constructor(message = 'The operation was aborted', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AbortError';
  }
}

/** An ENOSYS-coded error for a primitive the platform lacks, naming the alternative. */
export function notSupported(what: string, alternative: string): SystemError {
  const err = new Error(
    `ENOSYS: function not implemented, ${what} is not available on ${process.platform}; ${alternative}`,
  ) as SystemError;
  err.code = 'ENOSYS';
  err.errno = -38;
  err.syscall = what;
  return err;
}

export function isSystemError(err: unknown, code?: string): err is SystemError {
  return err instanceof Error && typeof (err as SystemError).code === 'string' &&
    typeof (err as SystemError).syscall === 'string' &&
    (code === undefined || (err as SystemError).code === code);
}

/**
 * A named segment whose header is not what its reader expects: wrong magic,
 * unknown version or typecode, a count that does not fit the segment. Anything
 * read from shared memory may come from a crashed or hostile peer.
 */
export class InvalidSegmentError extends OsipcError {
  /** The segment's name. */
  readonly segment: string;
  constructor(segment: string, reason: string) {
    super(`shared memory segment ${JSON.stringify(segment)} is not valid: ${reason}`, 'ERR_OSIPC_INVALID_SEGMENT');
    this.segment = segment;
  }
}
