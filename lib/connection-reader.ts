// Reads frames (lib/frames.ts) from a pipe or socket fd, without blocking.
// Reads big chunks and parses many frames per read when it is the only reader
// of the fd; reads exactly one frame's bytes ("exact") when other processes
// read the same fd too, so that no byte of another reader's frame is taken.
// A large frame is read straight into its own buffer, never through the
// chunk buffer. Received fds (SCM_RIGHTS) wait here until their frame is parsed.
import { EOFError, OsipcError } from './errors.js';
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
const EMPTY = Buffer.alloc(0);
/** takeBufferedValue found nothing it can take. */
export const NONE: unique symbol = Symbol('none');
const two: Buffer[] = [EMPTY, EMPTY];

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
  // #big is the caller's buffer (recvBytesInto), not ours.
  #bigIsTarget = false;
  #fds: number[] = [];
  #eof = false;
  #error: Error | null = null;
  #lastReadFull = true;
  // The last frame was large: read the next header alone, so that its payload
  // is read straight into its own buffer instead of through the chunk buffer.
  #largeFrames = false;

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

  /**
   * The value of the next whole frame already read, decoded by `decode` from
   * the chunk buffer in place (no view, no copy); `NONE` when there is none
   * or it needs more than that (fds, own buffer): use tryRead then.
   */
  takeBufferedValue(decode: (buf: Buffer, start: number, end: number) => unknown): unknown {
    if (this.#error !== null || this.#big !== null) return NONE;
    const buf = this.#buf;
    const at = this.#start;
    if (buf === null || this.#end - at < SHORT_HEADER) return NONE;
    const n = buf.readInt32BE(at);
    if (n < 0 || n > this.#limit || this.#end - at - SHORT_HEADER < n) return NONE;
    const from = at + SHORT_HEADER;
    this.#start = from + n;
    if (this.#start === this.#end) this.#start = this.#end = 0;
    this.#largeFrames = false;
    return decode(buf, from, from + n);
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
  tryRead(exact: boolean, maxLength = Infinity, target: Buffer | null = null): Frame | null {
    if (this.#error !== null) throw this.#error;
    try {
      return this.#tryRead(exact, target === null ? maxLength : Math.min(maxLength, target.length), target);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'ERR_OSIPC_BAD_MESSAGE' || (code === 'ERR_OSIPC_MESSAGE_TOO_LARGE' && !softErrors.has(err as Error))) {
        this.#fail(err as Error);
      }
      throw err;
    }
  }

  #tryRead(exact: boolean, maxLength: number, target: Buffer | null): Frame | null {
    for (;;) {
      if (this.#big !== null) {
        const h = this.#bigHeader!;
        if (h.length > maxLength) throw softTooLarge(h.length, maxLength, target !== null);
        if (this.#bigFilled === h.length) return this.#finishBig();
        const rest = h.length - this.#bigFilled;
        // Alone on the fd, the next frame's header comes in the same read.
        const n = exact
          ? this.#readInto(this.#big, this.#bigFilled, rest)
          : this.#readIntoTwo(this.#big.subarray(this.#bigFilled, h.length));
        if (n === null) return null;
        if (n === 0) throw new EOFError('end of file in the middle of a message');
        if (n > rest) {
          this.#bigFilled = h.length;
          this.#end = n - rest; // read ahead into the (empty) chunk buffer
        } else {
          this.#bigFilled += n;
        }
        continue;
      }
      const avail = this.#end - this.#start;
      let h: FrameHeader | null = null;
      if (avail > 0) h = parseHeader(this.#buf!, this.#start, avail);
      if (h !== null) {
        if (h.length > this.#limit) throw tooLarge(h.length, this.#limit);
        if (h.length > maxLength) throw softTooLarge(h.length, maxLength, target !== null);
        const total = h.headerSize + h.length;
        if (avail >= total) return this.#takeFromChunk(h, target);
        if (total > OWN_BUFFER_AT || (target !== null && h.length > 0)) {
          this.#startBig(h, avail, target);
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
      if (exact || (this.#largeFrames && h === null)) {
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
      parts.push(this.#bigHeaderBytes!, Buffer.from(this.#big.subarray(0, this.#bigFilled)));
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
      this.#takeReceivedFds();
    } else {
      n = pipeIo.read(this.#fd, buf, at, len);
    }
    this.#lastReadFull = n === len;
    return n === pipeIo.EAGAIN ? null : n;
  }

  // Reads into `first`, then at most a long header into the chunk buffer.
  #readIntoTwo(first: Buffer): number | null {
    this.#buf ??= Buffer.allocUnsafeSlow(CHUNK);
    this.#start = this.#end = 0;
    two[0] = first;
    two[1] = this.#buf;
    const max = first.length + LONG_HEADER;
    let n: number;
    if (this.#socket) {
      n = pipeIo.recvFdsv(this.#fd, two, 0, 0, max, fdsOut);
      this.#takeReceivedFds();
    } else {
      n = pipeIo.readv(this.#fd, two, 0, 0, max);
    }
    two[0] = two[1] = EMPTY;
    this.#lastReadFull = n === max;
    return n === pipeIo.EAGAIN ? null : n;
  }

  #takeReceivedFds(): void {
    const count = fdsOut[0]!;
    for (let i = 0; i < count; i++) this.#fds.push(fdsOut[2 + i]!);
    if (fdsOut[1] !== 0) throw badMessage('file descriptors were lost (more than 253 in one message)');
    if (this.#fds.length > MAX_PENDING_FDS) throw badMessage('file descriptors arrived that no message announces');
  }

  #takeFromChunk(h: FrameHeader, target: Buffer | null): Frame {
    this.#largeFrames = false;
    const from = this.#start + h.headerSize;
    let payload = this.#buf!.subarray(from, from + h.length);
    if (target !== null) payload = target.subarray(0, payload.copy(target, 0));
    this.#start = from + h.length;
    if (this.#start === this.#end) this.#start = this.#end = 0;
    return { payload, owned: target !== null, handles: h.handles, fds: this.#claimFds(h) };
  }

  /**
   * A recvBytesInto call ends (timeout, abort) in the middle of a frame being
   * read into the caller's buffer: the reader takes its own copy, so the
   * caller may reuse the buffer.
   */
  releaseTarget(): void {
    if (this.#big === null || !this.#bigIsTarget) return;
    const own = Buffer.allocUnsafe(this.#big.length);
    this.#big.copy(own, 0, 0, this.#bigFilled);
    this.#big = own;
    this.#bigIsTarget = false;
  }

  #startBig(h: FrameHeader, avail: number, target: Buffer | null): void {
    const have = avail - h.headerSize; // payload bytes already in the chunk buffer
    this.#bigIsTarget = target !== null;
    this.#big = target !== null ? target.subarray(0, h.length) : Buffer.allocUnsafe(h.length);
    this.#bigHeaderBytes = Buffer.from(this.#buf!.subarray(this.#start, this.#start + h.headerSize));
    if (have > 0) this.#buf!.copy(this.#big, 0, this.#start + h.headerSize, this.#end);
    this.#bigFilled = Math.max(have, 0);
    this.#bigHeader = h;
    this.#start = this.#end = 0;
  }

  #finishBig(): Frame {
    const h = this.#bigHeader!;
    this.#largeFrames = true;
    const payload = this.#big!;
    this.#big = null;
    this.#bigIsTarget = false;
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
function softTooLarge(length: number, maxLength: number, into: boolean): Error {
  const err = into
    ? new OsipcError(`the message (${length} bytes) does not fit in the buffer`, 'ERR_OSIPC_BUFFER_TOO_SHORT')
    : tooLarge(length, maxLength, 'maxLength');
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
