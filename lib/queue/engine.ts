// The waiting machinery of Queue, JoinableQueue and SimpleQueue: the fast
// synchronous paths, the Promise forms (pending calls of this process queue
// up locally, first come first served, and share one lock wait or futex wait),
// the Sync forms and the Nowait forms. The ring (ring.ts) does the memory.
import { AbortError, ClosedError, OsipcError, QueueEmpty, QueueFull, TimeoutError } from '../errors.js';
import { futexUnchecked, type FutexWaitResult } from '../os/futex.js';
import { validateWaitOptions, type WaitOptions } from '../validate.js';
import { W } from './layout.js';
import { Spinner } from '../spin.js';
import type { LockResult, SharedMutex } from '../sync/mutex.js';
import { DIRECT_NEEDS_V8, EMPTY, PARTIAL, ROOM_WAIT_MS, Ring, type Outgoing } from './ring.js';

const BUSY = Symbol('busy');
// Awaiting one settled Promise many times is fine: a put that needs no wait
// allocates none.
const RESOLVED = Promise.resolve();
const FULL = Symbol('full');
const DONE = Symbol('done');

/** How long a consumer holding part of a message sleeps before it checks that its producer lives. */
const PEER_CHECK_MS = 150;
/** How long a Nowait call waits for the lock (held by others only while they copy a message). */
const NOWAIT_LOCK_MS = 2;

interface Waiter {
  reject(err: unknown): void;
  timer: NodeJS.Timeout | undefined;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  /** Set by a timeout or abort that must wait (the call is mid-message). */
  failure: unknown;
  /** When its timeout fires (performance.now() time): a spin stops there. */
  deadline: number;
}
interface Getter extends Waiter {
  resolve(v: unknown): void;
}
interface Putter extends Waiter {
  resolve(): void;
  msg: Outgoing;
}
interface Joiner extends Waiter {
  resolve(): void;
}

function abortError(signal: AbortSignal): AbortError {
  return new AbortError(undefined, { cause: signal.reason });
}

// A Sync sleep on header word `index` (the words were checked when the ring
// was mapped): no options object or argument checks per sleep.
function sleepSync(words: Int32Array, index: number, seq: number, timeoutMs: number): FutexWaitResult {
  return futexUnchecked.waitSync(words.buffer as ArrayBuffer, words.byteOffset + index * 4, seq, timeoutMs);
}

export class QueueEngine {
  readonly ring: Ring;
  readonly #what: string;
  #closed = false;
  #getters: Getter[] = [];
  #putters: Putter[] = [];
  #joiners: Joiner[] = [];
  #getPumping = false;
  #putPumping = false;
  #joinPumping = false;
  #holdsConsumer = false;
  #holdsProducer = false;
  // Aborts the pump's current wait when nobody is left waiting (or at close).
  #getWait: { abort(): void } | null = null;
  #putWait: { abort(): void } | null = null;
  #joinWait: { abort(): void } | null = null;
  // Messages taken off the ring for a call that gave up meanwhile: the next get has them.
  #stash: unknown[] = [];
  readonly #spinner: Spinner;
  readonly #arrived: () => boolean;

  constructor(ring: Ring, what: string, spinMicros: number) {
    this.ring = ring;
    this.#what = what;
    this.#spinner = new Spinner(spinMicros);
    this.#arrived = () => ring.arrived();
  }

  get closed(): boolean {
    return this.#closed;
  }

  #checkOpen(): void {
    if (this.#closed) throw new ClosedError(this.#what);
  }

  // ---- put ---------------------------------------------------------------------

