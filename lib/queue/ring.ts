// The shared ring under a Queue: records in shared memory, a two-lock queue.
// Producers take the producer lock to append, consumers the consumer lock to
// remove, so one producer and one consumer work at the same time (SPSC-style)
// and a message larger than the ring streams through it in chunks while the
// consumer drains it. Waking is by futex, and only when someone sleeps.
//
// Everything here runs with the relevant lock held by the caller (queue.ts);
// nothing here waits. Every position and length read from the memory is
// checked before use: a peer may have crashed mid-write or be hostile.
//
// Crash safety: each commit first writes a redo record (the new position and
// count) and then applies it; the next holder of a lock whose owner died
// replays it, so positions and counts are never half-updated. A consumer that
// dies while taking a chunked message leaves its remaining chunks at the head:
// the next consumer skips them (that one message is lost). A producer that
// dies mid-message leaves it open: the next lock holder closes it with ABORT,
// and consumers drop the partial message.
import { OsipcError } from '../errors.js';
import { futexUnchecked } from '../os/futex.js';
import { SharedMemory } from '../os/shared-memory.js';
import {
  Codec, CODEC_IDS, DIRECT_NEEDS_V8, DIRECT_NO_ROOM, codecName, copyParts, ownEncoded, type CodecName, type Encoded,
} from './codec.js';
import {
  HEADER_BYTES, MAGIC, MAX_CAPACITY, MAX_MESSAGE_LIMIT, MIN_CAPACITY, OFF, REC_ABORT, REC_FIRST, REC_HEADER,
  REC_LAST, REC_MORE, REC_PAD, REC_WHOLE, VERSION, W, recordSize, KIND_QUEUE, KIND_SIMPLE,
} from './layout.js';
import { MUTEX_BYTES, SharedMutex } from '../sync/mutex.js';

/** take(): nothing to take. */
export const EMPTY: unique symbol = Symbol('empty');
/** take(): a chunked message is partly here; wait for the rest holding the lock. */
export const PARTIAL: unique symbol = Symbol('partial');

export function corrupt(what: string, cause?: unknown): OsipcError {
  return new OsipcError(`queue memory is corrupt: ${what}`, 'ERR_OSIPC_QUEUE_CORRUPT', { cause });
}

export interface RingOptions {
  name: string;
  mode: number;
  capacity: number;
  maxsize: number;
  maxMessageSize: number;
  codec: CodecName;
  kind: number;
}

/** A message being written, possibly in chunks across several waits. */
export interface Outgoing extends Encoded {
  /** Payload bytes already in the ring (chunked messages). */
  sent: number;
  started: boolean;
}

interface Assembly {
  buf: Buffer;
  total: number;
  filled: number;
  tag: number;
}

/** NF_ARMED bits: a producer waits for an item to go / for free bytes. */
const NF_ANY = 1;
const NF_ROOM = 2;
/** Longest sleep of a producer waiting for a quarter of the ring to be free. */
export const ROOM_WAIT_MS = 10;

// On x64 an aligned plain load is atomic and loads are not reordered with
// other loads or with an earlier locked instruction (Atomics.store is XCHG).
const PLAIN_LOAD_OK = process.arch === 'x64';

if (MUTEX_BYTES > 64) throw new Error('SharedMutex does not fit the queue header');

// Wakes every sleeper on header word `index` (checked when the ring was mapped).
function wakeAll(w: Int32Array, index: number): void {
  futexUnchecked.wake(w.buffer as ArrayBuffer, w.byteOffset + index * 4, -1);
}

