// Signal names and numbers, as Node spells them (os.constants.signals).
import { constants } from 'node:os';
import { rangeError, typeError } from '../validate.js';

const byName = constants.signals as Record<string, number>;
const byNumber = new Map<number, string>();
for (const [name, n] of Object.entries(byName)) {
  // Aliases (SIGIOT = SIGABRT, SIGPOLL = SIGIO): keep the first, common name.
  if (!byNumber.has(n)) byNumber.set(n, name);
}

/** Highest signal number accepted (Linux has real-time signals up to 64). */
const MAX_SIGNAL = process.platform === 'linux' ? 64 : 31;

/** A signal name or number. */
export type Signal = NodeJS.Signals | number;

/**
 * The number of a signal given by name ('SIGTERM') or number (0..64 on Linux;
 * 0 only checks that the process exists). Unknown names throw a TypeError
 * with code ERR_UNKNOWN_SIGNAL, as process.kill does.
 */
export function signalNumber(signal: unknown, argName = 'signal'): number {
  if (typeof signal === 'number') {
    if (!Number.isInteger(signal) || signal < 0 || signal > MAX_SIGNAL) {
      throw rangeError(argName, `an integer >= 0 and <= ${MAX_SIGNAL}`, signal);
    }
    return signal;
  }
  if (typeof signal === 'string') {
    const n = Object.hasOwn(byName, signal) ? byName[signal] : undefined;
    if (n === undefined) {
      const err = new TypeError(`Unknown signal: ${signal}`);
      (err as { code?: string }).code = 'ERR_UNKNOWN_SIGNAL';
      throw err;
    }
    return n;
  }
  throw typeError(argName, 'a signal name or number', signal);
}

/** 'SIGKILL' for 9; 'SIG34'-style for a signal without a name (real-time). */
export function signalName(n: number): string {
  return byNumber.get(n) ?? `SIG${n}`;
}

/** The number of a name signalName() gave: 9 for 'SIGKILL', 34 for 'SIG34'. */
export function numberOfSignalName(name: string): number {
  if (Object.hasOwn(byName, name)) return byName[name]!;
  const m = /^SIG(\d+)$/.exec(name);
  return m ? Number(m[1]) : 0;
}
