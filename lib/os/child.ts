// Child: a started child process, watched until it exits and then reaped, so
// no zombie is ever left behind. On Linux >= 5.3 the exit is a pidfd polled on
// libuv's loop; elsewhere a SIGCHLD listener checks the children it knows
// (waitpid on their own pids only, never -1: that would steal Node's own
// child_process children). Neither polls in a loop.
import { fstatSync, readFileSync } from 'node:fs';
import { native } from '../binding.js';
import { AbortError } from '../errors.js';
import { invalidArg, validateInteger, validateWaitOptions, type WaitOptions } from '../validate.js';
import { fdBinding } from './fd.js';
import { FdPoller, READABLE } from './poller.js';
import { signalName, signalNumber, type Signal } from './signals.js';

const binding = native as {
  waitpid(pid: number, nohang: boolean): [number, number, number] | null;
  pidfdSendSignal(pidfd: number, sig: number): void;
  pollReadable(fd: number, timeoutMs: number): number;
  kill(pid: number, sig: number): void;
  makeErrnoError(errno: number, syscall: string): Error;
};

/** How a child ended: `exitCode` when it exited, `signal` (a name) when a signal killed it. */
export interface ExitStatus {
  pid: number;
  /** The exit code (0..255), or null when a signal ended the process. */
  exitCode: number | null;
  /** The signal that ended the process ('SIGKILL'), or null when it exited. */
  signal: string | null;
}

/** Decodes the native [pid, exitCode | -1, signal | 0] triple. */
export function toExitStatus(r: [number, number, number]): ExitStatus {
  const [pid, code, sig] = r;
  return sig !== 0 ? { pid, exitCode: null, signal: signalName(sig) } : { pid, exitCode: code, signal: null };
}

// Tests force the SIGCHLD path on Linux with OSIPC_NO_PIDFD=1.
const usePidfd = process.env.OSIPC_NO_PIDFD !== '1';
const MAX_TIMER = 2 ** 31 - 1;

/** Unreaped children by pid (waitpid(pid) on one of them goes through its Child). */
const live = new Map<number, Child>();

export function liveChild(pid: number): Child | undefined {
  return live.get(pid);
}

export class Child {
  /** The child's process id. */
  readonly pid: number;
  #pidfd: number;
  #poller: FdPoller | null = null;
  #status: ExitStatus | null = null;
  #lost: Error | null = null;
  #waiters = new Set<() => void>();
  #refed = true;