  put(value: unknown, options?: WaitOptions): Promise<void> {
    let timeout = Infinity;
    let signal: AbortSignal | undefined;
    let msg: Outgoing | undefined;
    try {
      if (options !== undefined) ({ timeout, signal } = validateWaitOptions(options));
      this.#checkOpen();
      if (signal?.aborted) throw abortError(signal);
      if (this.#putters.length === 0 && !this.#holdsProducer) {
        const r = this.#putNow(value);
        if (r === DONE) return RESOLVED;
        if (typeof r === 'object') msg = r;
      }
      msg ??= this.ring.own(this.ring.encode(value, false));
      if (timeout === 0 && !msg.started) throw new QueueFull();
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<void>((resolve, reject) => {
      const p: Putter = { resolve, reject, msg: msg!, timer: undefined, signal, onAbort: undefined, failure: undefined, deadline: Infinity };
      const fail = (err: unknown): void => {
        // A message partly in the ring is withdrawn by the pump (it holds the lock).
        if (p === this.#putters[0] && p.msg.started) {
          p.failure = err;
          this.#putWait?.abort();
        } else {
          this.#remove(this.#putters, p);
          reject(err);
          if (this.#putters.length === 0) this.#putWait?.abort();
        }
      };
      this.#arm(p, timeout, signal, () => new QueueFull(), fail);
      this.#putters.push(p);
      void this.#putPump();
    });
  }

  /** One attempt without waiting: DONE, BUSY, FULL, or the encoded message to wait with. */
  #putNow(value: unknown): typeof DONE | typeof BUSY | typeof FULL | Outgoing {
    const ring = this.ring;
    const lock = ring.producerLock;
    if (ring.producerBusy()) return BUSY;
    const l = lock.tryLock();
    if (l === 'busy') return BUSY;
    ring.lockedProducer(l);
    let m: Outgoing | undefined;
    try {
      if (ring.isFull()) {
        lock.unlock();
        return FULL;
      }
      const d = ring.putDirect(value);
      if (d === 1) {
        lock.unlock();
        return DONE;
      }
      m = ring.encode(value, d === DIRECT_NEEDS_V8);
      if (ring.putEncoded(m)) {
        lock.unlock();
        return DONE;
      }
      // It waits from here: it must own its bytes (the caller may reuse theirs).
      if (m.started) this.#holdsProducer = true;
      else lock.unlock();
      return ring.own(m);
    } catch (err) {
      if (m?.started) ring.abandon(m);
      lock.unlock();
      throw err;
    }
  }

  async #putPump(): Promise<void> {
    if (this.#putPumping) return;
    this.#putPumping = true;
    const ring = this.ring;
    try {
      while (!this.#closed && this.#putters.length > 0) {
        const p = this.#putters[0]!;
        if (!this.#holdsProducer) {
          if (!(await this.#acquire(ring.producerLock, 'put'))) continue;
          // close() may have run (and given the lock back) since.
          if (!this.#holdsProducer) continue;
          if (this.#putters[0] !== p) {
            this.#releaseProducer();
            continue;
          }
        }
        let done = false;
        let waitSeq = -1;
        try {
          if (p.failure !== undefined) {
            ring.abandon(p.msg);
            this.#releaseProducer();
            this.#settle(this.#putters, p);
            p.reject(p.failure);
            continue;
          }
          if (!p.msg.started && ring.isFull()) {
            this.#releaseProducer();
          } else {
            done = ring.putEncoded(p.msg);
            if (done || !p.msg.started) this.#releaseProducer();
          }
          if (!done) waitSeq = ring.armNotFull();
        } catch (err) {
          if (p.msg.started) ring.abandon(p.msg);
          this.#releaseProducer();
          this.#settle(this.#putters, p);
          p.reject(err);
          continue;
        }
        if (done) {
          this.#settle(this.#putters, p);
          p.resolve();
          continue;
        }
        if (waitSeq !== -1) await this.#sleep(W.NF_SEQ, waitSeq, 'put', ROOM_WAIT_MS);
      }
    } catch (err) {
      // Not expected (the steps catch what they can throw): fail the waiting
      // calls rather than leave an unhandled rejection.
      const head = this.#putters[0];
      if (head?.msg.started && this.#holdsProducer) {
        try {
          this.ring.abandon(head.msg);
        } catch {
          // The next producer closes it (the message is marked open).
        }
      }
      this.#releaseProducerQuietly();
      for (const w of this.#putters.splice(0)) {
        this.#cleanup(w);
        w.reject(err);
      }
    } finally {
      this.#putPumping = false;
      this.#finishClose();
    }
  }

  /**
   * Puts every value, in order, taking the producer lock once for as many as
   * go in straight away; a value that needs to wait (or a slower encoding)
   * goes through put(). The timeout covers the whole call. On failure the
   * error's `count` says how many values are in the queue.
   */
  async putMany(values: readonly unknown[], options?: WaitOptions): Promise<void> {
    const { timeout, signal } = validateWaitOptions(options);
    this.#checkOpen();
    const deadline = performance.now() + timeout;
    let i = 0;
    try {
      while (i < values.length) {
        i = this.#putManyNow(values, i);
        if (i === values.length) break;
        const left = timeout === Infinity ? Infinity : Math.max(0, deadline - performance.now());
        await this.put(values[i], { timeout: left, signal });
        i++;
      }
    } catch (err) {
      if (err !== null && typeof err === 'object') (err as { count?: number }).count = i;
      throw err;
    }
  }

  // Puts values[from...] under one lock while each fits without waiting and
  // takes the fast encoding; returns the index of the first one not put.
  #putManyNow(values: readonly unknown[], from: number): number {
    if (this.#putters.length > 0 || this.#holdsProducer) return from;
    const ring = this.ring;
    if (ring.producerBusy()) return from;
    const lock = ring.producerLock;
    const l = lock.tryLock();
    if (l === 'busy') return from;
    let i = from;
    try {
      ring.lockedProducer(l);
      while (i < values.length && !ring.isFull() && ring.putDirect(values[i]) === 1) i++;
    } finally {
      lock.unlock();
    }
    return i;
  }

  /**
   * Waits like get() for one item, then returns it with up to `max - 1` more
   * that are there now, taking the consumer lock once.
   */
  async getMany(max: number, options?: WaitOptions): Promise<unknown[]> {
    const out = [await this.get(options)];
    while (out.length < max && this.#stash.length > 0 && this.#getters.length === 0) out.push(this.#stash.shift());
    if (out.length >= max || this.#closed || this.#getters.length > 0 || this.#holdsConsumer) return out;
    const ring = this.ring;
    if (ring.consumerBusy()) return out;
    const lock = ring.consumerLock;
    const l = lock.tryLock();
    if (l === 'busy') return out;
    let partial = false;
    try {
      ring.lockedConsumer(l);
      while (out.length < max) {
        const r = ring.take();
        if (r === EMPTY) break;
        if (r === PARTIAL) {
          partial = true;
          break;
        }
        out.push(r);
      }
    } catch (err) {
      // What was taken stays first in line for the next calls.
      this.#stash.unshift(...out);
      throw err;
    } finally {
      if (partial) {
        // The rest of that message arrives in the background for the next get.
        this.#holdsConsumer = true;
        void this.#getPump();
      } else {
        lock.unlock();
      }
    }
    return out;
  }

  putNowait(value: unknown): void {
    this.#checkOpen();
    const ring = this.ring;
    const lock = ring.producerLock;
    if (this.#holdsProducer || this.#putters.length > 0) throw new QueueFull();
    const l = lockBriefly(lock);
    if (l === 'timed-out') throw new QueueFull();
    ring.lockedProducer(l);
    let m: Outgoing | undefined;
    try {
      if (ring.isFull()) throw new QueueFull();
      const d = ring.putDirect(value);
      if (d === 1) return;
      m = ring.encode(value, d === DIRECT_NEEDS_V8);
      // Only start what can be finished now: a Nowait put is whole or absent.
      if (m.total > ring.capacity / 8 && !ring.fitsNow(m.total)) throw new QueueFull();
      if (!ring.putEncoded(m)) {
        if (m.started) ring.abandon(m);
        throw new QueueFull();
      }
    } catch (err) {
      if (m?.started) ring.abandon(m);
      throw err;
    } finally {
      lock.unlock();
    }
  }

  putSync(value: unknown, options?: { timeout?: number }): void {
    const { timeout } = validateWaitOptions(options);
    this.#checkOpen();
    if (this.#holdsProducer) throw wouldDeadlock('putSync', 'put');
    const ring = this.ring;
    const lock = ring.producerLock;
    const deadline = performance.now() + timeout;
    let m: Outgoing | null = null;
    for (;;) {
      const l = lock.lockSync({ timeout: Math.max(0, deadline - performance.now()) });
      if (l === 'timed-out') throw new QueueFull();
      ring.lockedProducer(l);
      let done = false;
      try {
        if (m === null && ring.isFull()) {
          // wait below
        } else if (m === null) {
          const d = ring.putDirect(value);
          if (d === 1) done = true;
          else {
            m = ring.encode(value, d === DIRECT_NEEDS_V8);
            done = ring.putEncoded(m);
            // It may wait: take a copy of borrowed bytes.
            if (!done) m = ring.own(m);
          }
        } else if (m.started || !ring.isFull()) {
          done = ring.putEncoded(m);
        }
        // Holding part of a message in the ring, the lock stays ours while we wait.
        while (!done && m !== null && m.started) {
          const seq = ring.armNotFull();
          const left = deadline - performance.now();
          if (left <= 0) {
            ring.abandon(m);
            throw new QueueFull();
          }
          if (seq !== -1) sleepSync(ring.words, W.NF_SEQ, seq, Math.min(left, ROOM_WAIT_MS));
          done = ring.putEncoded(m);
        }
      } catch (err) {
        if (m?.started) ring.abandon(m);
        lock.unlock();
        throw err;
      }
      lock.unlock();
      if (done) return;
      const seq = ring.armNotFull();
      const left = deadline - performance.now();
      if (left <= 0) throw new QueueFull();
      if (seq !== -1) sleepSync(ring.words, W.NF_SEQ, seq, Math.min(left, ROOM_WAIT_MS));
    }
  }

  // ---- get ---------------------------------------------------------------------

  get(options?: WaitOptions): Promise<unknown> {
    let timeout = Infinity;
    let signal: AbortSignal | undefined;
    try {
      if (options !== undefined) ({ timeout, signal } = validateWaitOptions(options));
      this.#checkOpen();
      if (signal?.aborted) throw abortError(signal);
      if (this.#getters.length === 0) {
        if (this.#stash.length > 0) return Promise.resolve(this.#stash.shift());
        if (!this.#holdsConsumer) {
          const r = this.#getNow();
          if (r !== EMPTY && r !== BUSY && r !== PARTIAL) return Promise.resolve(r);
          if (r === EMPTY && timeout === 0) throw new QueueEmpty();
        }
      }
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise((resolve, reject) => {
      const g: Getter = { resolve, reject, timer: undefined, signal, onAbort: undefined, failure: undefined, deadline: Infinity };
      const fail = (err: unknown): void => {
        // While a message is arriving for it, the call waits for the message.
        if (g === this.#getters[0] && this.ring.midMessage) {
          g.failure = err;
          return;
        }
        this.#remove(this.#getters, g);
        reject(err);
        if (this.#getters.length === 0) this.#getWait?.abort();
      };
      this.#arm(g, timeout, signal, () => new QueueEmpty(), fail);
      this.#getters.push(g);
      void this.#getPump();
    });
  }

  #getNow(): unknown {
    const ring = this.ring;
    const lock = ring.consumerLock;
    if (ring.consumerBusy()) return BUSY;
    const l = lock.tryLock();
    if (l === 'busy') return BUSY;
    ring.lockedConsumer(l);
    return this.#takeHolding();
  }

  // Takes with the consumer lock held; keeps the lock only for PARTIAL.
  #takeHolding(): unknown {
    this.#holdsConsumer = true;
    let r: unknown;
    try {
      r = this.#take();
    } catch (err) {
      this.#releaseConsumer();
      throw err;
    }
    // PARTIAL: the rest arrives in the background even if the caller stops waiting.
    if (r === PARTIAL) void this.#getPump();
    else this.#releaseConsumer();
    return r;
  }

  async #getPump(): Promise<void> {
    if (this.#getPumping) return;
    this.#getPumping = true;
    const ring = this.ring;
    try {
      while (!this.#closed && (this.#getters.length > 0 || this.#holdsConsumer)) {
        if (this.#getters.length > 0 && this.#stash.length > 0) {
          this.#deliver(this.#stash.shift());
          continue;
        }
        if (!this.#holdsConsumer) {
          if (!(await this.#acquire(ring.consumerLock, 'get'))) continue;
          // close() may have run (and given the lock back) since.
          if (!this.#holdsConsumer) continue;
          if (this.#getters.length === 0) {
            this.#releaseConsumer();
            continue;
          }
        }
        let r: unknown;
        try {
          r = this.#take();
        } catch (err) {
          this.#releaseConsumer();
          const g = this.#getters[0];
          if (g) {
            this.#settle(this.#getters, g);
            g.reject(err);
          }
          continue;
        }
        if (r === PARTIAL) {
          await this.#waitForChunks();
          continue;
        }
        this.#releaseConsumer();
        if (r !== EMPTY) {
          this.#deliver(r);
          continue;
        }
        // A call whose time ran out while a message was arriving, and the
        // message was withdrawn: it fails now.
        const head = this.#getters[0];
        if (head && head.failure !== undefined) {
          this.#settle(this.#getters, head);
          head.reject(head.failure);
          continue;
        }
        if (this.#getters.length === 0) continue;
        // Not past the first get's timeout: its timer cannot fire while this polls.
        if (this.#spinner.spin(this.#arrived, this.#getters[0]!.deadline)) continue;
        const seq = ring.armNotEmpty();
        if (seq !== -1) await this.#sleep(W.NE_SEQ, seq, 'get', Infinity);
      }
    } catch (err) {
      // Not expected (the steps catch what they can throw): fail the waiting
      // calls rather than leave an unhandled rejection.
      this.#releaseConsumerQuietly();
      for (const w of this.#getters.splice(0)) {
        this.#cleanup(w);
        w.reject(err);
      }
    } finally {
      this.#getPumping = false;
      this.#finishClose();
    }
  }

  // Holding part of a chunked message: wait for more, and now and then make
  // sure its producer is alive (a dead one's message is closed with ABORT).
  async #waitForChunks(): Promise<void> {
    const ring = this.ring;
    const seq = ring.armNotEmpty();
    if (seq === -1) return;
    const r = await this.#sleep(W.NE_SEQ, seq, 'get', PEER_CHECK_MS);
    if (r === 'timed-out' && !this.#closed && !ring.arrived()) this.#checkProducer();
  }

  // take(), and when it finds nothing that the counts say is there, makes sure
  // no dead producer holds it back (its commit is replayed), and looks again.
  #take(): unknown {
    const ring = this.ring;
    const r = ring.take();
    if (r !== EMPTY || !ring.countedButHidden() || ring.producerLock.heldByMe) return r;
    this.#checkProducer();
    return ring.take();
  }

  #checkProducer(): void {
    const ring = this.ring;
    const lock = ring.producerLock;
    const l = lock.tryLock();
    if (l === 'busy') return;
    try {
      ring.lockedProducer(l);
    } finally {
      lock.unlock();
    }
  }

  #deliver(v: unknown): void {
    const g = this.#getters[0];
    if (g === undefined) {
      this.#stash.push(v);
      return;
    }
    this.#settle(this.#getters, g);
    g.resolve(v);
  }

  getNowait(): unknown {
    this.#checkOpen();
    if (this.#stash.length > 0 && this.#getters.length === 0) return this.#stash.shift();
    if (this.#getters.length > 0) throw new QueueEmpty();
    // Holding the lock already (an earlier call began a message): go on with it.
    if (!this.#holdsConsumer) {
      const l = lockBriefly(this.ring.consumerLock);
      if (l === 'timed-out') throw new QueueEmpty();
      this.ring.lockedConsumer(l);
    }
    const r = this.#takeHolding();
    // PARTIAL: the rest of that message arrives in the background for the next get.
    if (r === EMPTY || r === PARTIAL) throw new QueueEmpty();
    return r;
  }

  getSync(options?: { timeout?: number }): unknown {
    const { timeout } = validateWaitOptions(options);
    this.#checkOpen();
    if (this.#stash.length > 0 && this.#getters.length === 0) return this.#stash.shift();
    // A pending get() is first in line for the message this process is taking.
    if (this.#holdsConsumer && this.#getters.length > 0) throw wouldDeadlock('getSync', 'get');
    const ring = this.ring;
    const lock = ring.consumerLock;
    const deadline = performance.now() + timeout;
    for (;;) {
      // Holding the lock already: an earlier call timed out mid-message, and
      // this one takes over the rest (the background pump finds it done).
      if (!this.#holdsConsumer) {
        const l = lock.lockSync({ timeout: Math.max(0, deadline - performance.now()) });
        if (l === 'timed-out') throw new QueueEmpty();
        this.#holdsConsumer = true;
        ring.lockedConsumer(l);
      }
      let r: unknown;
      try {
        r = this.#take();
        while (r === PARTIAL) {
          const left = deadline - performance.now();
          if (left <= 0) break;
          const seq = ring.armNotEmpty();
          if (seq !== -1) {
            const w = sleepSync(ring.words, W.NE_SEQ, seq, Math.min(left, PEER_CHECK_MS));
            if (w === 'timed-out' && !ring.arrived()) this.#checkProducer();
          }
          r = ring.take();
        }
      } catch (err) {
        this.#releaseConsumer();
        throw err;
      }
      if (r === PARTIAL) {
        // Out of time mid-message: the rest arrives in the background for the next get.
        void this.#getPump();
        throw new QueueEmpty();
      }
      this.#releaseConsumer();
      if (r !== EMPTY) return r;
      if (this.#spinner.spin(this.#arrived, deadline)) continue;
      const seq = ring.armNotEmpty();
      const left = deadline - performance.now();
      if (left <= 0) throw new QueueEmpty();
      if (seq !== -1) sleepSync(ring.words, W.NE_SEQ, seq, left);
    }
  }

  // ---- join (JoinableQueue) ----------------------------------------------------

  taskDone(): void {
    this.#checkOpen();
    if (!this.ring.taskDone()) {
      throw new OsipcError('taskDone() called more times than there were items put', 'ERR_OSIPC_TASK_DONE_TOO_MANY');
    }
  }

  join(options?: WaitOptions): Promise<void> {
    let timeout = Infinity;
    let signal: AbortSignal | undefined;
    try {
      if (options !== undefined) ({ timeout, signal } = validateWaitOptions(options));
      this.#checkOpen();
      if (signal?.aborted) throw abortError(signal);
      if (this.ring.unfinished() === 0) return Promise.resolve();
      if (timeout === 0) throw joinTimeout();
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<void>((resolve, reject) => {
      const j: Joiner = { resolve, reject, timer: undefined, signal, onAbort: undefined, failure: undefined, deadline: Infinity };
      this.#arm(j, timeout, signal, joinTimeout, (err) => {
        this.#remove(this.#joiners, j);
        reject(err);
        if (this.#joiners.length === 0) this.#joinWait?.abort();
      });
      this.#joiners.push(j);
      void this.#joinPump();
    });
  }

  async #joinPump(): Promise<void> {
    if (this.#joinPumping) return;
    this.#joinPumping = true;
    try {
      while (!this.#closed && this.#joiners.length > 0) {
        const seq = this.ring.armJoin();
        if (seq === -1) {
          for (const j of this.#joiners.splice(0)) {
            this.#cleanup(j);
            j.resolve();
          }
          break;
        }
        await this.#sleep(W.JOIN_SEQ, seq, 'join', Infinity);
      }
    } catch (err) {
      // Not expected: fail the waiting calls rather than leave an unhandled rejection.
      for (const w of this.#joiners.splice(0)) {
        this.#cleanup(w);
        w.reject(err);
      }
    } finally {
      this.#joinPumping = false;
      this.#finishClose();
    }
  }

  joinSync(options?: { timeout?: number }): void {
    const { timeout } = validateWaitOptions(options);
    this.#checkOpen();
    const deadline = performance.now() + timeout;
    for (;;) {
      const seq = this.ring.armJoin();
      if (seq === -1) return;
      const left = deadline - performance.now();
      if (left <= 0) throw joinTimeout();
      sleepSync(this.ring.words, W.JOIN_SEQ, seq, left);
    }
  }

  // ---- shared helpers ----------------------------------------------------------

  qsize(): number {
    this.#checkOpen();
    return this.ring.qsize();
  }

  // Installs the timeout and abort handlers of a waiting call.
  #arm(w: Waiter, timeout: number, signal: AbortSignal | undefined, onTimeout: () => unknown,
    fail: (err: unknown) => void): void {
    if (timeout !== Infinity) {
      w.deadline = performance.now() + timeout;
      w.timer = setTimeout(() => fail(onTimeout()), timeout);
    }
    if (signal) {
      w.onAbort = () => fail(abortError(signal));
      signal.addEventListener('abort', w.onAbort, { once: true });
    }
  }

  #cleanup(w: Waiter): void {
    if (w.timer) clearTimeout(w.timer);
    if (w.onAbort) w.signal!.removeEventListener('abort', w.onAbort);
  }

  #settle<T extends Waiter>(list: T[], w: T): void {
    this.#cleanup(w);
    this.#remove(list, w);
  }

  #remove<T extends Waiter>(list: T[], w: T): void {
    this.#cleanup(w);
    const i = list.indexOf(w);
    if (i !== -1) list.splice(i, 1);
  }

  // Takes a lock without blocking the event loop; false when the wait was
  // cancelled because nobody waits any more.
  async #acquire(lock: SharedMutex, side: 'get' | 'put'): Promise<boolean> {
    if (!lock.locked) {
      const r = lock.tryLock();
      if (r !== 'busy') {
        this.#afterAcquire(r, side);
        return true;
      }
    }
    const ac = new AbortController();
    if (side === 'get') this.#getWait = ac;
    else this.#putWait = ac;
    try {
      const r = await lock.lock({ signal: ac.signal });
      if (r === 'timed-out') return false;
      this.#afterAcquire(r, side);
      if (this.#closed) {
        // Given the lock just as this object closed: give it back.
        if (side === 'get') this.#releaseConsumer();
        else this.#releaseProducer();
        return false;
      }
      return true;
    } catch (err) {
      if (err instanceof AbortError || err instanceof ClosedError) return false;
      throw err;
    }
  }

  #afterAcquire(r: 'acquired' | 'owner-died' | 'reentered', side: 'get' | 'put'): void {
    if (side === 'get') {
      this.#holdsConsumer = true;
      this.ring.lockedConsumer(r);
    } else {
      this.#holdsProducer = true;
      this.ring.lockedProducer(r);
    }
  }

  #releaseConsumer(): void {
    if (!this.#holdsConsumer) return;
    this.#holdsConsumer = false;
    this.ring.consumerLock.unlock();
  }

  #releaseProducerQuietly(): void {
    try {
      this.#releaseProducer();
    } catch {
      // Closed or not ours any more: nothing to give back.
    }
  }

  #releaseConsumerQuietly(): void {
    try {
      this.#releaseConsumer();
    } catch {
      // As above.
    }
  }

  #releaseProducer(): void {
    if (!this.#holdsProducer) return;
    this.#holdsProducer = false;
    this.ring.producerLock.unlock();
  }

  // Sleeps on a header futex word until woken, `limit` ms pass, or the wait
  // is cancelled (nobody left waiting, or close).
  async #sleep(index: number, seq: number, side: 'get' | 'put' | 'join', limit: number): Promise<string> {
    const w = this.ring.words;
    const { promise, cancel } = futexUnchecked.waitAsync(w.buffer as ArrayBuffer, w.byteOffset + index * 4, seq, limit);
    const handle = { abort: cancel };
    if (side === 'get') this.#getWait = handle;
    else if (side === 'put') this.#putWait = handle;
    else this.#joinWait = handle;
    return promise;
  }

  /**
   * Pending calls reject with ClosedError at once; the memory is unmapped
   * once no pump of this object is between two steps (it may have just been
   * given a lock, which it must give back first).
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const err = new ClosedError(this.#what);
    for (const list of [this.#getters, this.#putters, this.#joiners] as Waiter[][]) {
      for (const w of list.splice(0)) {
        this.#cleanup(w);
        w.reject(err);
      }
    }
    this.#getWait?.abort();
    this.#putWait?.abort();
    this.#joinWait?.abort();
    const ring = this.ring;
    if (this.#holdsProducer) {
      // A message partly written is withdrawn (consumers drop it).
      try {
        ring.closeOpenMessage();
      } finally {
        this.#releaseProducer();
      }
    }
    if (this.#holdsConsumer) {
      // A message partly received is lost; the next consumer skips its rest.
      ring.dropPartial();
      this.#releaseConsumer();
    }
    this.#stash = [];
    this.#finishClose();
  }

  #finishClose(): void {
    if (!this.#closed || this.#getPumping || this.#putPumping || this.#joinPumping || this.ring.closed) return;
    this.ring.close();
  }
}

// Nowait forms wait this briefly for a lock that another process holds while
// it copies a message; a dead holder's lock is taken over.
function lockBriefly(lock: SharedMutex): LockResult {
  const r = lock.tryLock();
  if (r !== 'busy') return r;
  return lock.lockSync({ timeout: NOWAIT_LOCK_MS });
}

function joinTimeout(): TimeoutError {
  return new TimeoutError('join() timed out with tasks unfinished');
}

function wouldDeadlock(call: string, pending: string): OsipcError {
  return new OsipcError(`${call}() would block the thread that a pending ${pending}() of this queue ` +
    'needs to finish its message; use the Promise form', 'ERR_OSIPC_WOULD_DEADLOCK');
}
