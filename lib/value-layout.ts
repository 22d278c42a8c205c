// The byte layout of a Value or SharedArray segment (docs/interop/values.md),
// so that C and Python programs can read and write them:
//
//   offset size  field
//        0    4  magic        bytes "OSVL" (u32 0x4C56534F little-endian)
//        4    2  version      2 (1: the stand-in futex lock before the robust Lock)
//        6    2  header size  128: where the data starts
//        8    1  typecode     ASCII: 'i', 'q', 'd', 'c', ...
//        9    1  item size    bytes per element (checked against the typecode)
//       10    2  flags        bit 0: has a lock; bit 1: an Array (else a Value)
//       12    4  reserved     0
//       16    8  count        elements (u64; a Value has 1)
//       24   40  reserved     0
//       64   64  lock area    a Lock (lib/lock.ts): 16 bytes of SharedMutex words, 48 reserved 0
//      128  ...  data         count * item size bytes, native byte order
//
// Header fields are little-endian; data is in native order, which is
// little-endian on every platform osipc supports (x86-64, arm64). The data
// starts at 128, so every element is naturally aligned (Atomics need that).
// Everything read from a segment opened by name is validated before use: the
// peer that wrote it may have crashed mid-way or be hostile.
import { endianness } from 'node:os';
import { InvalidSegmentError, notSupported } from './errors.js';
import { MAX_SHARED_MEMORY_SIZE, SharedMemory } from './os/shared-memory.js';
import { TYPECODES, type AnyView, type Typecode, type TypecodeInfo } from './typecodes.js';

export const MAGIC = 0x4c56534f; // "OSVL"
export const LAYOUT_VERSION = 2;
export const HEADER_SIZE = 128;
export const LOCK_OFFSET = 64;
export const LOCK_AREA_SIZE = 64;
export const FLAG_LOCK = 1;
export const FLAG_ARRAY = 2;
const KNOWN_FLAGS = FLAG_LOCK | FLAG_ARRAY;

const OFF_MAGIC = 0;
const OFF_VERSION = 4;
const OFF_HEADER_SIZE = 6;
const OFF_TYPECODE = 8;
const OFF_ITEM_SIZE = 9;
const OFF_FLAGS = 10;
const OFF_COUNT = 16;

export type SegmentKind = 'value' | 'array';

/** A mapped, validated segment: the data as a typed array, and where the lock lives. */
export interface Segment {
  readonly shm: SharedMemory;
  readonly info: TypecodeInfo;
  readonly count: number;
  /** The creator asked for a lock (flag bit 0). */
  readonly hasLock: boolean;
  /** The data, `count` elements from byte 128. */
  readonly view: AnyView;
}

/** The most elements of this typecode one segment can hold. */
export function maxCount(info: TypecodeInfo): number {
  return Math.floor((MAX_SHARED_MEMORY_SIZE - HEADER_SIZE) / info.size);
}

function dataView(shm: SharedMemory, info: TypecodeInfo, count: number): AnyView {
  return new info.View(shm.buffer, HEADER_SIZE, count);
}

/**
 * Creates and maps a new segment for `count` elements (the caller has checked
 * count against maxCount), lets `init` write the initial data, and writes the
 * header. The magic is written last, so an opener never sees a half-made segment.
 */
