// Reads frames (lib/frames.ts) from a pipe or socket fd, without blocking.
// Reads big chunks and parses many frames per read when it is the only reader
// of the fd; reads exactly one frame's bytes ("exact") when other processes
// read the same fd too, so that no byte of another reader's frame is taken.
// A large frame is read straight into its own buffer, never through the
// chunk buffer. Received fds (SCM_RIGHTS) wait here until their frame is parsed.
import { EOFError } from './errors.js';
import { badMessage, LONG_HEADER, parseHeader, SHORT_HEADER, tooLarge, type FrameHeader } from './frames.js';
import { MAX_FDS_PER_MESSAGE, pipeIo } from './os/pipe.js';

const CHUNK = 64 * 1024;
// Frames whose bytes do not fit in half the chunk buffer get their own buffer.
const OWN_BUFFER_AT = CHUNK / 2;
// More unclaimed fds than this means the peer sends fds no frame announces.
const MAX_PENDING_FDS = 4 * MAX_FDS_PER_MESSAGE;

export interface Frame {
  payload: Buffer;
  /** False: payload is a view of the chunk buffer, valid until the next read. */
  owned: boolean;
  /** Sent by send() with handles (header -2). */
  handles: boolean;
  /** This process's fds that came with the frame; the caller owns them now. */
  fds: number[];
}

const fdsOut = new Int32Array(2 + MAX_FDS_PER_MESSAGE);

export class FrameReader {
  readonly #fd: number;
  readonly #socket: boolean;
  readonly #limit: number;
  #buf: Buffer | null = null;
  #start = 0;
  #end = 0;
  // A frame being read into its own buffer.
  #big: Buffer | null = null;
  #bigFilled = 0;
  #bigHeader: FrameHeader | null = null;
  #bigHeaderBytes: Buffer | null = null;
  #fds: number[] = [];
  #eof = false;
  #error: Error | null = null;
  #lastReadFull = true;

