// How a Queue turns values into record bytes and back. Each record carries a
// tag byte naming its format, so a reader decodes any record whatever codec
// its writer used (docs/interop/queue.md):
//   'M' (0x4d) MessagePack, with osipc's extension types (msgpack.ts)
//   'V' (0x56) the v8 serializer (structured clone)
//   'J' (0x4a) JSON text, UTF-8
//   'R' (0x52) raw bytes
//
// Codecs (the `codec` option; the writer's choice, stored in the queue):
//   'auto' (default)  structured-clone semantics, fast: plain data (objects,
//                     arrays, strings, numbers, booleans, null, undefined,
//                     Buffers, typed arrays) as 'M' records; anything else
//                     (Date, Map, Set, RegExp, bigint, Error, class
//                     instances, shared references, cycles, sparse arrays)
//                     as 'V'. v8.serialize alone costs ~5x more per small
//                     object (DESIGN.md, measured facts).
//   'v8'              every value through v8.serialize ('V').
//   'msgpack'         plain MessagePack ('M') only, for C/Python readers;
//                     a value msgpack cannot carry exactly is refused.
//   'json'            JSON.stringify/parse ('J'): JSON's own lossy rules.
//   'raw'             bytes in (Buffer, typed array, DataView, ArrayBuffer),
//                     Buffer out ('R').
import v8 from 'node:v8';
import { checkV8Payload } from '../v8-check.js';
import {
  MsgpackReader, MsgpackWriter, NEEDS_V8, OUT_OF_SPACE, binaryHeader, dataCloneError,
} from './msgpack.js';

/** Binaries at least this large are not copied into the scratch buffer. */
const BORROW_MIN = 64 * 1024;

export type CodecName = 'auto' | 'v8' | 'msgpack' | 'json' | 'raw';

export const TAG_MSGPACK = 0x4d;
export const TAG_V8 = 0x56;
export const TAG_JSON = 0x4a;
export const TAG_RAW = 0x52;

/** Codec ids as stored in the queue header. */
export const CODEC_IDS: Record<CodecName, number> = { auto: 1, v8: 2, msgpack: 3, json: 4, raw: 5 };
export const CODEC_NAMES: CodecName[] = ['auto', 'v8', 'msgpack', 'json', 'raw'];

export function codecName(id: number): CodecName | undefined {
  return CODEC_NAMES[id - 1];
}

/** An encoded message: `parts` concatenated are the record's payload. */
export interface Encoded {
  tag: number;
  parts: Uint8Array[];
  total: number;
  /** False when a part is borrowed (the codec's scratch or the caller's bytes). */
  owned: boolean;
}

/** Why a direct encode into the ring did not happen. */
export const DIRECT_NO_ROOM = -1;
export const DIRECT_NEEDS_V8 = -2;

const textEncoder = new TextEncoder();

function v8Serialize(value: unknown): Buffer {
  try {
    return v8.serialize(value);
  } catch (err) {
    throw dataCloneError(`${(err as Error).message}`);
  }
}

function rawBytes(value: unknown): Uint8Array {
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  const err = new TypeError('The "raw" codec carries bytes: a Buffer, TypedArray, DataView or ArrayBuffer');
  (err as { code?: string }).code = 'ERR_INVALID_ARG_TYPE';
  throw err;
}

export class Codec {
  readonly name: CodecName;
  readonly #writer = new MsgpackWriter();
  readonly #reader = new MsgpackReader();
  #scratch: Uint8Array = new Uint8Array(4096);

  constructor(name: CodecName) {
    this.name = name;
    this.#writer.mode = name === 'msgpack' ? 'strict' : 'auto';
  }

  /**
   * Encodes `value` straight into `bytes[start, end)` (free ring space).
   * Returns the end position, DIRECT_NO_ROOM (too big for the window: use
   * encode()) or DIRECT_NEEDS_V8 (auto codec, value needs the v8 serializer).
   * The tag to record is `directTag`.
   */
  encodeInto(value: unknown, bytes: Uint8Array, view: DataView, start: number, end: number): number {
    switch (this.name) {
      case 'auto':
      case 'msgpack': {
        const w = this.#writer;
        w.target(bytes, view, start, end);
        try {
          return w.write(value);
        } catch (e) {
          if (e === OUT_OF_SPACE) return DIRECT_NO_ROOM;
          if (e === NEEDS_V8) return DIRECT_NEEDS_V8;
          throw e;
        }
      }
      case 'json': {
        const s = jsonText(value);
        if (s.length * 3 > end - start) return DIRECT_NO_ROOM;
        return start + textEncoder.encodeInto(s, bytes.subarray(start, end)).written;
      }
      default:
        // v8 and raw produce their bytes elsewhere anyway: one copy either way.
        return DIRECT_NO_ROOM;
    }
  }

