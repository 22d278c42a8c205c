// Layer 1 processes, in the kernel's words: forkExec (vfork-style clone +
// exec with any fd map), waitpid, kill, getpid, getppid, and the experimental
// fork()/exit() pair.
import { fileURLToPath } from 'node:url';
import { native } from '../binding.js';
import { notSupported } from '../errors.js';
import {
  invalidArg, rangeError, typeError, validateInteger, validateOptions, validateString,
} from '../validate.js';
import { Child, detachInheritedChildren, liveChild, toExitStatus, type ExitStatus } from './child.js';
import { signalNumber, type Signal } from './signals.js';

export { Child } from './child.js';
export type { ExitStatus } from './child.js';
export type { Signal } from './signals.js';

const binding = native as {
  spawn(candidates: string[], argv: string[], envp: string[] | null, cwd: string | null,
    fdMap: number[], deathSignal: number, file: string): [number, number];
  waitpid(pid: number, nohang: boolean): [number, number, number] | null;
  kill(pid: number, sig: number): void;
  getpid(): number;
  getppid(): number;
  fork(): number;
  exit(code: number): never;
};

/** Child fd number -> parent fd (null: closed in the child). */
export type FdMap = (number | null | undefined)[] | Record<number, number | null | undefined>;

export interface ForkExecOptions {
  /**
   * Which parent fd becomes which child fd. An array (index = child fd) or an
   * object `{ 0: 0, 1: 1, 3: someFd }`. Default `[0, 1, 2]`. Child fds 0..2 and
   * any gap below the highest mapped fd are closed when not mapped. Every
   * other fd is close-on-exec in osipc and Node, so the child gets no more.
   */
  fds?: FdMap;
  /** The child's whole environment (default: this process's). */
  env?: Record<string, string | number | boolean | undefined>;
  /** The child's working directory. */
  cwd?: string | URL;
  /** argv[0] as the program sees it (default: `file`). */
  argv0?: string;
  /**
   * Linux: the signal the child gets when this thread dies (PR_SET_PDEATHSIG),
   * even by SIGKILL. Elsewhere an ENOSYS-coded error.
   */
  deathSignal?: Signal;
}

const MAX_CHILD_FDS = 1024;

function checkNoNul(value: string, name: string): string {
  if (value.includes('\0')) throw invalidArg(name, 'must not contain NUL characters');
  return value;
}

function validatePid(pid: unknown, name = 'pid'): number {
  if (typeof pid !== 'number') throw typeError(name, 'of type number', pid);
  // 0 and negative pids mean process groups (and -1 "every process") to
  // kill(2) and waitpid(2): never by accident.
  return validateInteger(pid, name, 1, 2 ** 31 - 1);
}

function toFdArray(fds: FdMap | undefined): number[] {
  if (fds === undefined) return [0, 1, 2];
  const out: number[] = [];
  const put = (child: number, parent: unknown, label: string): void => {
    if (child >= MAX_CHILD_FDS) throw rangeError('options.fds', `child fds < ${MAX_CHILD_FDS}`, child);
    if (parent === null || parent === undefined) out[child] = -1;
    else out[child] = validateInteger(parent, label, 0, 2 ** 31 - 1);
  };
  if (Array.isArray(fds)) {
    if (fds.length > MAX_CHILD_FDS) throw rangeError('options.fds.length', `<= ${MAX_CHILD_FDS}`, fds.length);
    for (let i = 0; i < fds.length; i++) put(i, fds[i], `options.fds[${i}]`);
  } else if (typeof fds === 'object' && fds !== null) {
    for (const key of Object.keys(fds)) {
      if (!/^\d+$/.test(key)) throw invalidArg('options.fds', `key ${JSON.stringify(key)} is not a child fd number`);
      put(Number(key), (fds as Record<string, unknown>)[key], `options.fds[${key}]`);
    }
  } else {
    throw typeError('options.fds', 'an array or an object', fds);
  }
  for (let i = 0; i < out.length; i++) if (out[i] === undefined) out[i] = -1;
  return out;
}

function toEnvp(env: ForkExecOptions['env']): string[] {
  if (typeof env !== 'object' || env === null) throw typeError('options.env', 'of type object', env);
  const out: string[] = [];
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (key === '' || key.includes('=')) throw invalidArg('options.env', `bad variable name ${JSON.stringify(key)}`);
    out.push(checkNoNul(`${key}=${String(value)}`, `options.env.${key}`));
  }
  return out;
}

// execvp's PATH search, done here so the child has nothing to compute.
function candidatesFor(file: string, env: ForkExecOptions['env'] | undefined): string[] {
  if (file.includes('/')) return [file];
  const path = env !== undefined ? env.PATH : process.env.PATH;
  const dirs = (typeof path === 'string' ? path : '/usr/local/bin:/usr/bin:/bin').split(':');
  return dirs.map((dir) => `${dir === '' ? '.' : dir}/${file}`);
}

