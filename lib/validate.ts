// Argument checks shared by every class. They throw TypeError/RangeError naming
// the argument, with Node's ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE codes, so
// native code only ever receives checked values.
import { randomBytes } from 'node:crypto';
import { AbortError } from './errors.js';

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'object') return `an instance of ${value.constructor?.name ?? 'Object'}`;
  if (typeof value === 'string') return `type string (${JSON.stringify(value.slice(0, 30))})`;
  return `type ${typeof value} (${String(value)})`;
}

export function typeError(name: string, expected: string, value: unknown): TypeError {
  const err = new TypeError(`The "${name}" argument must be ${expected}. Received ${describe(value)}`);
  (err as { code?: string }).code = 'ERR_INVALID_ARG_TYPE';
  return err;
}

export function rangeError(name: string, expected: string, value: unknown): RangeError {
  const err = new RangeError(
    `The value of "${name}" is out of range. It must be ${expected}. Received ${String(value)}`,
  );
  (err as { code?: string }).code = 'ERR_OUT_OF_RANGE';
  return err;
}

export function invalidArg(name: string, reason: string): TypeError {
  const err = new TypeError(`The argument "${name}" is invalid: ${reason}`);
  (err as { code?: string }).code = 'ERR_INVALID_ARG_VALUE';
  return err;
}

/** An integer (a safe integer number) in [min, max]. */
export function validateInteger(
  value: unknown, name: string, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER,
): number {
  if (typeof value !== 'number') throw typeError(name, 'of type number', value);
  if (!Number.isInteger(value)) throw rangeError(name, 'an integer', value);
  if (value < min || value > max) throw rangeError(name, `>= ${min} and <= ${max}`, value);
  return value;
}

export function validateNumber(value: unknown, name: string, min = -Infinity, max = Infinity): number {
  if (typeof value !== 'number') throw typeError(name, 'of type number', value);
  if (Number.isNaN(value) || value < min || value > max) {
    throw rangeError(name, `a number >= ${min} and <= ${max}`, value);
  }
  return value;
}

export function validateString(value: unknown, name: string): string {
  if (typeof value !== 'string') throw typeError(name, 'of type string', value);
  return value;
}

export function validateBoolean(value: unknown, name: string): boolean {
  if (typeof value !== 'boolean') throw typeError(name, 'of type boolean', value);
  return value;
}

export function validateFunction(value: unknown, name: string): (...args: never[]) => unknown {
  if (typeof value !== 'function') throw typeError(name, 'of type function', value);
  return value as (...args: never[]) => unknown;
}

/** An options bag: undefined becomes {}, anything but a plain object is a TypeError. */
export function validateOptions<T extends object>(value: T | undefined, name = 'options'): Partial<T> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw typeError(name, 'of type object', value);
  return value;
}

/** A file mode such as 0o600. */
export function validateMode(value: unknown, name = 'mode'): number {
  return validateInteger(value, name, 0, 0o7777);
}

export interface WaitOptions {
  /** Milliseconds to wait at most; Infinity (the default) waits for ever. */
  timeout?: number;
  /** Cancels the wait: the Promise rejects with an AbortError. */
  signal?: AbortSignal;
}

/** Checks `{ timeout, signal }`; returns the timeout in ms (Infinity when absent). */
export function validateWaitOptions(opts: WaitOptions | undefined, name = 'options'):
  { timeout: number; signal: AbortSignal | undefined } {
  const o = validateOptions(opts, name);
  const timeout = o.timeout === undefined ? Infinity : validateNumber(o.timeout, `${name}.timeout`, 0);
  const signal = o.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw typeError(`${name}.signal`, 'an instance of AbortSignal', signal);
  }
  return { timeout, signal };
}

/** Rejects at once when the signal has already fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortError(undefined, { cause: signal.reason });
}

/** Longest POSIX IPC name we accept: NAME_MAX on Linux, PSHMNAMLEN (31) on macOS. */
export const NAME_MAX = process.platform === 'darwin' ? 31 : 255;

/**
 * A POSIX IPC name: one leading slash, no other slash, 2..NAME_MAX characters.
 * Returns the name; throws TypeError naming `argName` otherwise.
 */
export function validateIpcName(value: unknown, argName = 'name', max = NAME_MAX): string {
  const name = validateString(value, argName);
  if (!name.startsWith('/')) throw invalidArg(argName, `${JSON.stringify(name)} must start with "/"`);
  if (name.length < 2) throw invalidArg(argName, 'must have at least one character after "/"');
  if (name.indexOf('/', 1) !== -1) throw invalidArg(argName, `${JSON.stringify(name)} must not contain "/" after the first character`);
  if (name.includes('\0')) throw invalidArg(argName, 'must not contain NUL characters');
  if (Buffer.byteLength(name) > max) {
    throw invalidArg(argName, `${JSON.stringify(name)} is longer than ${max} bytes (the limit on ${process.platform})`);
  }
  return name;
}

/**
 * A fresh random name `/osipc-<pid>-<hex>`. The pid lets `osipc ls` and the
 * tests tell whose object it is; 20 characters fit macOS's 31-byte limit.
 */
export function defaultIpcName(): string {
  return `/osipc-${process.pid}-${randomBytes(4).toString('hex')}`;
}
