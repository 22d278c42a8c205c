// Process: Python's multiprocessing.Process with the 'spawn' start method. A
// fresh `node` (with this process's execArgv) runs lib/child/bootstrap.js,
// which imports `module`, calls its export `fn` with `args` and sends back the
// return value or the error. osipc objects in `args` travel by handle: their
// fds are inherited as child fds 4, 5, ...; fd 3 is the control channel.
import { isAbsolute, resolve as resolvePath } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { AbortError, OsipcError, RemoteError } from './errors.js';
import { ControlChannel } from './control.js';
import { fdBinding } from './os/fd.js';
import { forkExec, getpid, getppid, type Child, type ExitStatus } from './os/process.js';
import { numberOfSignalName } from './os/signals.js';
import { packHandles, unpackHandles } from './transfer.js';
import {
  invalidArg, throwIfAborted, typeError, validateBoolean, validateOptions, validateString,
  validateWaitOptions, type WaitOptions,
} from './validate.js';

export interface ProcessOptions {
  /** The module that defines the function: a path, a file: URL string or a URL. */
  module: string | URL;
  /** The export to call (default 'default'). */
  fn?: string;
  /** Arguments for `fn`: anything the v8 serializer carries, and osipc objects. */
  args?: unknown[];
  /** Default `Process-N` (N counts the Processes made by this process). */
  name?: string;
  /** Dies with the parent, does not keep the parent's event loop alive. */
  daemon?: boolean;
  /** The child's whole environment (default: this process's). */
  env?: Record<string, string | undefined>;
}

/** What currentProcess() returns. */
export interface ProcessInfo {
  /** 'MainProcess' in a process osipc did not start; the Process's name in its child. */
  readonly name: string;
  readonly pid: number;
  /** The parent's pid when currentProcess() was called (it changes when the parent dies: see getppid()). */
  readonly ppid: number;
  readonly daemon: boolean;
  /** Python's _identity: [] in the main process, [2] in Process-2, [2, 1] in its first child. */
  readonly identity: readonly number[];
}

// Shared through globalThis so that a second copy of the package (another
// node_modules) in the same child agrees on who it is. The child bootstrap
// sets it before the user's module loads.
const kCurrent = Symbol.for('osipc.currentProcess');
interface CurrentState { name: string; daemon: boolean; identity: number[]; counter: number }
type WithCurrent = typeof globalThis & { [kCurrent]?: CurrentState };

function state(): CurrentState {
  const g = globalThis as WithCurrent;
  g[kCurrent] ??= { name: 'MainProcess', daemon: false, identity: [], counter: 0 };
  return g[kCurrent];
}

/** Who this process is: name, pid, ppid (like multiprocessing.current_process()). */
export function currentProcess(): ProcessInfo {
  const s = state();
  return {
    name: s.name,
    pid: getpid(),
    ppid: getppid(),
    daemon: s.daemon,
    identity: [...s.identity],
  };
}

// Tests turn PR_SET_PDEATHSIG off (OSIPC_NO_PDEATHSIG=1) to prove that the
// control socket's end of file alone also takes a daemon down, as on macOS.
export const usePdeathsig = process.platform === 'linux' && process.env.OSIPC_NO_PDEATHSIG !== '1';

const bootstrapPath = fileURLToPath(new URL('./child/bootstrap.js', import.meta.url));

// Flags that make node run something other than a script: not for the child.
const WITH_VALUE = new Set(['-e', '--eval', '-p', '--print', '-pe', '-r-e']);
const ALONE = new Set(['-i', '--interactive', '-c', '--check', '--test', '--watch']);
export function childExecArgv(): string[] {
  const out: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (WITH_VALUE.has(a)) { i++; continue; }
    // --input-type is for -e and stdin only; node refuses it with a script file.
    if (a === '--input-type') { i++; continue; }
    if (ALONE.has(a) || /^--(eval|print|watch-path|input-type|test-[a-z-]+)=/.test(a)) continue;
    out.push(a);
  }
  return out;
}

export function moduleHref(module: unknown, argName = 'options.module'): string {
  if (module instanceof URL) return module.href;
  const s = validateString(module, argName);
  if (s === '') throw invalidArg(argName, 'must not be empty');
  if (/^[a-zA-Z][a-zA-Z0-9+.-]+:/.test(s)) {
    try {
      return new URL(s).href;
    } catch {
      throw invalidArg(argName, `${JSON.stringify(s)} is not a valid URL`);
    }
  }
  return pathToFileURL(isAbsolute(s) ? s : resolvePath(s)).href;
}

/** The error a child sent, rebuilt with its name, code and stack. */
export interface ErrorReport {
  name: string;
  message: string;
  stack: string;
  code?: string;
  errno?: number;
  syscall?: string;
  path?: string;
}

export function remoteError(e: ErrorReport): RemoteError {
  const err = new RemoteError(e.name, e.message, e.stack, e.code);
  for (const key of ['errno', 'syscall', 'path'] as const) {
    if (e[key] !== undefined) Object.defineProperty(err, key, { value: e[key], enumerable: true });
  }
  return err;
}