/**
 * Starts `file` with `args` (vfork-style on Linux, fork elsewhere, then
 * execve). `file` without a slash is searched in PATH (the child's `env.PATH`
 * when `env` is given). Returns once the program runs; an exec failure throws
 * here, synchronously (e.g. ENOENT with syscall 'execve' and path `file`).
 * The child gets default signal handlers and an empty signal mask.
 */
export function forkExec(file: string, args: readonly string[] = [], options?: ForkExecOptions): Child {
  checkNoNul(validateString(file, 'file'), 'file');
  if (file === '') throw invalidArg('file', 'must not be empty');
  if (!Array.isArray(args)) throw typeError('args', 'an array of strings', args);
  args.forEach((a, i) => checkNoNul(validateString(a, `args[${i}]`), `args[${i}]`));
  const o = validateOptions(options);
  const fdMap = toFdArray(o.fds);
  const envp = o.env === undefined ? null : toEnvp(o.env);
  let cwd: string | null = null;
  if (o.cwd !== undefined) {
    if (o.cwd instanceof URL) cwd = fileURLToPath(o.cwd);
    else cwd = checkNoNul(validateString(o.cwd, 'options.cwd'), 'options.cwd');
  }
  const argv0 = o.argv0 === undefined ? file : checkNoNul(validateString(o.argv0, 'options.argv0'), 'options.argv0');
  let deathSignal = 0;
  if (o.deathSignal !== undefined) {
    if (process.platform !== 'linux') {
      throw notSupported('PR_SET_PDEATHSIG', 'watch a pipe from the parent for end of file instead');
    }
    deathSignal = signalNumber(o.deathSignal, 'options.deathSignal');
  }
  // Relative paths resolve in the child's directory (after chdir), as with execvp.
  const candidates = candidatesFor(file, o.env);
  const [pid, pidfd] = binding.spawn(candidates, [argv0, ...args], envp, cwd, fdMap, deathSignal, file);
  return new Child(pid, pidfd);
}

/**
 * Reaps child `pid` (positive) and returns how it ended. Blocks the thread
 * until it ends, like the system call; with `{ noHang: true }` returns null
 * at once when it is still running. A forkExec child is better awaited with
 * `child.wait()`; waitpid on one goes through its Child so both stay in step.
 * ECHILD when `pid` is not an unreaped child of this process.
 */
export function waitpid(pid: number, options?: { noHang?: boolean }): ExitStatus | null {
  validatePid(pid);
  const o = validateOptions(options);
  const noHang = o.noHang === undefined ? false : o.noHang;
  if (typeof noHang !== 'boolean') throw typeError('options.noHang', 'of type boolean', noHang);
  const child = liveChild(pid);
  if (child) return noHang ? child.tryWait() : child.waitSync();
  const r = binding.waitpid(pid, noHang);
  return r === null ? null : toExitStatus(r);
}

/**
 * Sends `signal` (a name like 'SIGTERM' or a number; 0 checks that the
 * process exists) to process `pid`. Only single positive pids: process-group
 * forms (0, -1, -pgid) are refused with a RangeError. ESRCH/EPERM as system
 * errors.
 */
export function kill(pid: number, signal: Signal = 'SIGTERM'): void {
  validatePid(pid);
  binding.kill(pid, signalNumber(signal));
}

/** This process's id (live: correct in a fork() child too). */
export function getpid(): number {
  return binding.getpid();
}

/** The parent's id, asked of the kernel each time (it changes when the parent dies). */
export function getppid(): number {
  return binding.getppid();
}

/**
 * EXPERIMENTAL, Linux only. Forks this Node process: returns 0 in the child
 * and the child's pid in the parent. The child must do little and leave with
 * exit(); see docs/api/process.md for what works and what does not.
 */
export function fork(): number {
  if (process.platform !== 'linux') {
    throw notSupported('fork', 'start a fresh node with Process, or a program with forkExec');
  }
  const pid = binding.fork();
  if (pid === 0) {
    // Node cached the parent's pid at startup.
    Object.defineProperty(process, 'pid', { value: binding.getpid(), configurable: true, enumerable: true, writable: false });
    detachInheritedChildren();
  }
  return pid;
}

/**
 * Ends this process at once with `code` (0..255): _exit(2). No 'exit'
 * events, no flushing of anything still queued in JavaScript. The way out of
 * a fork() child.
 */
export function exit(code = 0): never {
  validateInteger(code, 'code', 0, 255);
  return binding.exit(code);
}