export class Ring {
  readonly shm: SharedMemory;
  readonly name: string;
  readonly capacity: number;
  readonly maxsize: number;
  readonly maxMessageSize: number;
  readonly kind: number;
  readonly codec: Codec;
  readonly producerLock: SharedMutex;
  readonly consumerLock: SharedMutex;
  // Header words, and three views of the ring bytes.
  readonly #w: Int32Array;
  readonly #data: Buffer;
  readonly #dv: DataView;
  readonly #d32: Int32Array;
  readonly #mask: number;
  // Records up to this size go whole; larger messages are chunked.
  readonly #wholeMax: number;
  // Producers short of room are woken once this many bytes are free.
  readonly #lowWater: number;
  // Consumer-side state of this process (under the consumer lock).
  #asm: Assembly | null = null;
  #skipping = false;
  // What a failed attempt saw, to tell after arming a wake-up whether the
  // other side moved meanwhile (then retry instead of sleeping).
  #seenTail = 0;
  #seenHead = 0;
  #seenConsumed = 0;
  // Why the last attempt to put could not: too many items, or too few bytes.
  #fullBy: 'count' | 'room' = 'room';

  private constructor(shm: SharedMemory, capacity: number, maxsize: number, maxMessageSize: number,
    codec: CodecName, kind: number) {
    this.shm = shm;
    this.name = shm.name;
    this.capacity = capacity;
    this.maxsize = maxsize;
    this.maxMessageSize = maxMessageSize;
    this.kind = kind;
    this.codec = new Codec(codec);
    const buffer = shm.buffer;
    this.#w = new Int32Array(buffer, 0, HEADER_BYTES / 4);
    this.#data = Buffer.from(buffer, HEADER_BYTES, capacity);
    this.#dv = new DataView(buffer, HEADER_BYTES, capacity);
    this.#d32 = new Int32Array(buffer, HEADER_BYTES, capacity / 4);
    this.#mask = capacity - 1;
    this.#wholeMax = capacity / 4;
    this.#lowWater = capacity / 4;
    this.producerLock = new SharedMutex(buffer, OFF.PRODUCER_LOCK);
    this.consumerLock = new SharedMutex(buffer, OFF.CONSUMER_LOCK);
  }

  static create(o: RingOptions): Ring {
    const shm = SharedMemory.create({ name: o.name, size: HEADER_BYTES + o.capacity, mode: o.mode });
    const w = new Int32Array(shm.buffer, 0, HEADER_BYTES / 4);
    w[W.VERSION] = VERSION;
    w[W.HEADER_BYTES] = HEADER_BYTES;
    w[W.CAPACITY] = o.capacity;
    w[W.MAXSIZE] = o.maxsize;
    w[W.MAX_MESSAGE] = o.maxMessageSize | 0;
    w[W.CODEC] = CODEC_IDS[o.codec];
    w[W.KIND] = o.kind;
    w[W.CREATOR_PID] = process.pid;
    // The magic goes last: an opener that sees it sees a complete header.
    Atomics.store(w, W.MAGIC, MAGIC);
    return new Ring(shm, o.capacity, o.maxsize, o.maxMessageSize, o.codec, o.kind);
  }

  /** Maps an existing queue; its settings are read (and checked) once, here. */
  static open(name: string): Ring {
    const shm = SharedMemory.open(name);
    try {
      if (shm.size < HEADER_BYTES + MIN_CAPACITY) throw notAQueue(name, `${shm.size} bytes is too small`);
      const w = new Int32Array(shm.buffer, 0, HEADER_BYTES / 4);
      if (Atomics.load(w, W.MAGIC) !== MAGIC) throw notAQueue(name, 'no queue header (magic)');
      if (w[W.VERSION] !== VERSION) throw notAQueue(name, `layout version ${w[W.VERSION]}, this osipc reads ${VERSION}`);
      if (w[W.HEADER_BYTES] !== HEADER_BYTES) throw corrupt(`header size ${w[W.HEADER_BYTES]}`);
      const capacity = w[W.CAPACITY]!;
      if (capacity < MIN_CAPACITY || capacity > MAX_CAPACITY || (capacity & (capacity - 1)) !== 0 ||
          HEADER_BYTES + capacity > shm.size) {
        throw corrupt(`capacity ${capacity} (segment of ${shm.size} bytes)`);
      }
      const maxsize = w[W.MAXSIZE]!;
      if (maxsize < 0) throw corrupt(`maxsize ${maxsize}`);
      const maxMessageSize = w[W.MAX_MESSAGE]! >>> 0;
      if (maxMessageSize < 1 || maxMessageSize > MAX_MESSAGE_LIMIT) throw corrupt(`maxMessageSize ${maxMessageSize}`);
      const codec = codecName(w[W.CODEC]!);
      if (codec === undefined) throw corrupt(`codec id ${w[W.CODEC]}`);
      const kind = w[W.KIND]!;
      if (kind < KIND_QUEUE || kind > KIND_SIMPLE) throw corrupt(`queue kind ${kind}`);
      return new Ring(shm, capacity, maxsize, maxMessageSize, codec, kind);
    } catch (err) {
      shm.close();
      throw err;
    }
  }

