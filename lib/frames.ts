// The frame format on a Connection (docs/interop/pipes.md). Plain frames are
// Python multiprocessing.connection's own, so a Python peer can exchange
// bytes (send_bytes/recv_bytes) with sendBytes/recvBytes:
//
//   int32 BE n (0 <= n <= 0x7fffffff)          then n payload bytes
//   int32 BE -1, uint64 BE n                   then n payload bytes (large)
//   int32 BE -2, uint32 BE nfds, uint32 BE n   then n payload bytes: an osipc
//       value carrying handles; its nfds file descriptors travel as SCM_RIGHTS
//       attached to the frame's first byte
//
// Payloads of send()/recv() are V8 serialization bytes (v8.serialize).
import { OsipcError } from './errors.js';

export const SHORT_HEADER = 4;
export const LONG_HEADER = 12;
export const LARGE_MARK = -1;
export const HANDLES_MARK = -2;
/** The largest message a Connection accepts (and the default limit's ceiling). */
export const MAX_MESSAGE_SIZE_LIMIT = 0x7fffffff;
export const DEFAULT_MAX_MESSAGE_SIZE = 64 * 1024 * 1024;

/** Writes a header at `at`; returns its size. */
export function writeHeader(buf: Buffer, at: number, length: number, handles: boolean, nfds: number): number {
  if (!handles) {
    buf.writeInt32BE(length, at);
    return SHORT_HEADER;
  }
  buf.writeInt32BE(HANDLES_MARK, at);
  buf.writeUInt32BE(nfds, at + 4);
  buf.writeUInt32BE(length, at + 8);
  return LONG_HEADER;
}

export interface FrameHeader {
  headerSize: number;
  length: number;
  handles: boolean;
  nfds: number;
}

/** A peer broke the frame format; the stream cannot be resynchronized. */
export function badMessage(reason: string): OsipcError {
  return new OsipcError(`bad message from the peer: ${reason}`, 'ERR_OSIPC_BAD_MESSAGE');
}

export function tooLarge(length: number, limit: number, what = 'maxMessageSize'): OsipcError {
  return new OsipcError(
    `the peer announced a message of ${length} bytes, over the ${what} of ${limit}`,
    'ERR_OSIPC_MESSAGE_TOO_LARGE');
}

/**
 * Parses the header at `at` when `avail` bytes are there. Returns null when
 * more bytes are needed; throws badMessage on a malformed header.
 */
export function parseHeader(buf: Buffer, at: number, avail: number): FrameHeader | null {
  if (avail < SHORT_HEADER) return null;
  const n = buf.readInt32BE(at);
  if (n >= 0) return { headerSize: SHORT_HEADER, length: n, handles: false, nfds: 0 };
  if (avail < LONG_HEADER) return null;
  if (n === LARGE_MARK) {
    const hi = buf.readUInt32BE(at + 4);
    const lo = buf.readUInt32BE(at + 8);
    // Lengths past 2^53 cannot be exact numbers; they are over any limit anyway.
    return { headerSize: LONG_HEADER, length: hi * 2 ** 32 + lo, handles: false, nfds: 0 };
  }
  if (n === HANDLES_MARK) {
    const nfds = buf.readUInt32BE(at + 4);
    if (nfds > 253) throw badMessage(`a message announces ${nfds} file descriptors (at most 253)`);
    return { headerSize: LONG_HEADER, length: buf.readUInt32BE(at + 8), handles: true, nfds };
  }
  throw badMessage(`unknown header ${n}`);
}