  constructor(fd: number, socket: boolean, limit: number, initial?: { bytes: Buffer; fds: number[] }) {
    this.#fd = fd;
    this.#socket = socket;
    this.#limit = limit;
    if (initial && (initial.bytes.length > 0 || initial.fds.length > 0)) {
      this.#buf = Buffer.allocUnsafeSlow(Math.max(CHUNK, initial.bytes.length));
      initial.bytes.copy(this.#buf, 0);
      this.#end = initial.bytes.length;
      this.#fds = initial.fds.slice();
    }
  }

  /** True when no partial frame is held (the fd's stream is at a frame boundary). */
  get atBoundary(): boolean {
    return this.#big === null && this.#onlyCompleteFrames();
  }

  /** True when a whole frame can be returned without reading. */
  get frameReady(): boolean {
    if (this.#big !== null) return this.#bigFilled === this.#bigHeader!.length;
    return this.#completeFrameBuffered() === true;
  }

  /** Bytes or fds held here (taken out of the kernel already). */
  get holding(): boolean {
    return this.#big !== null || this.#end > this.#start || this.#fds.length > 0;
  }

  get eof(): boolean {
    return this.#eof;
  }

  /** The last read filled all the room it had: more bytes are probably waiting. */
  get lastReadFull(): boolean {
    return this.#lastReadFull;
  }

  /**
   * The next whole frame, or null when the fd has no more bytes for now.
   * `exact`: read no byte past the frame being assembled. A frame longer than
   * `maxLength` throws ERR_OSIPC_MESSAGE_TOO_LARGE and stays unread. Throws
   * EOFError at end of file and ERR_OSIPC_BAD_MESSAGE (for good) when the
   * peer breaks the format.
   */
  tryRead(exact: boolean, maxLength = Infinity): Frame | null {
    if (this.#error !== null) throw this.#error;
    try {
      return this.#tryRead(exact, maxLength);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'ERR_OSIPC_BAD_MESSAGE' || (code === 'ERR_OSIPC_MESSAGE_TOO_LARGE' && !softErrors.has(err as Error))) {
        this.#fail(err as Error);
      }
      throw err;
    }
  }

  #tryRead(exact: boolean, maxLength: number): Frame | null {
    for (;;) {
      if (this.#big !== null) {
        const h = this.#bigHeader!;
        if (h.length > maxLength) throw softTooLarge(h.length, maxLength);
        if (this.#bigFilled === h.length) return this.#finishBig();
        const n = this.#readInto(this.#big, this.#bigFilled, h.length - this.#bigFilled);
        if (n === null) return null;
        if (n === 0) throw new EOFError('end of file in the middle of a message');
        this.#bigFilled += n;
        continue;
      }
      const avail = this.#end - this.#start;
      let h: FrameHeader | null = null;
      if (avail > 0) h = parseHeader(this.#buf!, this.#start, avail);
      if (h !== null) {
        if (h.length > this.#limit) throw tooLarge(h.length, this.#limit);
        if (h.length > maxLength) throw softTooLarge(h.length, maxLength);
        const total = h.headerSize + h.length;
        if (avail >= total) return this.#takeFromChunk(h);
        if (total > OWN_BUFFER_AT) {
          this.#startBig(h, avail);
          continue;
        }
      }
      if (this.#eof) {
        if (avail > 0) throw new EOFError('end of file in the middle of a message');
        throw new EOFError();
      }
      // Read more into the chunk buffer.
      if (this.#buf === null) this.#buf = Buffer.allocUnsafeSlow(CHUNK);
      if (this.#start === this.#end) {
        this.#start = this.#end = 0;
      } else if (this.#buf.length - this.#end < (h ? h.headerSize + h.length - avail : LONG_HEADER)) {
        this.#buf.copyWithin(0, this.#start, this.#end);
        this.#end -= this.#start;
        this.#start = 0;
      }
      let want = this.#buf.length - this.#end;
      if (exact) {
        if (h !== null) want = h.headerSize + h.length - avail;
        else if (avail >= SHORT_HEADER) want = LONG_HEADER - avail; // a -1/-2 header
        else want = SHORT_HEADER - avail;
      }
      const n = this.#readInto(this.#buf, this.#end, want);
      if (n === null) return null;
      if (n === 0) this.#eof = true;
      else this.#end += n;
    }
  }

  /** Takes what has been read but not returned (for a transfer); leaves this reader empty. */
  takeHeld(): { bytes: Buffer; fds: number[]; partial: boolean } {
    const parts: Buffer[] = [];
    let partial = false;
    if (this.#end > this.#start) {
      parts.push(Buffer.from(this.#buf!.subarray(this.#start, this.#end)));
      partial = !this.#onlyCompleteFrames();
    }
    if (this.#big !== null) {
      parts.push(this.#bigHeaderBytes!, this.#big.subarray(0, this.#bigFilled));
      partial = this.#bigFilled < this.#bigHeader!.length;
    }
    const fds = this.#fds;
    this.#fds = [];
    this.#start = this.#end = 0;
    this.#big = null;
    this.#bigHeader = null;
    this.#bigHeaderBytes = null;
    return { bytes: Buffer.concat(parts), fds, partial };
  }

  /** Closes received fds that no frame has claimed. */
  close(): void {
    for (const fd of this.#fds) closeQuietly(fd);
    this.#fds = [];
    this.#buf = null;
    this.#big = null;
  }

  // ---- internals ----

  #readInto(buf: Buffer, at: number, len: number): number | null {
    let n: number;
    if (this.#socket) {
      n = pipeIo.recvFds(this.#fd, buf, at, len, fdsOut);
      const count = fdsOut[0]!;
      for (let i = 0; i < count; i++) this.#fds.push(fdsOut[2 + i]!);
      if (fdsOut[1] !== 0) throw badMessage('file descriptors were lost (more than 253 in one message)');
      if (this.#fds.length > MAX_PENDING_FDS) throw badMessage('file descriptors arrived that no message announces');
    } else {
      n = pipeIo.read(this.#fd, buf, at, len);
    }
    this.#lastReadFull = n === len;
    return n === pipeIo.EAGAIN ? null : n;
  }

  #takeFromChunk(h: FrameHeader): Frame {
    const from = this.#start + h.headerSize;
    const payload = this.#buf!.subarray(from, from + h.length);
    this.#start = from + h.length;
    if (this.#start === this.#end) this.#start = this.#end = 0;
    return { payload, owned: false, handles: h.handles, fds: this.#claimFds(h) };
  }

  #startBig(h: FrameHeader, avail: number): void {
    const have = avail - h.headerSize; // payload bytes already in the chunk buffer
    this.#big = Buffer.allocUnsafe(h.length);
    this.#bigHeaderBytes = Buffer.from(this.#buf!.subarray(this.#start, this.#start + h.headerSize));
    if (have > 0) this.#buf!.copy(this.#big, 0, this.#start + h.headerSize, this.#end);
    this.#bigFilled = Math.max(have, 0);
    this.#bigHeader = h;
    this.#start = this.#end = 0;
  }

  #finishBig(): Frame {
    const h = this.#bigHeader!;
    const payload = this.#big!;
    this.#big = null;
    this.#bigHeader = null;
    this.#bigHeaderBytes = null;
    return { payload, owned: true, handles: h.handles, fds: this.#claimFds(h) };
  }

  #claimFds(h: FrameHeader): number[] {
    if (!h.handles || h.nfds === 0) return [];
    if (this.#fds.length < h.nfds) {
      throw badMessage(`a message announces ${h.nfds} file descriptors but ${this.#fds.length} arrived`);
    }
    return this.#fds.splice(0, h.nfds);
  }

  // true: a whole frame is at the front; false: a partial one; null: none.
  #completeFrameBuffered(): boolean | null {
    const avail = this.#end - this.#start;
    if (avail === 0) return null;
    let h: FrameHeader | null;
    try {
      h = parseHeader(this.#buf!, this.#start, avail);
    } catch {
      return true; // a bad header: tryRead reports it at once
    }
    return h !== null && avail >= h.headerSize + h.length;
  }

  #onlyCompleteFrames(): boolean {
    let at = this.#start;
    while (at < this.#end) {
      let h: FrameHeader | null;
      try {
        h = parseHeader(this.#buf!, at, this.#end - at);
      } catch {
        return true;
      }
      if (h === null || this.#end - at < h.headerSize + h.length) return false;
      at += h.headerSize + h.length;
    }
    return true;
  }

  #fail(err: Error): void {
    this.#error = err;
    for (const fd of this.#fds) closeQuietly(fd);
    this.#fds = [];
    this.#buf = null;
    this.#big = null;
    this.#start = this.#end = 0;
  }
}

// A maxLength refusal leaves the frame unread: the connection stays usable.
const softErrors = new WeakSet<Error>();
function softTooLarge(length: number, maxLength: number): Error {
  const err = tooLarge(length, maxLength, 'maxLength');
  softErrors.add(err);
  return err;
}

export function closeQuietly(fd: number): void {
  try {
    pipeIo.close(fd);
  } catch {
    /* already gone */
  }
}
