// SysVMessageQueue: a System V message queue (msgget), found by a numeric key
// (often made with ftok) or by its id; messages carry a positive `long` type
// that receivers select on. Exists on Linux and macOS and shows in `ipcs -q`.
//
// System V gives no descriptor to poll and no timed receive. Every form first
// tries once with IPC_NOWAIT. Then the Promise forms wait on the wait service's
// own threads (never the event loop, never libuv's threadpool), retrying
// IPC_NOWAIT with pauses growing from 20 us to 1 ms; the Sync forms retry the
// same way on the calling thread (pauses up to 2 ms) against one deadline, or
// block in msgrcv/msgsnd when the timeout is infinite.
import { readFileSync } from 'node:fs';
import { native } from '../binding.js';
import { AbortError, ClosedError, type SystemError } from '../errors.js';
import { own } from '../ownership.js';
import { kTransfer, registerTransferable, type TransferDescriptor } from '../transfer.js';
import {
  rangeError, throwIfAborted, validateBoolean, validateInteger, validateMode, validateOptions,
  validateString, validateWaitOptions, type WaitOptions,
} from '../validate.js';
import { messageBytes, ReceiveSpace, type MessageData } from './message-bytes.js';

/** The raw fields of msgctl(IPC_STAT), as the binding reports them. */
interface RawStat {
  key: number; mode: number; uid: number; gid: number; cuid: number; cgid: number;
  currentMessages: number; maxBytes: number; currentBytes: number;
  lastSendPid: number; lastReceivePid: number;
  lastSendTime: number; lastReceiveTime: number; lastChangeTime: number;
}

const binding = native as {
  sysvGet(key: number, flags: number): number;
  sysvFtok(path: string, id: number): number;
  sysvStat(qid: number): RawStat;
  sysvRemove(qid: number): void;
  /** 0, -EAGAIN or -ETIMEDOUT. msgbuf = HEADER bytes of type (written here) + text. */
  sysvSend(qid: number, msgbuf: Uint8Array, len: number, type: number, timeoutMs: number): number;
  /** Text length, -EAGAIN or -ETIMEDOUT; the type lands in typeOut[0], the message (8-byte type, then text) at msgbuf[offset..]. */
  sysvReceive(qid: number, msgbuf: Uint8Array, type: number, timeoutMs: number, typeOut: Float64Array, offset?: number): number;
  /** On the wait service: true when sent, null on timeout, 'cancelled' after cancelWait(id). */
  sysvSendAsync(qid: number, data: Uint8Array, type: number, timeoutMs: number): [Promise<true | null | 'cancelled'>, number];
  sysvReceiveAsync(qid: number, cap: number, type: number, timeoutMs: number):
    [Promise<SysVReceivedMessage | null | 'cancelled'>, number];
  cancelWait(id: number): void;
  sysvConstants: Record<'IPC_PRIVATE' | 'IPC_CREAT' | 'IPC_EXCL' | 'HEADER' | 'TYPE_MAX' | 'EAGAIN' | 'ETIMEDOUT', number>;
  makeErrnoError(errno: number, syscall: string, path?: string): SystemError;
};

const C = binding.sysvConstants;
const EIDRM = process.platform === 'darwin' ? 82 : 43;
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/** The largest message type (LONG_MAX, or 2^53 - 1 where a number stops being exact). */
export const SYSV_TYPE_MAX = C.TYPE_MAX;

/** The largest message the system takes, in bytes: /proc/sys/kernel/msgmax (macOS: 2048). */
export function sysvMessageMax(): number {
  try {
    const n = Number(readFileSync('/proc/sys/kernel/msgmax', 'utf8').trim());
    if (Number.isSafeInteger(n) && n > 0) return n;
  } catch {
    // not Linux
  }
  return process.platform === 'linux' ? 8192 : 2048;
}

function keyText(key: number): string {
  return `0x${(key >>> 0).toString(16).padStart(8, '0')}`;
}

function validateKey(value: unknown, name: string): number {
  const key = validateInteger(value, name, INT32_MIN, INT32_MAX);
  if (key === C.IPC_PRIVATE) {
    throw rangeError(name, 'a non-zero key (0 is IPC_PRIVATE: omit the key to create a private queue)', key);
  }
  return key;
}