  /**
   * @internal Made by forkExec; `pidfd` is < 0 when the platform has none.
   * The numbers are checked (a wrong pidfd would be closed, a wrong pid reaped).
   */
  constructor(pid: number, pidfd: number) {
    checkChild(pid, pidfd);
    this.pid = pid;
    live.set(pid, this);
    if (pidfd >= 0 && !usePidfd) fdBinding.close(pidfd);
    this.#pidfd = usePidfd ? pidfd : -1;
    if (this.#pidfd >= 0) this.#watchPidfd();
    else SigchldWatch.add(this);
  }

  /** The exit status once the child has been reaped, else null. */
  get exitStatus(): ExitStatus | null {
    return this.#status;
  }

  /**
   * Resolves with the exit status when the child ends, or with null when
   * `timeout` ms pass first (the child runs on). Rejects with an AbortError
   * when `signal` fires.
   */
  wait(options?: WaitOptions): Promise<ExitStatus | null> {
    let timeout: number, signal: AbortSignal | undefined;
    try {
      ({ timeout, signal } = validateWaitOptions(options));
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.#status) return Promise.resolve(this.#status);
    if (this.#lost) return Promise.reject(this.#lost);
    if (signal?.aborted) return Promise.reject(new AbortError(undefined, { cause: signal.reason }));
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const onAbort = (): void => finish(new AbortError(undefined, { cause: signal!.reason }));
      const finish = (err?: Error): void => {
        if (!this.#waiters.delete(waiter)) return;
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else if (this.#lost) reject(this.#lost);
        else resolve(this.#status);
      };
      const waiter = (): void => finish();
      this.#waiters.add(waiter);
      if (timeout !== Infinity) timer = setTimeout(waiter, Math.min(timeout, MAX_TIMER));
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * Blocks this thread until the child ends or `timeout` ms pass (null then).
   * Without pidfds and with a finite timeout it checks in short sleeps.
   */
  waitSync(options?: { timeout?: number }): ExitStatus | null {
    const { timeout } = validateWaitOptions(options);
    if (this.#status || this.#lost) return this.#result();
    const deadline = performance.now() + timeout;
    if (this.#pidfd >= 0) {
      for (;;) {
        const left = Math.max(0, deadline - performance.now());
        const ms = timeout === Infinity ? -1 : Math.min(Math.ceil(left), MAX_TIMER);
        if (binding.pollReadable(this.#pidfd, ms) === 1 && this.#reapNow()) return this.#result();
        if (timeout !== Infinity && performance.now() >= deadline) return null;
      }
    }
    if (timeout === Infinity) {
      this.#reapNow(true);
      return this.#result();
    }
    const nap = new Int32Array(new SharedArrayBuffer(4));
    for (let slice = 1; ; slice = Math.min(slice * 2, 50)) {
      if (this.#reapNow()) return this.#result();
      const left = deadline - performance.now();
      if (left <= 0) return null;
      Atomics.wait(nap, 0, 0, Math.min(slice, left));
    }
  }

  /** The exit status if the child has ended (reaping it), else null. Never blocks. */
  tryWait(): ExitStatus | null {
    if (this.#status || this.#lost) return this.#result();
    return this.#reapNow() ? this.#result() : null;
  }

  /**
   * Sends `signal` (default 'SIGTERM'). Returns false, sending nothing, when
   * the child has already ended: its pid may belong to another process by now.
   * On Linux the signal goes through the pidfd, which cannot hit a reused pid.
   */
  kill(signal: Signal = 'SIGTERM'): boolean {
    const sig = signalNumber(signal);
    if (this.#status || this.#lost) return false;
    try {
      if (this.#pidfd >= 0) binding.pidfdSendSignal(this.#pidfd, sig);
      else binding.kill(this.pid, sig);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
      throw err;
    }
  }

  /** Keeps the event loop alive until the child ends (the default). */
  ref(): this {
    this.#refed = true;
    this.#poller?.ref();
    SigchldWatch.update();
    return this;
  }

  /** Lets the parent exit while the child runs; it is still reaped if it ends first. */
  unref(): this {
    this.#refed = false;
    this.#poller?.unref();
    SigchldWatch.update();
    return this;
  }

  /** @internal */
  get refed(): boolean {
    return this.#refed && this.#status === null && this.#lost === null;
  }

  /**
   * @internal In a fork() child: the parent's children are not ours. Stops
   * watching them without touching them.
   */
  detach(): void {
    this.#stopWatching();
    live.delete(this.pid);
    SigchldWatch.delete(this);
  }

  /** @internal Reaps now if the child has ended; true when reaped (or lost). */
  poll(): boolean {
    return this.#reapNow();
  }

  #result(): ExitStatus {
    if (this.#lost) throw this.#lost;
    return this.#status!;
  }

  #watchPidfd(): void {
    const poller = new FdPoller(this.#pidfd);
    this.#poller = poller;
    const loop = (): void => {
      poller.wait(READABLE).then(
        () => { if (!this.#reapNow()) loop(); },
        () => { /* closed: reaped elsewhere or detached */ },
      );
    };
    loop();
  }

  // waitpid(pid) for this child only. ECHILD means something else reaped it
  // (a raw waitpid from another library): the status is lost, say so.
  #reapNow(block = false): boolean {
    if (this.#status || this.#lost) return true;
    let r: [number, number, number] | null;
    try {
      r = binding.waitpid(this.pid, !block);
    } catch (err) {
      this.#settle(null, err as Error);
      return true;
    }
    if (r === null) return false;
    this.#settle(toExitStatus(r), null);
    return true;
  }

  #settle(status: ExitStatus | null, lost: Error | null): void {
    this.#status = status;
    this.#lost = lost;
    live.delete(this.pid);
    this.#stopWatching();
    SigchldWatch.delete(this);
    for (const w of [...this.#waiters]) w();
  }

  #stopWatching(): void {
    if (this.#poller) {
      this.#poller.close();
      this.#poller = null;
    }
    if (this.#pidfd >= 0) {
      fdBinding.close(this.#pidfd);
      this.#pidfd = -1;
    }
  }
}

// A pid must name a live child of this process (waitpid takes nothing else);
// a pidfd must be an open pidfd of that pid (Linux says so in fdinfo), since
// the Child closes it when done.
function checkChild(pid: unknown, pidfd: unknown): void {
  validateInteger(pid, 'pid', 1, 0x3fffffff);
  validateInteger(pidfd, 'pidfd', -4095, 0x7fffffff);
  if (process.platform === 'linux') {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid as number}/stat`, 'utf8');
    } catch {
      throw binding.makeErrnoError(3 /* ESRCH */, 'waitpid');
    }
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid !== process.pid) throw binding.makeErrnoError(10 /* ECHILD */, 'waitpid');
  }
  if ((pidfd as number) < 0) return;
  fstatSync(pidfd as number); // EBADF when it is not open
  if (process.platform !== 'linux') throw invalidArg('pidfd', 'pidfds exist only on Linux (pass -1)');
  let info = '';
  try {
    info = readFileSync(`/proc/self/fdinfo/${pidfd as number}`, 'utf8');
  } catch { /* closed meanwhile: the check below fails */ }
  const m = /^Pid:\s*(-?\d+)/m.exec(info);
  if (m === null) throw invalidArg('pidfd', 'not a pidfd');
  if (Number(m[1]) !== pid) throw invalidArg('pidfd', `a pidfd of process ${pid as number} (it is one of ${m[1]})`);
}

// The SIGCHLD path: one listener for every child without a pidfd, and a
// long timer that holds the event loop open while a ref'd one runs (signal
// listeners do not).
const SigchldWatch = {
  children: new Set<Child>(),
  listening: false,
  keepAlive: null as NodeJS.Timeout | null,
  sweep: (): void => {
    for (const c of [...SigchldWatch.children]) c.poll();
  },
  add(c: Child): void {
    this.children.add(c);
    this.update();
    // It may have ended before the listener existed.
    c.poll();
  },
  delete(c: Child): void {
    if (this.children.delete(c)) this.update();
  },
  update(): void {
    if (this.children.size > 0 && !this.listening) {
      process.on('SIGCHLD', this.sweep);
      this.listening = true;
    } else if (this.children.size === 0 && this.listening) {
      process.off('SIGCHLD', this.sweep);
      this.listening = false;
    }
    const anyRef = [...this.children].some((c) => c.refed);
    if (anyRef && !this.keepAlive) this.keepAlive = setInterval(this.sweep, 60_000);
    else if (!anyRef && this.keepAlive) {
      clearInterval(this.keepAlive);
      this.keepAlive = null;
    }
  },
};

/** @internal In a fork() child: forget the parent's children. */
export function detachInheritedChildren(): void {
  for (const c of [...live.values()]) c.detach();
}