// Daemon children are terminated when this process exits normally (as in
// Python); PR_SET_PDEATHSIG and the control socket's EOF cover the rest.
const liveDaemons = new Set<Process>();
let exitHookInstalled = false;
function watchDaemon(p: Process): void {
  liveDaemons.add(p);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const d of liveDaemons) d.terminate();
    });
  }
}

type Outcome = { ready: true } | { ready: false; error: Error };

export class Process {
  readonly #module: string;
  readonly #fn: string;
  readonly #args: unknown[];
  readonly #env: Record<string, string | undefined> | undefined;
  readonly #identity: number[];
  #name: string;
  #daemon: boolean;
  #child: Child | null = null;
  #channel: ControlChannel | null = null;
  #starting = false;
  #exitStatus: ExitStatus | null = null;
  #exited = false;
  #exitWaiters = new Set<() => void>();
  #startSettle: ((o: Outcome) => void) | null = null;
  #hasResult = false;
  #result: unknown = undefined;
  #error: RemoteError | null = null;
  #holds = 0;

  constructor(options: ProcessOptions) {
    const o = validateOptions(options);
    if (o.module === undefined) throw typeError('options.module', 'a path or a URL', undefined);
    this.#module = moduleHref(o.module);
    this.#fn = o.fn === undefined ? 'default' : validateString(o.fn, 'options.fn');
    if (o.args !== undefined && !Array.isArray(o.args)) throw typeError('options.args', 'an array', o.args);
    this.#args = o.args ?? [];
    this.#daemon = o.daemon === undefined ? false : validateBoolean(o.daemon, 'options.daemon');
    if (o.env !== undefined && (typeof o.env !== 'object' || o.env === null)) {
      throw typeError('options.env', 'of type object', o.env);
    }
    this.#env = o.env;
    const s = state();
    this.#identity = [...s.identity, ++s.counter];
    this.#name = o.name === undefined
      ? `${new.target.name}-${this.#identity.join(':')}` : validateString(o.name, 'options.name');
  }

  get name(): string {
    return this.#name;
  }

  set name(value: string) {
    this.#name = validateString(value, 'name');
  }

  get daemon(): boolean {
    return this.#daemon;
  }

  /** Settable before start() only. */
  set daemon(value: boolean) {
    if (this.#child !== null || this.#starting) {
      throw new OsipcError('daemon can only be set before start()', 'ERR_OSIPC_PROCESS_STARTED');
    }
    this.#daemon = validateBoolean(value, 'daemon');
  }

  /** The child's pid once started, else null. */
  get pid(): number | null {
    return this.#child?.pid ?? null;
  }

  /**
   * null while running (or before start); the exit code once it ended; the
   * negative signal number when a signal ended it (-9 after kill()), as in Python.
   */
  get exitCode(): number | null {
    this.#poll();
    const s = this.#exitStatus;
    if (s === null) return null;
    return s.signal !== null ? -numberOfSignalName(s.signal) : s.exitCode;
  }

  /** The value `fn` returned (undefined until it arrives). */
  get result(): unknown {
    return this.#result;
  }

  /** True once `fn` has returned and its value has arrived. */
  get hasResult(): boolean {
    return this.#hasResult;
  }

  /**
   * The error `fn` threw (or that loading `module` threw), as a RemoteError:
   * `remoteName`, `message`, `code`, and `stack` that shows the child's stack.
   */
  get error(): RemoteError | null {
    return this.#error;
  }

