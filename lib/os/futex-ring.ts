// Promise futex waits on an io_uring (Linux >= 6.7; native/sys/futex_ring.h):
// the kernel completes a wait when any process wakes the word, and the ring's
// fd, polled by libuv, wakes the event loop itself. One ring per thread.
// Where the kernel lacks it (older Linux, io_uring disabled, macOS), or with
// too many waits in flight, ringWait() returns null and futex.ts uses the wait
// service's threads instead. OSIPC_FUTEX_RING=0 turns it off (to compare).
import { native } from '../binding.js';
import { READABLE } from './poller.js';

export type RingOutcome = 'ok' | 'not-equal' | 'timed-out' | 'cancelled';

interface NativeRing {
  readonly fd: number;
  wait(buffer: ArrayBuffer, byteOffset: number, expected: number, id: number): number;
  cancel(id: number): number;
  reap(ids: Float64Array, results: Int32Array): number;
  close(): void;
}
interface NativePoller {
  start(events: number): void;
  stop(): void;
  ref(): void;
  unref(): void;
  onevent?: (status: number, events: number) => void;
}
const binding = native as {
  FutexRing: new () => NativeRing;
  Poller: new (fd: number) => NativePoller;
  makeErrnoError(errno: number, syscall: string): Error;
};

const EAGAIN = 11;
const EFAULT = 14;
const ECANCELED = 125;
/** setTimeout's longest delay: a longer one fires after 1 ms (TimeoutOverflowWarning). */
const TIMER_MAX_MS = 0x7fffffff;
/** Past this the wait service waits without limit too (native/futex_wrap.cc). */
const FOREVER_MS = 9.0e12;
/**
 * How often armed waits are checked for a buffer detached under them (a
 * SharedMemory closed): the kernel keeps such a wait armed on the old word,
 * where nobody in this process can wake it. The wait service finds out within
 * its 100 ms slice (EFAULT); this matches it.
 */
const SWEEP_MS = 100;
/** Waits in flight at most (each may leave two completions: its own and its cancel's). */
const MAX_IN_FLIGHT = 1024;

interface Pending {
  buffer: ArrayBuffer; // kept alive (and mapped) while the kernel watches its word
  resolve(outcome: RingOutcome): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout | undefined;
  ref: boolean;
  /** Why it was cancelled, if it was: the outcome its ECANCELED completion means. */
  cancelledAs: RingOutcome | 'detached' | null;
}

class Ring {
  readonly #ring: NativeRing;
  readonly #poller: NativePoller;
  readonly #pending = new Map<number, Pending>();
  readonly #ids = new Float64Array(256);
  readonly #results = new Int32Array(256);
  #nextId = 1;
  #refs = 0;
  #polling = false;
  #sweeper: NodeJS.Timeout | undefined;
  /**
   * The process whose thread made the ring. A fork() child shares the ring
   * (its fd and its mapped CQ) and inherits the started poller, the pending
   * map and its timers: it must neither arm waits on it nor reap (it would
   * take the parent's completions, and the parent's waits would never settle,
   * timeouts included) nor cancel the parent's waits.
   */
  readonly #pid = process.pid;

  /** False in a fork() child of the process that made the ring. */
  get usable(): boolean {
    return process.pid === this.#pid;
  }

  constructor() {
    this.#ring = new binding.FutexRing();
    this.#poller = new binding.Poller(this.#ring.fd);
    this.#poller.onevent = () => this.#reap();
    this.#poller.unref();
  }

  get full(): boolean {
    return this.#pending.size >= MAX_IN_FLIGHT;
  }