// Removes queue `id` only while it is still the queue made with `key`: after
// an outside IPC_RMID the id may name someone else's new queue.
function removeIfSame(id: number, key: number): void {
  try {
    if (binding.sysvStat(id).key !== key) return;
  } catch {
    return; // already gone
  }
  binding.sysvRemove(id);
}

/**
 * ftok(3): a System V key from an existing file's inode and device and the low
 * 8 bits of `id` (which must not be 0). Two programs that call ftok with the
 * same path and id get the same key. ENOENT when the path does not exist.
 */
export function ftok(path: string, id: number): number {
  validateString(path, 'path');
  validateInteger(id, 'id', 1, 255);
  return binding.sysvFtok(path, id);
}

export interface SysVMessageQueueCreateOptions {
  /** A key (e.g. from ftok) others open the queue by; omit for IPC_PRIVATE (open by id only). */
  key?: number;
  /** Permission bits; default 0o600. */
  mode?: number;
  /** Leave the queue behind on close and exit instead of removing it. */
  keep?: boolean;
}

export interface SysVSendOptions extends WaitOptions {
  /** The message type, 1 .. SYSV_TYPE_MAX; default 1. */
  type?: number;
}

export interface SysVReceiveOptions extends WaitOptions {
  /** 0 (default): the first message; > 0: the first of that type; < 0: the first of the lowest type <= |type|. */
  type?: number;
}

export interface SysVReceivedMessage {
  data: Buffer;
  type: number;
}

/** msgctl(IPC_STAT), named as in Python's sysv_ipc. */
export interface SysVMessageQueueStat {
  key: number;
  /** Permission bits (msg_perm.mode & 0o777). */
  mode: number;
  uid: number;
  gid: number;
  cuid: number;
  cgid: number;
  /** msg_qnum: messages in the queue. */
  currentMessages: number;
  /** msg_qbytes: the most bytes of text the queue holds. */
  maxBytes: number;
  /** __msg_cbytes: bytes of text in the queue now. */
  currentBytes: number;
  /** msg_lspid / msg_lrpid: the last process to send / receive (0: none yet). */
  lastSendPid: number;
  lastReceivePid: number;
  /** msg_stime / msg_rtime / msg_ctime, or null for never. */
  lastSendTime: Date | null;
  lastReceiveTime: Date | null;
  lastChangeTime: Date | null;
}

function when(seconds: number): Date | null {
  return seconds === 0 ? null : new Date(seconds * 1000);
}

export class SysVMessageQueue {
  #id: number;
  #key: number;
  #ownership: { release(unlinkNow: boolean): void } | null = null;
  #closed = false;
  #removed = false;
  #messageMax: number;
  #tx: Buffer | null = null;
  #rx: ReceiveSpace | null = null;
  #type = new Float64Array(1);
  /** Pending Promise-form waits: close() cancels them. */
  #waits = new Set<(err: Error) => void>();

  private constructor(id: number, key: number, owner: boolean) {
    this.#id = id;
    this.#key = key;
    this.#messageMax = sysvMessageMax();
    if (owner) {
      this.#ownership = own({ kind: 'sysvmq', name: `${keyText(key)}/${id}`, unlink: () => removeIfSame(id, key) });
    }
  }

  /**
   * Creates a new queue: IPC_PRIVATE without a key, else IPC_CREAT | IPC_EXCL
   * (EEXIST when the key is taken). The creator owns it: close() and process
   * exit remove it (IPC_RMID) unless `keep`.
   */
  static create(options?: SysVMessageQueueCreateOptions): SysVMessageQueue {
    const o = validateOptions(options);
    const key = o.key === undefined ? C.IPC_PRIVATE : validateKey(o.key, 'options.key');
    const mode = o.mode === undefined ? 0o600 : validateMode(o.mode, 'options.mode');
    const keep = o.keep === undefined ? false : validateBoolean(o.keep, 'options.keep');
    const flags = C.IPC_CREAT | (key === C.IPC_PRIVATE ? 0 : C.IPC_EXCL) | (mode & 0o777);
    return new SysVMessageQueue(binding.sysvGet(key, flags), key, !keep);
  }

