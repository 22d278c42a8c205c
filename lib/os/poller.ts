// FdPoller: waits for an fd to become readable or writable on libuv's loop (no
// thread, no busy loop). Used by every fd-backed object: pipes, sockets, POSIX
// mq descriptors on Linux, pidfds. Readiness is a hint: callers retry their
// non-blocking call and wait again on EAGAIN.
import { native } from '../binding.js';
import { AbortError } from '../errors.js';

interface NativePoller {
  start(events: number): void;
  stop(): void;
  ref(): void;
  unref(): void;
  close(): void;
  onevent?: (status: number, events: number) => void;
}

const binding = native as {
  Poller: new (fd: number) => NativePoller;
  makeErrnoError(errno: number, syscall: string, path?: string): Error;
};

export const READABLE = 1;
export const WRITABLE = 2;

interface Waiter {
  events: number;
  settle(events: number, err?: Error): void;
}

export class FdPoller {
  #poller: NativePoller | null;
  #waiters = new Set<Waiter>();
  #mask = 0;
  #refed = true;

  constructor(fd: number) {
    this.#poller = new binding.Poller(fd);
    this.#poller.onevent = (status, events) => this.#onEvent(status, events);
  }

  get closed(): boolean {
    return this.#poller === null;
  }

  /**
   * Resolves with the events that fired (READABLE, WRITABLE) once the fd is
   * ready for any of `events`, or with 0 when `timeout` ms pass first. Rejects
   * with an AbortError when `signal` fires and with a system error on failure.
   */
  wait(events: number, timeout = Infinity, signal?: AbortSignal): Promise<number> {
    if (this.#poller === null) return Promise.reject(binding.makeErrnoError(9, 'uv_poll_start'));
    if (signal?.aborted) return Promise.reject(new AbortError(undefined, { cause: signal.reason }));
    return new Promise<number>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const onAbort = (): void => waiter.settle(0, new AbortError(undefined, { cause: signal!.reason }));
      const waiter: Waiter = {
        events,
        settle: (fired, err) => {
          if (!this.#waiters.delete(waiter)) return;
          if (timer) clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          this.#update();
          if (err) reject(err);
          else resolve(fired);
        },
      };
      this.#waiters.add(waiter);
      if (timeout !== Infinity) timer = setTimeout(() => waiter.settle(0), timeout);
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        this.#update();
      } catch (err) {
        waiter.settle(0, err as Error);
      }
    });
  }

  /** Lets the process exit while a wait is pending (for background watchers). */
  unref(): void {
    this.#refed = false;
    this.#update();
  }

  ref(): void {
    this.#refed = true;
    this.#update();
  }

  /** Stops watching; pending waits reject with EBADF. Idempotent. Close before the fd. */
  close(): void {
    const poller = this.#poller;
    if (poller === null) return;
    this.#poller = null;
    poller.close();
    const err = binding.makeErrnoError(9, 'uv_poll_start');
    for (const w of [...this.#waiters]) w.settle(0, err);
  }

  #onEvent(status: number, events: number): void {
    if (this.#waiters.size === 0) {
      // Idle (see #update) and the fd is ready: stop until someone waits.
      if (this.#poller !== null && this.#mask !== 0) {
        this.#mask = 0;
        this.#poller.stop();
      }
      return;
    }
    const err = status < 0 ? binding.makeErrnoError(-status, 'uv_poll') : undefined;
    // settle() only removes entries, which Set iteration tolerates.
    for (const w of this.#waiters) {
      if (err || (w.events & events) !== 0) w.settle(events & w.events, err);
    }
    // Events the pending waits do not want would fire again at once.
    let mask = 0;
    for (const w of this.#waiters) mask |= w.events;
    if (mask !== 0 && (events & ~mask & (READABLE | WRITABLE)) !== 0 && mask !== this.#mask) {
      this.#mask = mask;
      this.#poller?.start(mask);
    }
  }

  /** Rejects the pending waits for any of `events` with `err` (e.g. reads on close). */
  cancel(events: number, err: Error): void {
    for (const w of this.#waiters) if ((w.events & events) !== 0) w.settle(0, err);
  }

  // Starts libuv polling for the union of pending waits. When none is left
  // the handle keeps polling but stops holding the loop open (unref): a caller
  // that waits again at once (recv after recv) then costs no epoll_ctl. It
  // stops for real when the fd fires with no one waiting.
  #update(): void {
    if (this.#poller === null) return;
    let mask = 0;
    for (const w of this.#waiters) mask |= w.events;
    if (mask === 0) {
      if (this.#holding) {
        this.#holding = false;
        this.#poller.unref();
      }
      return;
    }
    if (mask !== this.#mask) {
      this.#mask = mask;
      this.#poller.start(mask);
    }
    const hold = this.#refed;
    if (hold !== this.#holding) {
      this.#holding = hold;
      if (hold) this.#poller.ref();
      else this.#poller.unref();
    }
  }

  // Whether the handle currently keeps the loop alive.
  #holding = true; // uv_poll_init leaves the handle ref'd
}