  /** Arms a wait; null when the kernel refused it (the caller falls back). */
  wait(buffer: ArrayBuffer, byteOffset: number, expected: number, timeoutMs: number, ref: boolean):
    { promise: Promise<RingOutcome>; cancel(): void } | null {
    const id = this.#nextId++;
    if (this.#ring.wait(buffer, byteOffset, expected, id) !== 0) return null;
    let entry!: Pending;
    const promise = new Promise<RingOutcome>((resolve, reject) => {
      entry = { buffer, resolve, reject, timer: undefined, ref, cancelledAs: null };
    });
    this.#pending.set(id, entry);
    if (ref && this.#refs++ === 0) this.#poller.ref();
    if (!this.#polling) {
      this.#polling = true;
      this.#poller.start(READABLE);
    }
    if (timeoutMs < FOREVER_MS) this.#arm(id, entry, timeoutMs);
    if (this.#sweeper === undefined) {
      this.#sweeper = setInterval(() => this.#sweep(), SWEEP_MS);
      this.#sweeper.unref();
    }
    return { promise, cancel: () => this.#cancel(id, 'cancelled') };
  }

  // The timeout, in steps of at most TIMER_MAX_MS (only past 24.8 days).
  #arm(id: number, entry: Pending, ms: number): void {
    entry.timer = ms > TIMER_MAX_MS
      ? setTimeout(() => this.#arm(id, entry, ms - TIMER_MAX_MS), TIMER_MAX_MS)
      : setTimeout(() => this.#cancel(id, 'timed-out'), ms);
    if (!entry.ref) entry.timer.unref();
  }

  #mine(): boolean {
    if (this.usable) return true;
    // A fork() child: leave the ring to the parent.
    if (this.#polling) {
      this.#polling = false;
      this.#poller.stop();
    }
    clearInterval(this.#sweeper);
    this.#sweeper = undefined;
    return false;
  }

  #cancel(id: number, as: RingOutcome | 'detached'): void {
    if (!this.#mine()) return;
    const p = this.#pending.get(id);
    if (p === undefined || p.cancelledAs !== null) return;
    p.cancelledAs = as;
    // Already completed (its completion waits to be reaped) is fine: -ENOENT.
    // Not submitted at all: settle now; the wait's own completion, if it
    // comes, finds nothing pending.
    if (this.#ring.cancel(id) < 0) this.#settle(id, -ECANCELED);
  }

  #sweep(): void {
    if (!this.#mine()) return;
    if (this.#pending.size === 0) {
      clearInterval(this.#sweeper);
      this.#sweeper = undefined;
      return;
    }
    for (const [id, p] of this.#pending) {
      if (p.buffer.byteLength === 0) this.#cancel(id, 'detached');
    }
  }

  // The ring's fd is readable: settle every completed wait.
  #reap(): void {
    if (!this.#mine()) return;
    const ids = this.#ids;
    const results = this.#results;
    for (;;) {
      const n = this.#ring.reap(ids, results);
      for (let i = 0; i < n; i++) this.#settle(ids[i]!, results[i]!);
      if (n < ids.length) break;
    }
    if (this.#pending.size === 0 && this.#polling) {
      this.#polling = false;
      this.#poller.stop();
    }
  }

  #settle(id: number, res: number): void {
    const p = this.#pending.get(id);
    if (p === undefined) return;
    this.#pending.delete(id);
    if (p.timer !== undefined) clearTimeout(p.timer);
    if (p.ref && --this.#refs === 0) this.#poller.unref();
    // Woken before a cancel took effect: a real wake, reported as such.
    if (res === 0) p.resolve('ok');
    else if (res === -EAGAIN) p.resolve('not-equal');
    else if (res === -ECANCELED && p.cancelledAs !== 'detached') p.resolve(p.cancelledAs ?? 'cancelled');
    // Its buffer was detached (unmapped) under it: as the wait service says.
    else p.reject(binding.makeErrnoError(res === -ECANCELED ? EFAULT : -res, 'futex_wait'));
  }
}

let ring: Ring | null | undefined;
let whyNot = '';

function theRing(): Ring | null {
  if (ring !== undefined) return ring?.usable ? ring : null;
  ring = null;
  if (process.platform === 'linux' && process.env.OSIPC_FUTEX_RING !== '0') {
    try {
      ring = new Ring();
    } catch (err) {
      // No io_uring futex wait here: the wait service serves every wait.
      whyNot = `io_uring FUTEX_WAIT is not available (${(err as { code?: string }).code ?? (err as Error).message})`;
    }
  } else {
    whyNot = process.platform !== 'linux' ? `not on ${process.platform}` : 'OSIPC_FUTEX_RING=0';
  }
  return ring;
}

/** How this thread's Promise futex waits sleep, and why (for `osipc doctor`). */
export function futexWaitMethod(): { ring: boolean; why: string } {
  const r = theRing();
  return r !== null ? { ring: true, why: 'io_uring FUTEX_WAIT polled by the event loop' } : { ring: false, why: whyNot };
}

/**
 * Arms a Promise wait on the word at `byteOffset` of `buffer` while it holds
 * `expected`; `timeoutMs` may be Infinity. Null when this thread has no ring
 * (or too many waits in flight): use the wait service.
 */
export function ringWait(buffer: ArrayBuffer, byteOffset: number, expected: number, timeoutMs: number,
  ref: boolean): { promise: Promise<RingOutcome>; cancel(): void } | null {
  const r = theRing();
  if (r === null || r.full) return null;
  return r.wait(buffer, byteOffset, expected, timeoutMs, ref);
}