  /** Started and not yet ended. */
  isAlive(): boolean {
    if (this.#child === null) return false;
    this.#poll();
    return !this.#exited;
  }

  /**
   * Starts the child and resolves once it runs: it has its arguments, has
   * loaded `module` (its top-level code has run) and found `fn`. Rejects with
   * a RemoteError when the module cannot be loaded or has no such function,
   * with the serializer's error (DataCloneError) when `args` cannot travel,
   * with ERR_OSIPC_PROCESS_STARTED when called twice.
   */
  async start(): Promise<void> {
    if (this.#child !== null || this.#starting) {
      throw new OsipcError('cannot start a process twice', 'ERR_OSIPC_PROCESS_STARTED');
    }
    this.#starting = true;
    let frame: Buffer, fds: number[];
    try {
      const packed = packHandles(this.#args);
      fds = packed.fds;
      try {
        frame = ControlChannel.frame({
          kind: 'start', module: this.#module, fn: this.#fn, args: packed.value, fdCount: fds.length,
          name: this.#name, daemon: this.#daemon, identity: this.#identity,
        });
      } catch (err) {
        // As structuredClone and postMessage report it.
        throw new DOMException(`args cannot be sent to the child: ${(err as Error).message}`,
          { name: 'DataCloneError', cause: err });
      }
    } catch (err) {
      this.#starting = false;
      throw err;
    }

    const [mine, theirs] = fdBinding.socketpair(true);
    try {
      this.#child = forkExec(process.execPath, [...childExecArgv(), bootstrapPath], {
        fds: [0, 1, 2, theirs, ...fds],
        env: this.#env ?? process.env,
        deathSignal: this.#daemon && usePdeathsig ? 'SIGKILL' : undefined,
      });
    } catch (err) {
      fdBinding.close(mine);
      this.#starting = false;
      throw err;
    } finally {
      fdBinding.close(theirs);
    }
    this.#starting = false;
    const child = this.#child;
    const channel = new ControlChannel(mine);
    this.#channel = channel;
    if (this.#daemon) {
      child.unref();
      watchDaemon(this);
    }

    const started = new Promise<Outcome>((resolve) => { this.#startSettle = resolve; });
    channel.startReading((m) => this.#onMessage(m), () => { /* the exit watcher drains and closes */ });
    child.wait().then((s) => this.#onExit(s), () => this.#onExit(null));
    // A daemon's watcher is unref'd: hold the loop while starting.
    this.#hold();
    try {
      channel.send(frame, true).catch(() => { /* the child died first: the exit says why */ });
      const outcome = await started;
      if (!outcome.ready) throw outcome.error;
    } finally {
      this.#release();
    }
  }

  /**
   * Waits for the child to end and resolves with its exitCode, or with null
   * when `timeout` ms pass first (the child runs on). Never rejects for the
   * child's own failure: see exitCode and error.
   */
  async join(options?: WaitOptions): Promise<number | null> {
    const { timeout, signal } = validateWaitOptions(options);
    if (this.#child === null) {
      throw new OsipcError('can only join a started process', 'ERR_OSIPC_PROCESS_NOT_STARTED');
    }
    throwIfAborted(signal);
    if (this.#exited) return this.exitCode;
    this.#hold();
    try {
      await new Promise<void>((resolve, reject) => {
        let timer: NodeJS.Timeout | undefined;
        const finish = (err?: Error): void => {
          this.#exitWaiters.delete(done);
          if (timer) clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          if (err) reject(err);
          else resolve();
        };
        const done = (): void => finish();
        const onAbort = (): void => finish(new AbortError(undefined, { cause: signal!.reason }));
        this.#exitWaiters.add(done);
        if (timeout !== Infinity) timer = setTimeout(done, Math.min(timeout, 2 ** 31 - 1));
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    } finally {
      this.#release();
    }
    return this.exitCode;
  }

  /** Sends SIGTERM. Does nothing once the child has ended. */
  terminate(): void {
    this.#signal('SIGTERM');
  }

  /** Sends SIGKILL. Does nothing once the child has ended. */
  kill(): void {
    this.#signal('SIGKILL');
  }

  #signal(sig: 'SIGTERM' | 'SIGKILL'): void {
    if (this.#child === null) {
      throw new OsipcError('the process has not been started', 'ERR_OSIPC_PROCESS_NOT_STARTED');
    }
    this.#child.kill(sig);
  }

  // A daemon child does not hold the event loop, except while someone waits for it.
  #hold(): void {
    if (this.#holds++ === 0 && this.#daemon && !this.#exited) this.#child?.ref();
  }

  #release(): void {
    if (--this.#holds === 0 && this.#daemon && !this.#exited) this.#child?.unref();
  }

  #poll(): void {
    if (this.#child === null || this.#exited) return;
    const s = this.#child.tryWait();
    if (s !== null) this.#onExit(s);
  }

  #onMessage(m: unknown): void {
    const msg = m as { kind: string; value?: unknown; error?: ErrorReport; phase?: string };
    if (msg.kind === 'ready') {
      this.#settleStart({ ready: true });
    } else if (msg.kind === 'result') {
      this.#result = unpackHandles(msg.value, []);
      this.#hasResult = true;
    } else if (msg.kind === 'error' && msg.error) {
      // A load error rejects start() once the child has exited (just after).
      this.#error = remoteError(msg.error);
    }
  }

  #settleStart(o: Outcome): void {
    const settle = this.#startSettle;
    this.#startSettle = null;
    settle?.(o);
  }

  // Idempotent: called by the exit watcher, or earlier by a poll that reaped.
  #onExit(status: ExitStatus | null): void {
    if (this.#exited) return;
    this.#exited = true;
    this.#exitStatus = status;
    liveDaemons.delete(this);
    // The child's last messages may still sit in the socket: read them all.
    const channel = this.#channel;
    if (channel) {
      try {
        channel.drain((m) => this.#onMessage(m));
      } catch { /* a broken last frame: the exit code tells the rest */ }
      channel.close();
      this.#channel = null;
    }
    if (this.#startSettle) {
      const code = this.exitCode;
      this.#settleStart({
        ready: false,
        error: this.#error ?? new OsipcError(
          `the child exited (exitCode ${code}) before it started`, 'ERR_OSIPC_PROCESS_START'),
      });
    }
    for (const w of [...this.#exitWaiters]) w();
  }
}
