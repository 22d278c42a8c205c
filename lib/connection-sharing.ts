// What lets several processes use one Connection end safely (e.g. consumers
// that all recv from the same end, as in Python's examples with a Lock).
//
// Created the first time the Connection is sent to another process:
// - a holder count: a pipe holding one byte per process that holds the end
//   (FIONREAD reads the count). While this process is the only holder, reads
//   and writes take no lock and read ahead; once shared, each side locks.
// - a read token and a write token: robust mutexes (lib/sync/mutex.ts, owner
//   pid + start time) in a small nameless segment (a memfd that travels with
//   the end). A reader holds the read token to read exactly one frame, a
//   writer holds the write token to write whole frames.
// A holder that dies without closing leaves its count byte behind: the others
// then keep locking, which is slower but still correct. A holder killed while
// it holds a token is found dead by the next one that waits (within about
// OWNER_CHECK_MS). If it died in the middle of a frame the byte stream no longer
// starts at a frame boundary: that side of the end is marked broken for every
// holder (ERR_OSIPC_CONNECTION_BROKEN), rather than reading garbage or waiting
// for bytes that will never come. "In the middle" is counted from the moment
// the token is taken, so a holder killed between taking it and its first byte
// breaks the end too: an error, never a wrong message.
import { closeQuietly } from './connection-reader.js';
import { AbortError, OsipcError } from './errors.js';
import { createAnonymousMemory, mapAnonymousMemory, unmapAnonymousMemory } from './os/anonymous-memory.js';
import { pipeIo } from './os/pipe.js';
import { MUTEX_BYTES, SharedMutex, type LockResult } from './sync/mutex.js';
import type { WriteLock } from './connection-writer.js';

const byte = new Uint8Array([0x2a]);
const sink = new Uint8Array(1);

// The segment: per token, a mutex (16 bytes) and two words.
const TOKEN_BYTES = 32;
const IN_FRAME = MUTEX_BYTES / 4; // 1 while a holder is (or may be) inside a frame
const BROKEN = IN_FRAME + 1; // 1 once a holder died inside a frame: for good
const SEGMENT_BYTES = 2 * TOKEN_BYTES;
// Why a pending wait was ended early.
const TAKEN = Symbol('taken by this process');
const CANCELLED = Symbol('cancelled');

/** A holder of this end died in the middle of a message: the stream is misaligned. */
export function connectionBroken(side: 'read' | 'write'): OsipcError {
  return new OsipcError(`connection broken: a process sharing this end died in the middle of ${side === 'read'
    ? 'reading' : 'writing'} a message`, 'ERR_OSIPC_CONNECTION_BROKEN');
}

export class Token implements WriteLock {
  readonly #mutex: SharedMutex;
  readonly #w: Int32Array;
  readonly #side: 'read' | 'write';
  readonly #sharing: Sharing;
  #cancelReason: Error | null = null;
  // Pending waits, ended early by cancel() or when this process takes the
  // token (they would otherwise wait for their own process, for ever).
  readonly #waits = new Set<AbortController>();

  constructor(sharing: Sharing, buffer: ArrayBuffer, byteOffset: number, side: 'read' | 'write') {
    this.#sharing = sharing;
    this.#side = side;
    this.#mutex = new SharedMutex(buffer, byteOffset, `Connection ${side} token`);
    this.#w = new Int32Array(buffer, byteOffset, TOKEN_BYTES / 4);
  }

