// The Queue's shared memory layout (docs/interop/queue.md says it for C and
// Python). One segment: a 4096-byte header, then the ring of `capacity` bytes
// (a power of two). All integers little-endian; byte offsets below.
//
// Groups that different processes write sit 128 bytes apart, so a producer
// and a consumer running at once do not fight over one cache line (or the
// adjacent line the CPU prefetches with it).

export const MAGIC = 0x3151534f; // 'OSQ1'
export const VERSION = 1;
export const HEADER_BYTES = 4096;

export const MIN_CAPACITY = 4096;
export const MAX_CAPACITY = 1 << 30;
export const DEFAULT_CAPACITY = 1 << 20;
export const DEFAULT_MAX_MESSAGE = 64 * 1024 * 1024;
export const MAX_MESSAGE_LIMIT = 0xffffffff;

/** What kind of queue created the memory. */
export const KIND_QUEUE = 1;
export const KIND_JOINABLE = 2;
export const KIND_SIMPLE = 3;

// Byte offsets in the header. Words are 32-bit.
export const OFF = {
  // Written once by the creator, read-only after.
  MAGIC: 0,
  VERSION: 4,
  HEADER_BYTES: 8,
  CAPACITY: 12,
  MAXSIZE: 16,
  MAX_MESSAGE: 20,
  CODEC: 24,
  KIND: 28,
  CREATOR_PID: 32,
  // Producers: their lock, then their state (written only under that lock).
  PRODUCER_LOCK: 128,
  TAIL: 256, // write position: bytes ever written, mod 2^32
  PRODUCED: 260, // messages ever completed, mod 2^32
  P_INTENT: 264, // redo log: new TAIL | 1 while a commit is under way, else 0
  P_INTENT_PRODUCED: 268, //   its PRODUCED
  P_INTENT_OPEN: 272, //   its P_OPEN
  P_OPEN: 276, // 1 while a chunked message is partly written
  // Consumers: their lock and state.
  CONSUMER_LOCK: 384,
  HEAD: 512, // read position
  CONSUMED: 516, // messages ever taken
  C_INTENT: 520, // redo log: new HEAD | 1 while a commit is under way, else 0
  C_INTENT_CONSUMED: 524,
  // Wake-ups: a futex word (a sequence number) and an "armed" flag that
  // sleepers set, so that wakers make the wake syscall only when someone sleeps.
  NE_SEQ: 640, // "not empty": consumers sleep here
  NE_ARMED: 644,
  NF_SEQ: 768, // "not full": producers sleep here
  NF_ARMED: 772,
  // JoinableQueue: task_done() count; unfinished = PRODUCED - DONE.
  DONE: 896,
  JOIN_SEQ: 900,
  JOIN_ARMED: 904,
} as const;

/** Int32Array index of a header word. */
export const W = Object.fromEntries(Object.entries(OFF).map(([k, v]) => [k, v >> 2])) as
  { readonly [K in keyof typeof OFF]: number };

// Records in the ring: an 8-byte header, the payload, zero padding to 8 bytes.
//   u32 length (payload bytes)  u8 kind  u8 format tag  u16 0
// A record never wraps: a PAD record fills the end of the ring instead.
export const REC_HEADER = 8;
export const REC_WHOLE = 1; // a whole message
export const REC_FIRST = 2; // first chunk of a large message: u32 total length, u32 0, data
export const REC_MORE = 3; // a middle chunk
export const REC_LAST = 4; // the last chunk: the message is complete
export const REC_ABORT = 5; // the chunked message in progress is abandoned
export const REC_PAD = 6; // skip to the start of the ring

/** Bytes a record with `len` payload bytes takes. */
export function recordSize(len: number): number {
  return REC_HEADER + ((len + 7) & ~7);
}