  get closed(): boolean {
    return this.shm.closed;
  }

  close(): void {
    this.producerLock.close();
    this.consumerLock.close();
    this.shm.close();
  }

  // ---- counts -------------------------------------------------------------

  /** Messages in the queue: completed puts minus completed gets. */
  qsize(): number {
    const w = this.#w;
    const consumed = Atomics.load(w, W.CONSUMED);
    const n = (Atomics.load(w, W.PRODUCED) - consumed) | 0;
    return n < 0 ? 0 : n;
  }

  /** Puts not yet matched by a taskDone(). */
  unfinished(): number {
    const w = this.#w;
    const done = Atomics.load(w, W.DONE);
    const n = (Atomics.load(w, W.PRODUCED) - done) | 0;
    return n < 0 ? 0 : n;
  }

  /** Counts one task done; false when there is none unfinished. */
  taskDone(): boolean {
    const w = this.#w;
    for (;;) {
      const done = Atomics.load(w, W.DONE);
      if (((Atomics.load(w, W.PRODUCED) - done) | 0) <= 0) return false;
      if (Atomics.compareExchange(w, W.DONE, done, (done + 1) | 0) !== done) continue;
      if (((Atomics.load(w, W.PRODUCED) - done - 1) | 0) === 0) this.#wake(W.JOIN_ARMED, W.JOIN_SEQ);
      return true;
    }
  }

  // ---- producers (producer lock held) ---------------------------------------

  /**
   * Call on taking the producer lock. A redo record or an open message left
   * behind means the previous holder died (or quit) mid-way: recover.
   */
  lockedProducer(how: 'acquired' | 'owner-died' | 'reentered'): void {
    const w = this.#w;
    if (how === 'owner-died' || w[W.P_INTENT] !== 0 || w[W.P_OPEN] !== 0) this.recoverProducer();
  }