  /** True when this process alone holds the end; throws ERR_OSIPC_CONNECTION_BROKEN for a broken side. */
  isExclusive(): boolean {
    if (!this.#sharing.isExclusive()) return false;
    // Alone now, this process would read or write without the token: a holder
    // that closed mid-frame before going must still break it.
    if (Atomics.load(this.#w, BROKEN) !== 0) throw connectionBroken(this.#side);
    return true;
  }

  /** Takes the token if free (or from a dead holder); throws ERR_OSIPC_CONNECTION_BROKEN. */
  tryAcquire(): boolean {
    const r = this.#mutex.tryLock();
    if (r === 'busy') return false;
    this.#entered(r);
    this.#endWaits(TAKEN);
    return true;
  }

  /** Lets the token go; `midFrame`: this holder leaves a frame half done (the end breaks). */
  release(midFrame = false): void {
    if (midFrame) Atomics.store(this.#w, BROKEN, 1);
    Atomics.store(this.#w, IN_FRAME, 0);
    this.#mutex.unlock();
  }

  /**
   * Takes over a token held by `pid`, the process this end came from in the
   * middle of a frame (the rest of the frame is ours).
   */
  adoptFrom(pid: number): void {
    if (!this.#mutex.takeFrom(pid)) throw connectionBroken(this.#side); // taken over: the sender died
    this.#endWaits(TAKEN);
  }

  /**
   * Resolves 1 when the token may be free (it was free a moment ago) or this
   * process took it meanwhile (the caller goes on as its holder), 0 on timeout.
   */
  async wait(timeout: number, signal?: AbortSignal): Promise<number> {
    if (this.#cancelReason !== null) throw this.#cancelReason;
    const ac = new AbortController();
    const onAbort = (): void => ac.abort(signal!.reason);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    this.#waits.add(ac);
    let r: LockResult;
    try {
      r = await this.#mutex.lock({ timeout, signal: ac.signal });
    } catch (err) {
      if (err instanceof AbortError && ac.signal.reason === TAKEN) return 1; // the caller goes on as holder
      if (err instanceof AbortError && ac.signal.reason === CANCELLED) throw this.#cancelReason!;
      throw err;
    } finally {
      this.#waits.delete(ac);
      signal?.removeEventListener('abort', onAbort);
    }
    return this.#passThrough(r);
  }

  waitSync(timeout: number): number {
    return this.#passThrough(this.#mutex.lockSync({ timeout }));
  }

  /** Ends pending waits with `err` (the end is closing). */
  cancel(err: Error): void {
    this.#cancelReason = err;
    this.#endWaits(CANCELLED);
  }

  close(): void {
    this.#mutex.close();
  }

  #endWaits(why: symbol): void {
    for (const ac of this.#waits) ac.abort(why);
  }

  // A wait takes the token only to learn it is free (and to find a dead
  // holder); it gives it back at once, the caller's tryAcquire takes it.
  #passThrough(r: LockResult): number {
    if (r === 'timed-out') return 0;
    this.#entered(r);
    Atomics.store(this.#w, IN_FRAME, 0);
    this.#mutex.unlock();
    return 1;
  }

  #entered(r: LockResult): boolean {
    const w = this.#w;
    if (r === 'owner-died' && Atomics.load(w, IN_FRAME) !== 0) Atomics.store(w, BROKEN, 1);
    if (Atomics.load(w, BROKEN) !== 0) {
      this.#mutex.unlock(); // the others learn it too
      throw connectionBroken(this.#side);
    }
    Atomics.store(w, IN_FRAME, 1);
    return true;
  }
}

export interface SharingLayout {
  read: boolean;
  write: boolean;
}

export class Sharing {
  readonly #count: [number, number];
  readonly #memoryFd: number;
  #memory: ArrayBuffer | null;
  readonly read: Token | null;
  readonly write: Token | null;
  #exclusive = false;
  #registered = true;

  private constructor(fds: number[], layout: SharingLayout) {
    this.#count = [fds[0]!, fds[1]!];
    this.#memoryFd = fds[2]!;
    const memory = this.#memory = mapAnonymousMemory(this.#memoryFd);
    this.read = layout.read ? new Token(this, memory, 0, 'read') : null;
    this.write = layout.write ? new Token(this, memory, TOKEN_BYTES, 'write') : null;
    live.add(this);
  }

  /**
   * New count and tokens for an end held by this process alone so far. A token
   * given as held starts taken (its holder releases it after its frame).
   */
  static create(layout: SharingLayout, held: { read: boolean; write: boolean }): Sharing {
    const fds: number[] = [];
    let s: Sharing;
    try {
      fds.push(...pipeIo.pipe(true));
      fds.push(createAnonymousMemory(SEGMENT_BYTES));
      s = new Sharing(fds, layout);
    } catch (err) {
      for (const fd of fds) closeQuietly(fd);
      throw err;
    }
    pipeIo.write(s.#count[1], byte, 0, 1); // this process
    if (s.read && held.read) s.read.tryAcquire();
    if (s.write && held.write) s.write.tryAcquire();
    return s;
  }

  /** Rebuilds from the fds a transfer carried (see fds()). */
  static adopt(fds: number[], layout: SharingLayout): Sharing {
    pipeIo.setNonBlocking(fds[0]!, true);
    pipeIo.setNonBlocking(fds[1]!, true);
    return new Sharing(fds, layout);
  }

  /** How many fds fds() gives (and adopt() takes). */
  static get fdCount(): number {
    return 3;
  }

  /** The fds to send with a transfer, in adopt() order. */
  fds(): number[] {
    return [...this.#count, this.#memoryFd];
  }

  /** Counts one more holder (the process a transfer goes to). */
  addHolder(): void {
    pipeIo.write(this.#count[1], byte, 0, 1);
    this.#exclusive = false;
  }

  /**
   * True when this process is the only holder. Once true it stays true until
   * this process sends the end elsewhere: only a holder can make new holders.
   */
  isExclusive(): boolean {
    if (this.#exclusive) return true;
    if (pipeIo.bytesReadable(this.#count[0]) <= 1) this.#exclusive = true;
    return this.#exclusive;
  }

  /** This process lets go of the end: uncounts it and closes the fds. */
  close(): void {
    if (this.#registered) {
      this.#registered = false;
      pipeIo.read(this.#count[0], sink, 0, 1);
    }
    live.delete(this);
    this.read?.close();
    this.write?.close();
    if (this.#memory !== null) unmapAnonymousMemory(this.#memory);
    this.#memory = null;
    closeQuietly(this.#memoryFd);
    closeQuietly(this.#count[0]);
    closeQuietly(this.#count[1]);
  }

  /** At exit: uncount without closing (the fds go with the process). */
  unregister(): void {
    if (!this.#registered) return;
    this.#registered = false;
    try {
      pipeIo.read(this.#count[0], sink, 0, 1);
    } catch {
      /* fd gone */
    }
  }
}

const live = new Set<Sharing>();
process.on('exit', () => {
  for (const s of live) s.unregister();
});