export function createSegment(o: {
  info: TypecodeInfo; count: number; lock: boolean; kind: SegmentKind; name?: string;
}, init?: (data: AnyView) => void): Segment {
  if (endianness() !== 'LE') {
    throw notSupported('Value/SharedArray on a big-endian machine', 'the documented layout is little-endian');
  }
  const shm = SharedMemory.create({ name: o.name, size: HEADER_SIZE + o.count * o.info.size });
  try {
    const header = new DataView(shm.buffer, 0, HEADER_SIZE);
    header.setUint16(OFF_VERSION, LAYOUT_VERSION, true);
    header.setUint16(OFF_HEADER_SIZE, HEADER_SIZE, true);
    header.setUint8(OFF_TYPECODE, o.info.code.charCodeAt(0));
    header.setUint8(OFF_ITEM_SIZE, o.info.size);
    header.setUint16(OFF_FLAGS, (o.lock ? FLAG_LOCK : 0) | (o.kind === 'array' ? FLAG_ARRAY : 0), true);
    header.setBigUint64(OFF_COUNT, BigInt(o.count), true);
    // The lock area is zero from ftruncate: an unlocked Lock (docs/interop/sync.md).
    init?.(dataView(shm, o.info, o.count));
    Atomics.store(new Int32Array(shm.buffer, OFF_MAGIC, 1), 0, MAGIC);
  } catch (err) {
    shm.close(); // the creator: unlinks
    throw err;
  }
  return { shm, info: o.info, count: o.count, hasLock: o.lock, view: dataView(shm, o.info, o.count) };
}

/** Maps an existing segment by name and validates its header (InvalidSegmentError). */
export function openSegment(name: string, kind: SegmentKind): Segment {
  const shm = SharedMemory.open(name);
  try {
    const { info, count, flags } = readHeader(shm, kind);
    return { shm, info, count, hasLock: (flags & FLAG_LOCK) !== 0, view: dataView(shm, info, count) };
  } catch (err) {
    shm.close(); // an opener: closing never unlinks
    throw err;
  }
}

function readHeader(shm: SharedMemory, kind: SegmentKind): { info: TypecodeInfo; count: number; flags: number } {
  const bad = (reason: string): InvalidSegmentError => new InvalidSegmentError(shm.name, reason);
  const size = shm.size;
  if (size < HEADER_SIZE) throw bad(`it is ${size} bytes, smaller than the ${HEADER_SIZE}-byte header`);
  const header = new DataView(shm.buffer, 0, HEADER_SIZE);
  const magic = Atomics.load(new Int32Array(shm.buffer, OFF_MAGIC, 1), 0) >>> 0;
  if (magic !== MAGIC) {
    throw bad(`bad magic 0x${magic.toString(16).padStart(8, '0')} (not a Value or Array segment, or not written yet)`);
  }
  const version = header.getUint16(OFF_VERSION, true);
  if (version !== LAYOUT_VERSION) throw bad(`layout version ${version}; this osipc reads version ${LAYOUT_VERSION}`);
  const headerSize = header.getUint16(OFF_HEADER_SIZE, true);
  if (headerSize !== HEADER_SIZE) throw bad(`header size ${headerSize}; version ${LAYOUT_VERSION} has ${HEADER_SIZE}`);
  const codeByte = header.getUint8(OFF_TYPECODE);
  const code = String.fromCharCode(codeByte);
  if (!Object.hasOwn(TYPECODES, code)) throw bad(`unknown typecode byte 0x${codeByte.toString(16)}`);
  const info = TYPECODES[code as Typecode];
  const itemSize = header.getUint8(OFF_ITEM_SIZE);
  if (itemSize !== info.size) throw bad(`item size ${itemSize} for typecode '${code}', which has ${info.size}`);
  const flags = header.getUint16(OFF_FLAGS, true);
  if ((flags & ~KNOWN_FLAGS) !== 0) throw bad(`unknown flags 0x${flags.toString(16)}`);
  const isArray = (flags & FLAG_ARRAY) !== 0;
  if (kind === 'value' && isArray) throw bad('it holds an Array: open it with SharedArray.open()');
  if (kind === 'array' && !isArray) throw bad('it holds a Value: open it with Value.open()');
  const count = header.getBigUint64(OFF_COUNT, true);
  const fits = BigInt(Math.floor((size - HEADER_SIZE) / info.size));
  if (count === 0n) throw bad('its element count is 0');
  if (count > fits) throw bad(`its element count ${count} does not fit its ${size} bytes (at most ${fits})`);
  if (kind === 'value' && count !== 1n) throw bad(`a Value holds 1 element, this one says ${count}`);
  return { info, count: Number(count), flags };
}
