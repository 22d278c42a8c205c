// What lets several processes use one Connection end safely (e.g. consumers
// that all recv from the same end, as in Python's examples with a Lock).
//
// Created the first time the Connection is sent to another process:
// - a holder count: a pipe holding one byte per process that holds the end
//   (FIONREAD reads the count). While this process is the only holder, reads
//   and writes take no lock and read ahead; once shared, each side locks.
// - a read token and a write token: pipes holding one byte while the token is
//   free (the make jobserver's trick). A reader takes the read token to read
//   exactly one frame, a writer takes the write token to write whole frames.
//   Tokens can be waited for on the event loop like any fd.
// A holder that dies without closing leaves its count byte behind: the others
// then keep locking, which is slower but still correct. A holder killed in the
// middle of reading or writing one frame takes the token with it.
import { closeQuietly } from './connection-reader.js';
import { pipeIo, READABLE, watchFd, type FdWatch } from './os/pipe.js';
import type { WriteLock } from './connection-writer.js';

const byte = new Uint8Array([0x2a]);
const sink = new Uint8Array(1);

export class Token implements WriteLock {
  readonly r: number;
  readonly w: number;
  #watch: FdWatch | null = null;
  readonly #sharing: Sharing;

  constructor(sharing: Sharing, r: number, w: number) {
    this.#sharing = sharing;
    this.r = r;
    this.w = w;
  }

  isExclusive(): boolean {
    return this.#sharing.isExclusive();
  }

  tryAcquire(): boolean {
    return pipeIo.read(this.r, sink, 0, 1) === 1;
  }

  release(): void {
    pipeIo.write(this.w, byte, 0, 1);
  }

  /** Resolves when the token may be free (READABLE), 0 on timeout. */
  wait(timeout: number, signal?: AbortSignal): Promise<number> {
    this.#watch ??= watchFd(this.r);
    return this.#watch.wait(READABLE, timeout, signal);
  }

  cancel(err: Error): void {
    this.#watch?.cancel(READABLE, err);
  }

  waitSync(timeout: number): number {
    return pipeIo.pollFd(this.r, READABLE, timeout);
  }

  close(): void {
    this.#watch?.release();
    this.#watch = null;
    closeQuietly(this.r);
    closeQuietly(this.w);
  }
}

export interface SharingLayout {
  read: boolean;
  write: boolean;
}

export class Sharing {
  readonly #count: [number, number];
  readonly read: Token | null;
  readonly write: Token | null;
  #exclusive = false;
  #registered = true;

  private constructor(fds: number[], layout: SharingLayout) {
    let i = 0;
    this.#count = [fds[i++]!, fds[i++]!];
    this.read = layout.read ? new Token(this, fds[i++]!, fds[i++]!) : null;
    this.write = layout.write ? new Token(this, fds[i++]!, fds[i++]!) : null;
    live.add(this);
  }

  /**
   * New count and tokens for an end held by this process alone so far. A token
   * given as held starts taken (its holder releases it after its frame).
   */
  static create(layout: SharingLayout, held: { read: boolean; write: boolean }): Sharing {
    const fds: number[] = [];
    try {
      fds.push(...pipeIo.pipe(true));
      if (layout.read) fds.push(...pipeIo.pipe(true));
      if (layout.write) fds.push(...pipeIo.pipe(true));
    } catch (err) {
      for (const fd of fds) closeQuietly(fd);
      throw err;
    }
    const s = new Sharing(fds, layout);
    pipeIo.write(s.#count[1], byte, 0, 1); // this process
    if (s.read && !held.read) s.read.release();
    if (s.write && !held.write) s.write.release();
    return s;
  }

  /** Rebuilds from the fds a transfer carried (see fds()). */
  static adopt(fds: number[], layout: SharingLayout): Sharing {
    for (const fd of fds) pipeIo.setNonBlocking(fd, true);
    return new Sharing(fds, layout);
  }

  /** The fds to send with a transfer, in adopt() order. */
  fds(): number[] {
    const out = [...this.#count];
    if (this.read) out.push(this.read.r, this.read.w);
    if (this.write) out.push(this.write.r, this.write.w);
    return out;
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