  /** Opens an existing queue by key (never creates: ENOENT when missing). Never removes it. */
  static open(key: number): SysVMessageQueue {
    const k = validateKey(key, 'key');
    return new SysVMessageQueue(binding.sysvGet(k, 0), k, false);
  }

  /** Opens an existing queue by id (as `ipcs -q` shows it; the way to reach a private queue). */
  static fromId(id: number): SysVMessageQueue {
    validateInteger(id, 'id', 0, INT32_MAX);
    const st = binding.sysvStat(id); // EINVAL when no such queue
    return new SysVMessageQueue(id, st.key, false);
  }

  /** The key (0 for an IPC_PRIVATE queue). */
  get key(): number {
    return this.#key;
  }

  /** The queue id (msqid), as `ipcs -q` shows it. */
  get id(): number {
    return this.#id;
  }

  /** The largest message in bytes (/proc/sys/kernel/msgmax when this object was made). */
  get messageMax(): number {
    return this.#messageMax;
  }

  /** True when this process created the queue and will remove it on close or exit. */
  get owner(): boolean {
    return this.#ownership !== null;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Sends one message of `type` (default 1), waiting while the queue is full.
   * Resolves true when sent, false when `timeout` ms passed first.
   */
  send(data: MessageData, options?: SysVSendOptions): Promise<boolean> {
    // Not an async function: the common case (room now) settles without a
    // second Promise; errors still arrive as rejections.
    try {
      const { timeout, signal } = validateWaitOptions(options);
      const type = this.#sendType(options?.type);
      const bytes = this.#bytes(data);
      throwIfAborted(signal);
      if (this.#send(bytes, type, 0)) return Promise.resolve(true);
      if (timeout === 0) return Promise.resolve(false);
      return this.#wait(signal, () => binding.sysvSendAsync(this.#usable('msgsnd'), bytes, type, timeout))
        .then((sent) => sent ?? false);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Sends one message if there is room now; false when the queue is full. */
  trySend(data: MessageData, options?: { type?: number }): boolean {
    const o = validateOptions(options);
    return this.#send(this.#bytes(data), this.#sendType(o.type), 0);
  }

  /**
   * Sends, blocking the thread for at most `timeout` ms (default: for ever).
   * Returns false on timeout.
   */
  sendSync(data: MessageData, options?: { type?: number; timeout?: number }): boolean {
    const timeout = options === undefined ? Infinity : validateWaitOptions(options).timeout;
    const type = this.#sendType(options?.type);
    return this.#send(this.#bytes(data), type, timeout);
  }

  /**
   * Receives one message chosen by `type` (see SysVReceiveOptions), waiting
   * while there is none. Resolves null when `timeout` ms passed first.
   */
  receive(options?: { type?: number; signal?: AbortSignal; timeout?: undefined }): Promise<SysVReceivedMessage>;
  receive(options: SysVReceiveOptions): Promise<SysVReceivedMessage | null>;
  receive(options?: SysVReceiveOptions): Promise<SysVReceivedMessage | null> {
    try {
      const { timeout, signal } = validateWaitOptions(options);
      const type = this.#receiveType(options?.type);
      throwIfAborted(signal);
      const now = this.#receive(type, 0);
      if (now !== null || timeout === 0) return Promise.resolve(now);
      return this.#wait(signal, () => binding.sysvReceiveAsync(this.#usable('msgrcv'), this.#messageMax, type, timeout));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Receives a message chosen by `type` if one is there now; null otherwise. */
  tryReceive(options?: { type?: number }): SysVReceivedMessage | null {
    const o = validateOptions(options);
    return this.#receive(this.#receiveType(o.type), 0);
  }

  /** Receives, blocking the thread for at most `timeout` ms (default: for ever); null on timeout. */
  receiveSync(options?: { type?: number; timeout?: number }): SysVReceivedMessage | null {
    const timeout = options === undefined ? Infinity : validateWaitOptions(options).timeout;
    return this.#receive(this.#receiveType(options?.type), timeout);
  }

  /** msgctl(IPC_STAT): counts, limits, owners, last sender/receiver and times. */
  stat(): SysVMessageQueueStat {
    const s = binding.sysvStat(this.#usable('msgctl'));
    return {
      ...s,
      lastSendTime: when(s.lastSendTime),
      lastReceiveTime: when(s.lastReceiveTime),
      lastChangeTime: when(s.lastChangeTime),
    };
  }

  /**
   * Removes the queue now (msgctl IPC_RMID) for every process: messages in it
   * are discarded and waiting senders and receivers fail with EIDRM.
   */
  remove(): void {
    const id = this.#usable('msgctl');
    this.#removed = true;
    this.#ownership?.release(false);
    this.#ownership = null;
    binding.sysvRemove(id);
  }

  /**
   * Stops using the queue from this object; the creator also removes it
   * (unless `keep`). Pending waits reject with ClosedError. Idempotent.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const cancel of [...this.#waits]) cancel(new ClosedError('SysVMessageQueue'));
    const ownership = this.#ownership;
    this.#ownership = null;
    ownership?.release(true);
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** Travels to other processes by id (which works for private queues too); never owned there. */
  [kTransfer](): TransferDescriptor {
    return { kind: 'SysVMessageQueue', data: { id: this.#usable('msgget') } };
  }

  #usable(syscall: string): number {
    if (this.#closed) throw new ClosedError('SysVMessageQueue');
    if (this.#removed) throw binding.makeErrnoError(EIDRM, syscall, keyText(this.#key));
    return this.#id;
  }

  #sendType(value: unknown): number {
    return value === undefined ? 1 : validateInteger(value, 'options.type', 1, SYSV_TYPE_MAX);
  }

  #receiveType(value: unknown): number {
    return value === undefined ? 0 : validateInteger(value, 'options.type', -SYSV_TYPE_MAX, SYSV_TYPE_MAX);
  }

  #bytes(data: MessageData): Uint8Array {
    const bytes = messageBytes(data);
    if (bytes.byteLength > this.#messageMax) {
      throw rangeError('data', `at most ${this.#messageMax} bytes (/proc/sys/kernel/msgmax, the system's ` +
        `largest System V message)`, `${bytes.byteLength} bytes`);
    }
    return bytes;
  }

  #send(bytes: Uint8Array, type: number, timeout: number): boolean {
    const id = this.#usable('msgsnd');
    this.#tx ??= Buffer.allocUnsafeSlow(C.HEADER + this.#messageMax);
    // Copied on every attempt: another send may have used the buffer meanwhile.
    this.#tx.set(bytes, C.HEADER);
    return binding.sysvSend(id, this.#tx, bytes.byteLength, type, timeout) === 0;
  }

  #receive(type: number, timeout: number): SysVReceivedMessage | null {
    const id = this.#usable('msgrcv');
    const rx = (this.#rx ??= new ReceiveSpace(C.HEADER + this.#messageMax));
    const buf = rx.buffer;
    const at = rx.offset;
    const n = binding.sysvReceive(id, buf, type, timeout, this.#type, at);
    if (n < 0) return null;
    return { data: rx.take(at + C.HEADER, n), type: this.#type[0]! };
  }

  // Runs a wait on the wait service. An abort or close() cancels it; if the
  // job had already sent or taken a message by then, that outcome wins (a
  // message taken from the queue is delivered, never dropped).
  async #wait<T>(signal: AbortSignal | undefined, start: () => [Promise<T | null | 'cancelled'>, number]):
    Promise<T | null> {
    const [promise, id] = start();
    let reason: Error | undefined;
    const cancel = (err: Error): void => {
      reason ??= err;
      binding.cancelWait(id);
    };
    const onAbort = (): void => cancel(new AbortError(undefined, { cause: signal!.reason }));
    this.#waits.add(cancel);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const result = await promise;
      if (result === 'cancelled') throw reason ?? new AbortError();
      return result;
    } finally {
      this.#waits.delete(cancel);
      signal?.removeEventListener('abort', onAbort);
    }
  }
}

registerTransferable('SysVMessageQueue', (data) => SysVMessageQueue.fromId((data as { id: number }).id));
