// The shared-memory segment each synchronization object lives in when it is
// made on its own (not placed inside another object's memory): a 16-byte
// header naming what it is, then the object's words. X.open(name) checks the
// header, so opening a Lock's name as an Event fails clearly.
//   [0] magic 0x4e59534f ("OSYN" little-endian)  [1] kind  [2] layout version (per kind)  [3] 0
import { OsipcError } from '../errors.js';
import { SharedMemory } from '../os/shared-memory.js';
import { validateIpcName, validateOptions, validateString } from '../validate.js';

export const HEADER_BYTES = 16;
const MAGIC = 0x4e59534f;

export const KIND = {
  Lock: 1, RLock: 2, Semaphore: 3, BoundedSemaphore: 4, Event: 5, Condition: 6, Barrier: 7,
} as const;
export type SyncKind = keyof typeof KIND;
// Each kind's layout version: bumped when its words change, so an object made
// by an older osipc (or peer) is refused rather than misread. Condition 2: per-process waiter records.
const VERSION: Record<SyncKind, number> = {
  Lock: 1, RLock: 1, Semaphore: 1, BoundedSemaphore: 1, Event: 1, Condition: 2, Barrier: 1,
};

export interface Placed {
  /** The segment, when the object owns one (null when placed in another's memory). */
  shm: SharedMemory | null;
  buffer: ArrayBuffer;
  /** Where the object's words start. */
  offset: number;
}

/** Reads `{ name }` from a constructor's options. */
export function nameOption(options: { name?: string } | undefined): string | undefined {
  const o = validateOptions(options);
  return o.name === undefined ? undefined : validateIpcName(validateString(o.name, 'options.name'), 'options.name');
}

/**
 * Creates a segment for a `kind` object of `bodyBytes`, lets `init` write its
 * initial words, then publishes the header (an opener never sees a half-made object).
 */
export function createSegment(kind: SyncKind, bodyBytes: number, name: string | undefined,
  init: (buffer: ArrayBuffer, offset: number) => void): Placed {
  const shm = SharedMemory.create({ name, size: HEADER_BYTES + bodyBytes });
  try {
    init(shm.buffer, HEADER_BYTES);
    const h = new Int32Array(shm.buffer, 0, 4);
    Atomics.store(h, 2, VERSION[kind]);
    Atomics.store(h, 1, KIND[kind]);
    Atomics.store(h, 0, MAGIC);
  } catch (err) {
    shm.close();
    throw err;
  }
  return { shm, buffer: shm.buffer, offset: HEADER_BYTES };
}

/** Opens the segment `name` and checks that it holds a `kind` object of at least `bodyBytes`. */
export function openSegment(kind: SyncKind, bodyBytes: number, name: string): Placed {
  validateIpcName(name, 'name');
  const shm = SharedMemory.open(name);
  const fail = (why: string): never => {
    shm.close();
    throw new OsipcError(`${name} is not an osipc ${kind}: ${why}`, 'ERR_OSIPC_WRONG_KIND');
  };
  if (shm.size < HEADER_BYTES) fail(`it has ${shm.size} bytes`);
  const h = new Int32Array(shm.buffer, 0, 4);
  if (Atomics.load(h, 0) !== MAGIC) fail('no osipc header');
  const k = Atomics.load(h, 1);
  if (k !== KIND[kind]) {
    const found = Object.entries(KIND).find(([, v]) => v === k)?.[0] ?? `kind ${k}`;
    fail(`it is a ${found}`);
  }
  const version = Atomics.load(h, 2);
  if (version !== VERSION[kind]) {
    fail(`layout version ${version} (this osipc reads version ${VERSION[kind]}; made by another osipc release?)`);
  }
  if (shm.size < HEADER_BYTES + bodyBytes) fail(`it has ${shm.size} bytes`);
  return { shm, buffer: shm.buffer, offset: HEADER_BYTES };
}