  /** Call on taking the consumer lock (see lockedProducer). */
  lockedConsumer(how: 'acquired' | 'owner-died' | 'reentered'): void {
    if (how === 'owner-died' || this.#w[W.C_INTENT] !== 0) this.recoverConsumer();
  }

  /** After taking the producer lock from a dead owner: finish its commit, close its message. */
  recoverProducer(): void {
    const w = this.#w;
    const intent = Atomics.load(w, W.P_INTENT);
    if (intent !== 0) {
      Atomics.store(w, W.PRODUCED, w[W.P_INTENT_PRODUCED]!);
      Atomics.store(w, W.TAIL, intent & ~7);
      w[W.P_OPEN] = w[W.P_INTENT_OPEN]!;
      Atomics.store(w, W.P_INTENT, 0);
    }
    if (w[W.P_OPEN] !== 0) this.#writeAbort();
    // Consumers waiting for the rest of a message must look again.
    Atomics.add(w, W.NE_SEQ, 1);
    wakeAll(w, W.NE_SEQ);
  }

  /** True when `maxsize` messages are in the queue. */
  isFull(): boolean {
    if (this.maxsize === 0) return false;
    const w = this.#w;
    const produced = w[W.PRODUCED]!;
    // A count from an older CONSUMED can only be too high: look again only then.
    if (((produced - this.#seenConsumed) | 0) < this.maxsize) return false;
    const consumed = Atomics.load(w, W.CONSUMED);
    this.#seenConsumed = consumed;
    this.#seenHead = Atomics.load(w, W.HEAD);
    this.#fullBy = 'count';
    return ((produced - consumed) | 0) >= this.maxsize;
  }

  // The write position; sets #free. HEAD is read again only when the free
  // space computed from the last HEAD seen is under `want` bytes: a HEAD read
  // is a cache miss while consumers run, and an old one only understates room.
  #tail(want: number): number {
    const w = this.#w;
    const tail = w[W.TAIL]!;
    let used = (tail - this.#seenHead) | 0;
    if (used < 0 || used > this.capacity || this.capacity - used < want) {
      const head = Atomics.load(w, W.HEAD);
      this.#seenHead = head;
      used = (tail - head) | 0;
    }
    if (used < 0 || used > this.capacity || (used & 7) !== 0 || (tail & 7) !== 0) {
      throw corrupt(`positions (head ${this.#seenHead >>> 0}, tail ${tail >>> 0})`);
    }
    this.#free = this.capacity - used;
    return tail;
  }
  #free = 0;

  /**
   * The fast path: encodes `value` straight into the free space and commits
   * it. Returns 1 when done, else DIRECT_NO_ROOM or DIRECT_NEEDS_V8 (use
   * encode() + putEncoded()).
   */
  putDirect(value: unknown): number {
    const tail = this.#tail(this.#wholeMax + 64);
    const idx = tail & this.#mask;
    let room = this.capacity - idx;
    if (room > this.#free) room = this.#free;
    if (room > this.#wholeMax) room = this.#wholeMax;
    if (room < 32) return DIRECT_NO_ROOM;
    const start = idx + REC_HEADER;
    const end = this.codec.encodeInto(value, this.#data, this.#dv, start, idx + room);
    if (end < 0) return end;
    const len = end - start;
    if (len > this.maxMessageSize) throw tooLarge(len, this.maxMessageSize);
    this.#header(idx, len, REC_WHOLE, this.codec.directTag);
    this.#commitP(tail + recordSize(len), 1, 0);
    return 1;
  }

  /** Encodes off the ring (checked against maxMessageSize). */
  encode(value: unknown, needsV8: boolean): Outgoing {
    const e = this.codec.encode(value, needsV8) as Outgoing;
    if (e.total > this.maxMessageSize) throw tooLarge(e.total, this.maxMessageSize);
    e.sent = 0;
    e.started = false;
    return e;
  }

  /**
   * `m` with bytes of its own, to keep across waits (the caller may reuse a
   * Buffer it passed, and the codec reuses its scratch). Its progress goes
   * along: a copy that lost `sent` would write NaN-sized chunks.
   */
  own(m: Outgoing): Outgoing {
    if (m.owned) return m;
    const owned = ownEncoded(m) as Outgoing;
    owned.sent = m.sent;
    owned.started = m.started;
    return owned;
  }

  /**
   * Writes as much of `m` as fits. Returns true when the whole message is in
   * (committed), false when it must wait for room. A chunked message that has
   * started must be finished (or aborted) before the producer lock is released.
   */
  putEncoded(m: Outgoing): boolean {
    this.#fullBy = 'room';
    if (!m.started && m.total <= this.#wholeMax - REC_HEADER) return this.#putWhole(m);
    return this.#putChunks(m);
  }

  #putWhole(m: Outgoing): boolean {
    const need = recordSize(m.total);
    for (;;) {
      const tail = this.#tail(need);
      const idx = tail & this.#mask;
      const contig = this.capacity - idx;
      if (contig < need) {
        if (this.#free < contig) return false;
        this.#pad(tail, idx, contig);
        continue;
      }
      if (this.#free < need) return false;
      copyParts(m.parts, 0, m.total, this.#data, idx + REC_HEADER);
      this.#header(idx, m.total, REC_WHOLE, m.tag);
      this.#commitP(tail + need, 1, 0);
      return true;
    }
  }

  #putChunks(m: Outgoing): boolean {
    // ABORT_RESERVE bytes always stay free while a message is open, so that
    // it can be closed with an ABORT record whatever happens.
    const ABORT_RESERVE = REC_HEADER;
    for (;;) {
      const tail = this.#tail(this.capacity);
      const idx = tail & this.#mask;
      const contig = this.capacity - idx;
      const head = m.started ? REC_HEADER : REC_HEADER + 8;
      const remaining = m.total - m.sent;
      // No tiny chunks: wait until an eighth of the ring (or the rest) fits.
      const minChunk = Math.min(remaining, this.capacity >> 3);
      if (contig < head + minChunk) {
        if (this.#free - ABORT_RESERVE < contig) return false;
        this.#pad(tail, idx, contig);
        continue;
      }
      const room = Math.min(contig, this.#free - ABORT_RESERVE) - head;
      if (room < minChunk) return false;
      let n = Math.min(room, remaining);
      let kind: number;
      if (!m.started) {
        kind = REC_FIRST;
        if (n === remaining) n--; // a FIRST is always followed by a LAST
        this.#d32[(idx + REC_HEADER) >> 2] = m.total;
        this.#d32[(idx + REC_HEADER + 4) >> 2] = 0;
      } else {
        kind = n === remaining ? REC_LAST : REC_MORE;
      }
      copyParts(m.parts, m.sent, n, this.#data, idx + head);
      const len = head - REC_HEADER + n;
      this.#header(idx, len, kind, m.tag);
      m.sent += n;
      m.started = true;
      this.#commitP(tail + recordSize(len), kind === REC_LAST ? 1 : 0, kind === REC_LAST ? 0 : 1);
      if (kind === REC_LAST) return true;
    }
  }

  /**
   * With the producer lock taken while a chunked message is still open (its
   * producer is gone): closes it with ABORT so consumers drop it.
   */
  closeOpenMessage(): void {
    if (this.#w[W.P_OPEN] !== 0) this.#writeAbort();
  }

  /** Whether `total` payload bytes would surely fit now (chunk headers and a wrap included). */
  fitsNow(total: number): boolean {
    this.#tail(this.capacity);
    return this.#free >= total + 8 * REC_HEADER + (this.capacity >> 3);
  }

  /** Abandons a chunked message this producer has started (timeout, abort, close). */
  abandon(m: Outgoing): void {
    if (m.started && this.#w[W.P_OPEN] !== 0) this.#writeAbort();
    m.started = false;
  }

  #writeAbort(): void {
    const tail = this.#tail(REC_HEADER);
    if (this.#free < REC_HEADER) throw corrupt('no room left for an ABORT record');
    this.#header(tail & this.#mask, 0, REC_ABORT, 0);
    this.#commitP(tail + REC_HEADER, 0, 0);
  }

  #pad(tail: number, idx: number, contig: number): void {
    this.#header(idx, contig - REC_HEADER, REC_PAD, 0);
    this.#commitP(tail + contig, 0, this.#w[W.P_OPEN]!);
  }

  #header(idx: number, len: number, kind: number, tag: number): void {
    this.#d32[idx >> 2] = len;
    this.#d32[(idx >> 2) + 1] = kind | (tag << 8);
  }

  // Publishes a new tail (and count), through the redo record; then wakes
  // consumers if one is asleep. One store is atomic: TAIL, a full barrier
  // that publishes the bytes, the redo record and PRODUCED before it, and
  // orders the ARMED check after it. (Atomics cost ~20 ns each here: V8 does
  // not inline them on a non-shared ArrayBuffer.) The redo words are read only
  // by a lock holder after the writer died, when all its stores are visible.
  #commitP(newTail: number, producedDelta: number, open: number): void {
    const w = this.#w;
    newTail |= 0;
    const produced = (w[W.PRODUCED]! + producedDelta) | 0;
    w[W.P_INTENT_PRODUCED] = produced;
    w[W.P_INTENT_OPEN] = open;
    w[W.P_INTENT] = newTail | 1;
    // PRODUCED before TAIL: a consumer (and its taskDone) never gets ahead of it.
    w[W.PRODUCED] = produced;
    Atomics.store(w, W.TAIL, newTail);
    w[W.P_OPEN] = open;
    w[W.P_INTENT] = 0;
    this.#wake(W.NE_ARMED, W.NE_SEQ);
  }

  // ---- consumers (consumer lock held) ---------------------------------------

  /** After taking the consumer lock from a dead owner: finish its commit. */
  recoverConsumer(): void {
    const w = this.#w;
    const intent = Atomics.load(w, W.C_INTENT);
    if (intent !== 0) {
      Atomics.store(w, W.CONSUMED, w[W.C_INTENT_CONSUMED]!);
      Atomics.store(w, W.HEAD, intent & ~7);
      Atomics.store(w, W.C_INTENT, 0);
    }
    this.#asm = null;
    this.#skipping = false;
    this.#wakeProducers(w[W.HEAD]!);
  }

  /** True while this process holds part of a chunked message (or skips one). */
  get midMessage(): boolean {
    return this.#asm !== null || this.#skipping;
  }

  /** Drops a partly received message (close while receiving). */
  dropPartial(): void {
    this.#asm = null;
  }

  /**
   * Takes the next message: its value, EMPTY, or PARTIAL (part of a chunked
   * message is here, wait for the rest without releasing the lock). Throws
   * ERR_OSIPC_QUEUE_CORRUPT for memory that breaks the layout; a record whose
   * payload fails to decode is dropped (so the queue goes on) and reported.
   */
  take(): unknown {
    const w = this.#w;
    const cap = this.capacity;
    for (;;) {
      const head = w[W.HEAD]!;
      // TAIL is read again only when the last one seen has nothing more.
      let tail = this.#seenTail;
      if (((tail - head) | 0) <= 0) {
        tail = Atomics.load(w, W.TAIL);
        this.#seenTail = tail;
      }
      const used = (tail - head) | 0;
      if (used === 0) return this.#asm !== null || this.#skipping ? PARTIAL : EMPTY;
      if (used < 0 || used > cap || (used & 7) !== 0 || (head & 7) !== 0) {
        this.#asm = null;
        throw corrupt(`positions (head ${head >>> 0}, tail ${tail >>> 0})`);
      }
      const idx = head & this.#mask;
      const contig = cap - idx;
      const len = this.#d32[idx >> 2]! >>> 0;
      const word = this.#d32[(idx >> 2) + 1]!;
      const kind = word & 0xff;
      const tag = (word >> 8) & 0xff;
      if (len > cap || recordSize(len) > used || recordSize(len) > contig) {
        this.#asm = null;
        throw corrupt(`record length ${len} at offset ${idx} (${used} bytes queued)`);
      }
      const size = recordSize(len);
      const start = idx + REC_HEADER;
      switch (kind) {
        case REC_PAD:
          if (size !== contig) throw corrupt(`padding of ${len} bytes at offset ${idx}`);
          this.#commitC(head + size, 0);
          continue;
        case REC_WHOLE: {
          if (this.#asm !== null || this.#skipping) {
            this.#asm = null;
            this.#skipping = false;
            throw corrupt('a whole message inside a chunked one');
          }
          let value: unknown;
          try {
            value = this.codec.decode(tag, this.#data, this.#dv, start, start + len, false);
          } catch (err) {
            this.#commitC(head + size, 1);
            throw undecodable(err);
          }
          this.#commitC(head + size, 1);
          return value;
        }
        case REC_FIRST: {
          if (this.#asm !== null || this.#skipping) {
            this.#asm = null;
            this.#skipping = false;
            throw corrupt('a message starting inside a chunked one');
          }
          const total = len >= 8 ? this.#d32[start >> 2]! >>> 0 : 0;
          if (len < 8 || total > this.maxMessageSize || total < len - 8) {
            throw corrupt(`first chunk of ${len} bytes announcing ${total}`);
          }
          const buf = Buffer.allocUnsafe(total);
          this.#data.copy(buf, 0, start + 8, start + len);
          this.#asm = { buf, total, filled: len - 8, tag };
          this.#commitC(head + size, 0);
          continue;
        }
        case REC_MORE:
        case REC_LAST: {
          const a = this.#asm;
          if (a === null) {
            // Chunks of a message whose first part went to a consumer that
            // died: skip them. That message is lost; it still leaves the count.
            this.#skipping = kind === REC_MORE;
            this.#commitC(head + size, kind === REC_LAST ? 1 : 0);
            continue;
          }
          if (a.filled + len > a.total || (kind === REC_LAST && a.filled + len !== a.total)) {
            this.#asm = null;
            throw corrupt(`chunk of ${len} bytes after ${a.filled} of ${a.total}`);
          }
          this.#data.copy(a.buf, a.filled, start, start + len);
          a.filled += len;
          if (kind === REC_MORE) {
            this.#commitC(head + size, 0);
            continue;
          }
          this.#asm = null;
          this.#commitC(head + size, 1);
          try {
            return this.codec.decode(a.tag, a.buf, new DataView(a.buf.buffer, a.buf.byteOffset, a.total), 0, a.total, true);
          } catch (err) {
            throw undecodable(err);
          }
        }
        case REC_ABORT:
          this.#asm = null;
          this.#skipping = false;
          this.#commitC(head + size, 0);
          continue;
        default:
          this.#asm = null;
          throw corrupt(`record kind ${kind} at offset ${idx}`);
      }
    }
  }

  // As #commitP, for the consumer side.
  #commitC(newHead: number, consumedDelta: number): void {
    const w = this.#w;
    newHead |= 0;
    const consumed = (w[W.CONSUMED]! + consumedDelta) | 0;
    w[W.C_INTENT_CONSUMED] = consumed;
    w[W.C_INTENT] = newHead | 1;
    w[W.CONSUMED] = consumed;
    Atomics.store(w, W.HEAD, newHead);
    w[W.C_INTENT] = 0;
    this.#wakeProducers(newHead);
  }

  // Producers that wait for an item to go wake at once; those that wait for
  // bytes only once a quarter of the ring is free (or after ROOM_WAIT_MS), so
  // that a full ring does not wake its producer for every message taken.
  #wakeProducers(head: number): void {
    const w = this.#w;
    const armed = PLAIN_LOAD_OK ? w[W.NF_ARMED]! : Atomics.load(w, W.NF_ARMED);
    if (armed === 0) return;
    if ((armed & NF_ANY) === 0 && this.capacity - ((w[W.TAIL]! - head) | 0) < this.#lowWater) return;
    if (Atomics.exchange(w, W.NF_ARMED, 0) !== 0) {
      Atomics.add(w, W.NF_SEQ, 1);
      wakeAll(w, W.NF_SEQ);
    }
  }

  // ---- waking ----------------------------------------------------------------

  #wake(armed: number, seq: number): void {
    const w = this.#w;
    // Called after an atomic store (a full barrier on x64, where a plain load
    // then cannot pass it); elsewhere the load itself must be ordered.
    if ((PLAIN_LOAD_OK ? w[armed] : Atomics.load(w, armed)) !== 0 && Atomics.exchange(w, armed, 0) !== 0) {
      Atomics.add(w, seq, 1);
      wakeAll(w, seq);
    }
  }

  /**
   * Whether a producer (consumer) holds the lock, by a plain read of the
   * mutex's state word (docs/interop/sync.md): a hint before tryLock(), which
   * looks up a busy lock's owner in /proc.
   */
  producerBusy(): boolean {
    return this.#w[W.PRODUCER_LOCK] !== 0;
  }

  consumerBusy(): boolean {
    return this.#w[W.CONSUMER_LOCK] !== 0;
  }

  /** The header words, for futex waits (index with W.*). */
  get words(): Int32Array {
    return this.#w;
  }

  /**
   * Arms the "not empty" wake-up. Returns the value to sleep on (W.NE_SEQ), or
   * -1 when something arrived since take() looked: take again instead.
   */
  armNotEmpty(): number {
    const w = this.#w;
    Atomics.store(w, W.NE_ARMED, 1);
    const seq = Atomics.load(w, W.NE_SEQ);
    return Atomics.load(w, W.TAIL) !== this.#seenTail ? -1 : seq;
  }

  /** Whether something arrived since take() looked (a cheap poll). */
  arrived(): boolean {
    return Atomics.load(this.#w, W.TAIL) !== this.#seenTail;
  }

  /**
   * Arms the "not full" wake-up after a failed put. Returns the value to
   * sleep on (W.NF_SEQ), or -1 when it is worth trying again at once. A
   * producer short of bytes sleeps at most ROOM_WAIT_MS (then any room will do).
   */
  armNotFull(): number {
    const w = this.#w;
    if (this.#fullBy === 'count') {
      Atomics.or(w, W.NF_ARMED, NF_ANY);
      const seq = Atomics.load(w, W.NF_SEQ);
      return Atomics.load(w, W.CONSUMED) !== this.#seenConsumed ? -1 : seq;
    }
    Atomics.or(w, W.NF_ARMED, NF_ROOM);
    const seq = Atomics.load(w, W.NF_SEQ);
    const free = this.capacity - ((w[W.TAIL]! - Atomics.load(w, W.HEAD)) | 0);
    return free >= this.#lowWater ? -1 : seq;
  }

  /** Arms the "all tasks done" wake-up; -1 when none is unfinished. */
  armJoin(): number {
    const w = this.#w;
    Atomics.store(w, W.JOIN_ARMED, 1);
    const seq = Atomics.load(w, W.JOIN_SEQ);
    return this.unfinished() === 0 ? -1 : seq;
  }

  /**
   * After take() found nothing: whether PRODUCED says otherwise. A producer
   * that died between its two stores leaves its last message counted but not
   * yet visible, until a lock holder replays its redo record.
   */
  countedButHidden(): boolean {
    const w = this.#w;
    return Atomics.load(w, W.PRODUCED) !== Atomics.load(w, W.CONSUMED);
  }

  /** Whether a producer has a chunked message open (for a consumer mid-message). */
  get producerOpen(): boolean {
    return this.#w[W.P_OPEN] !== 0;
  }
}

function notAQueue(name: string, why: string): OsipcError {
  return new OsipcError(`${name} is not an osipc queue: ${why}`, 'ERR_OSIPC_NOT_A_QUEUE');
}

function tooLarge(size: number, max: number): RangeError {
  const err = new RangeError(`The encoded value is ${size} bytes, over the queue's maxMessageSize (${max})`);
  (err as { code?: string }).code = 'ERR_OSIPC_MESSAGE_TOO_LARGE';
  return err;
}

function undecodable(cause: unknown): OsipcError {
  return new OsipcError(`a message in the queue could not be decoded and was dropped: ${(cause as Error)?.message}`,
    'ERR_OSIPC_QUEUE_CORRUPT', { cause });
}

export { DIRECT_NEEDS_V8, DIRECT_NO_ROOM };
