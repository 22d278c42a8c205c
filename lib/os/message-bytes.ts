// The bytes of a message: Buffers and typed arrays are used as they are (no
// copy), strings are encoded as UTF-8.
import { typeError } from '../validate.js';

export type MessageData = string | ArrayBufferView | ArrayBuffer;

export function messageBytes(data: unknown, name = 'data'): Uint8Array {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  throw typeError(name, 'of type string or an instance of Buffer, TypedArray, DataView or ArrayBuffer', data);
}

/** Largest receive that lands in a shared slab (bigger ones get their own copy). */
const SLAB_BYTES = 64 * 1024;
const SLAB_MAX_MESSAGE = SLAB_BYTES / 4; // the System V default (8 KiB + its 8-byte type) fits

/**
 * Where received messages land. Small messages are received straight into a
 * 64 KiB slab and handed out as views of it (one allocation per slab, no copy
 * per message; like Buffer.allocUnsafe's pool, a message's Buffer may share
 * its ArrayBuffer with other messages). Messages that may be larger than
 * SLAB_MAX_MESSAGE are received into one reused buffer and copied out.
 */
export class ReceiveSpace {
  readonly #room: number;
  #buf: Buffer | null = null;
  #used = 0;

  /** `room`: the most bytes one receive may write. */
  constructor(room: number) {
    this.#room = room;
  }

  /** The buffer the next receive writes into, at `offset`. */
  get buffer(): Buffer {
    const buf = this.#buf;
    if (buf !== null && (this.#room > SLAB_MAX_MESSAGE || buf.length - this.#used >= this.#room)) return buf;
    this.#used = 0;
    return (this.#buf = Buffer.allocUnsafeSlow(this.#room > SLAB_MAX_MESSAGE ? this.#room : SLAB_BYTES));
  }

  /** Where in `buffer` the next receive writes (read after `buffer`). */
  get offset(): number {
    return this.#used;
  }

  /** The `n` bytes received at buffer[start..] as a Buffer the caller keeps. */
  take(start: number, n: number): Buffer {
    const buf = this.#buf!;
    if (this.#room > SLAB_MAX_MESSAGE) return Buffer.from(buf.subarray(start, start + n));
    this.#used = (start + n + 7) & ~7; // keep the next message 8-aligned
    return buf.subarray(start, start + n);
  }
}