  get directTag(): number {
    return this.name === 'json' ? TAG_JSON : TAG_MSGPACK;
  }

  /** Encodes `value` off the ring. The result may borrow memory (see `owned`). */
  encode(value: unknown, skipMsgpack = false): Encoded {
    switch (this.name) {
      case 'auto':
      case 'msgpack': {
        // A large Buffer or typed array: its header, then its own bytes.
        if (ArrayBuffer.isView(value) && value.byteLength >= BORROW_MIN) {
          const head = binaryHeader(value);
          if (head !== null) {
            const body = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
            return { tag: TAG_MSGPACK, parts: [head, body], total: head.byteLength + body.byteLength, owned: false };
          }
        }
        if (!skipMsgpack) {
          const w = this.#writer;
          w.targetScratch(this.#scratch);
          try {
            const end = w.write(value);
            this.#scratch = w.bytes; // it may have grown
            return { tag: TAG_MSGPACK, parts: [w.bytes.subarray(0, end)], total: end, owned: false };
          } catch (e) {
            this.#scratch = w.bytes;
            if (e !== NEEDS_V8) throw e;
          }
          // A large scratch buffer is not kept for ever.
          if (this.#scratch.byteLength > 1 << 20) this.#scratch = new Uint8Array(4096);
        }
        const b = v8Serialize(value);
        return { tag: TAG_V8, parts: [b], total: b.byteLength, owned: true };
      }
      case 'v8': {
        const b = v8Serialize(value);
        return { tag: TAG_V8, parts: [b], total: b.byteLength, owned: true };
      }
      case 'json': {
        const b = Buffer.from(jsonText(value));
        return { tag: TAG_JSON, parts: [b], total: b.byteLength, owned: true };
      }
      case 'raw': {
        const b = rawBytes(value);
        return { tag: TAG_RAW, parts: [b], total: b.byteLength, owned: false };
      }
    }
  }

  /**
   * Decodes the payload `bytes[start, end)` of a record tagged `tag`. With
   * `owned`, the bytes belong to the caller (an assembled message) and may be
   * kept by the value; otherwise they are ring memory and are copied.
   */
  decode(tag: number, bytes: Buffer, view: DataView, start: number, end: number, owned: boolean): unknown {
    switch (tag) {
      case TAG_MSGPACK:
        return this.#reader.read(bytes, view, start, end, owned);
      case TAG_V8: {
        // The v8 deserializer returns Buffers that view its input: never the
        // ring. The copy is what is checked (a hostile writer's holey arrays
        // would make v8 allocate past the bytes): the ring could change
        // between a check of it and the copy.
        const payload = owned ? bytes.subarray(start, end) : Buffer.from(bytes.subarray(start, end));
        checkV8Payload(payload, 0, payload.length);
        return v8.deserialize(payload);
      }
      case TAG_JSON:
        return JSON.parse(bytes.toString('utf8', start, end));
      case TAG_RAW:
        return owned ? bytes.subarray(start, end) : Buffer.from(bytes.subarray(start, end));
      default:
        throw new Error(`unknown record format 0x${tag.toString(16)}`);
    }
  }
}

function jsonText(value: unknown): string {
  const s = JSON.stringify(value);
  if (typeof s !== 'string') {
    throw dataCloneError(`${value === undefined ? 'undefined' : `a ${typeof value}`} cannot be carried by the json codec`);
  }
  return s;
}

/** Copies `n` bytes starting at byte `from` of the concatenated `parts` to `dst[at...]`. */
export function copyParts(parts: Uint8Array[], from: number, n: number, dst: Uint8Array, at: number): void {
  let skip = from;
  for (const p of parts) {
    if (n === 0) return;
    if (skip >= p.byteLength) {
      skip -= p.byteLength;
      continue;
    }
    const take = Math.min(p.byteLength - skip, n);
    dst.set(take === p.byteLength ? p : p.subarray(skip, skip + take), at);
    at += take;
    n -= take;
    skip = 0;
  }
}

/** A copy of `e` that owns its bytes (to keep across waits). */
export function ownEncoded(e: Encoded): Encoded {
  if (e.owned) return e;
  const b = Buffer.allocUnsafe(e.total);
  copyParts(e.parts, 0, e.total, b, 0);
  return { tag: e.tag, parts: [b], total: e.total, owned: true };
}
