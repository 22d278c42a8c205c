// MessageQueue: a POSIX message queue (mq_open) by name, the kernel's own
// priority queue of byte messages that C and Python programs open by the same
// name. On Linux the descriptor is a file descriptor: the Promise forms wait on
// libuv's loop (FdPoller) and retry the non-blocking call, so a pending wait
// costs no thread. macOS has no POSIX message queues (see SysVMessageQueue).
import { native } from '../binding.js';
import { ClosedError, notSupported, type SystemError } from '../errors.js';
import { announce, own } from '../ownership.js';
import { kTransfer, registerTransferable, type TransferDescriptor } from '../transfer.js';
import {
  defaultIpcName, invalidArg, rangeError, throwIfAborted, validateBoolean, validateInteger,
  validateIpcName, validateMode, validateOptions, validateWaitOptions, type WaitOptions,
} from '../validate.js';
import { messageBytes, ReceiveSpace, type MessageData } from './message-bytes.js';
import { explainMqOpenError, mqDefaults, type MqLimitError } from './mq-limits.js';
import { FdPoller, READABLE, WRITABLE } from './poller.js';

const binding = native as {
  mqOpen(name: string, oflag: number, mode: number, maxMessages: number, messageSize: number): number;
  mqClose(mqd: number): void;
  mqUnlink(name: string): void;
  mqUnlinkIfSame(name: string, mqd: number): boolean;
  mqGetAttributes(mqd: number): MessageQueueAttributes;
  /** 0, -EAGAIN or -ETIMEDOUT. timeoutMs 0 = one try, Infinity = for ever. */
  mqSend(mqd: number, data: Uint8Array, priority: number, timeoutMs: number): number;
  /** Length + priority * 2^32 (the message lands at buf[offset..]), -EAGAIN or -ETIMEDOUT. */
  mqReceive(mqd: number, buf: Uint8Array, offset: number, timeoutMs: number): number;
  mqConstants: Record<'MQ_PRIO_MAX' | 'O_RDONLY' | 'O_WRONLY' | 'O_RDWR' | 'O_CREAT' | 'O_EXCL' |
    'O_NONBLOCK' | 'EAGAIN' | 'ETIMEDOUT', number>;
};

const C = binding.mqConstants;
const supported = process.platform === 'linux';

/** Priorities run from 0 to MQ_PRIO_MAX - 1 (32767 on Linux); higher is received first. */
export const MQ_PRIO_MAX = C.MQ_PRIO_MAX;

export interface MessageQueueCreateOptions {
  /** `/name`; default a fresh `/osipc-<pid>-<hex>`. */
  name?: string;
  /** Depth; default the system's (msg_default, at most /proc/sys/fs/mqueue/msg_max). */
  maxMessages?: number;
  /** Largest message in bytes; default the system's (msgsize_default, at most msgsize_max). */
  messageSize?: number;
  /** Permission bits (the umask applies); default 0o600. */
  mode?: number;
  /** Leave the queue behind on close and exit instead of unlinking it. */
  keep?: boolean;
}

export interface MessageQueueOpenOptions {
  /** Open for receiving only (O_RDONLY). */
  readonly?: boolean;
  /** Open for sending only (O_WRONLY). */
  writeonly?: boolean;
}

export interface MessageQueueAttributes {
  /** mq_maxmsg: how many messages the queue holds. */
  maxMessages: number;
  /** mq_msgsize: the largest message in bytes. */
  messageSize: number;
  /** mq_curmsgs: messages in the queue now. */
  currentMessages: number;
  /** mq_flags of this descriptor (O_NONBLOCK: osipc always waits by polling). */
  flags: number;
}

export interface SendOptions extends WaitOptions {
  /** 0 (default) .. MQ_PRIO_MAX - 1; higher priorities are received first. */
  priority?: number;
}

export interface ReceivedMessage {
  data: Buffer;
  priority: number;
}

interface Resource {
  fd: number;
  poller: FdPoller | null;
}

// Queues dropped without close(): close their descriptor (poller first). An
// owner's descriptor is held by its ownership entry until close() or exit,
// which unlinks by it, so owners are not registered here.
const finalizer = new FinalizationRegistry<Resource>((res) => closeResource(res));

function closeResource(res: Resource): void {
  if (res.fd < 0) return;
  res.poller?.close();
  res.poller = null;
  const fd = res.fd;
  res.fd = -1;
  binding.mqClose(fd);
}

// Queues with a pending Promise wait stay reachable, so a wait the caller
// still awaits is never cut short by garbage collection.
const waiting = new Set<MessageQueue>();

// The options of a call made without any (no object made per call).
const NO_OPTIONS: { timeout: number; signal: AbortSignal | undefined } = Object.freeze({ timeout: Infinity, signal: undefined });

function validatePriority(value: unknown): number {
  return validateInteger(value, 'options.priority', 0, MQ_PRIO_MAX - 1);
}

export class MessageQueue {
  #res: Resource;
  #name: string;
  #ownership: { release(unlinkNow: boolean): void } | null = null;
  #messageSize: number;
  #maxMessages: number;
  #mode: 'rw' | 'r' | 'w';
  #rx: ReceiveSpace | null = null;
  #pending = 0;

  private constructor(fd: number, name: string, owner: boolean, mode: 'rw' | 'r' | 'w') {
    const res: Resource = { fd, poller: null };
    this.#res = res;
    this.#name = name;
    this.#mode = mode;
    const attr = binding.mqGetAttributes(fd);
    this.#messageSize = attr.messageSize;
    this.#maxMessages = attr.maxMessages;
    if (owner) {
      // Unlinks only while the name still names this queue (same inode).
      this.#ownership = own({ kind: 'mq', name, unlink: () => { if (res.fd >= 0) binding.mqUnlinkIfSame(name, res.fd); } });
    } else {
      finalizer.register(this, res, this);
    }
  }

  /**
   * Creates a new queue (O_CREAT | O_EXCL: EEXIST when the name is taken).
   * The creator owns it: close() and process exit unlink it unless `keep`.
   */
  static create(options?: MessageQueueCreateOptions): MessageQueue {
    const o = validateOptions(options);
    const name = o.name === undefined ? defaultIpcName() : validateIpcName(o.name, 'options.name');
    const defaults = mqDefaults();
    const maxMessages = o.maxMessages === undefined ? defaults.maxMessages
      : validateInteger(o.maxMessages, 'options.maxMessages', 1, 2 ** 31 - 1);
    const messageSize = o.messageSize === undefined ? defaults.messageSize
      : validateInteger(o.messageSize, 'options.messageSize', 1, 2 ** 31 - 1);
    const mode = o.mode === undefined ? 0o600 : validateMode(o.mode, 'options.mode');
    const keep = o.keep === undefined ? false : validateBoolean(o.keep, 'options.keep');
    if (!supported) throw notSupported('mq_open', 'use SysVMessageQueue, which macOS has');
    // A random name is told to the tracker first: a SIGKILL mid-create leaves nothing.
    const announced = o.name === undefined && !keep ? announce('mq', name) : null;
    let fd: number;
    try {
      fd = binding.mqOpen(name, C.O_RDWR | C.O_CREAT | C.O_EXCL, mode, maxMessages, messageSize);
    } catch (err) {
      announced?.withdraw();
      throw explainMqOpenError(err as MqLimitError, maxMessages, messageSize);
    }
    return new MessageQueue(fd, name, !keep, 'rw');
  }

  /** Opens an existing queue by name (never creates: ENOENT when missing). Never unlinks it. */
  static open(name: string, options?: MessageQueueOpenOptions): MessageQueue {
    validateIpcName(name, 'name');
    const o = validateOptions(options);
    const readonly = o.readonly === undefined ? false : validateBoolean(o.readonly, 'options.readonly');
    const writeonly = o.writeonly === undefined ? false : validateBoolean(o.writeonly, 'options.writeonly');
    if (readonly && writeonly) throw invalidArg('options', 'readonly and writeonly exclude each other');
    if (!supported) throw notSupported('mq_open', 'use SysVMessageQueue, which macOS has');
    const flag = readonly ? C.O_RDONLY : writeonly ? C.O_WRONLY : C.O_RDWR;
    const fd = binding.mqOpen(name, flag, 0, 0, 0);
    return new MessageQueue(fd, name, false, readonly ? 'r' : writeonly ? 'w' : 'rw');
  }

  /** Removes a queue's name (mq_unlink); processes that have it open keep using it. */
  static unlink(name: string): void {
    validateIpcName(name, 'name');
    if (!supported) throw notSupported('mq_unlink', 'use SysVMessageQueue, which macOS has');
    binding.mqUnlink(name);
  }

  get name(): string {
    return this.#name;
  }

  /** The largest message this queue takes, in bytes (mq_msgsize). */
  get messageSize(): number {
    return this.#messageSize;
  }

  /** How many messages the queue holds (mq_maxmsg). */
  get maxMessages(): number {
    return this.#maxMessages;
  }

  /** True when this process created the queue and will unlink it on close or exit. */
  get owner(): boolean {
    return this.#ownership !== null;
  }

  get closed(): boolean {
    return this.#res.fd < 0;
  }

  /** The descriptor (an fd on Linux), for poll/epoll users. -1 after close(). */
  get fd(): number {
    return this.#res.fd;
  }

  /** mq_getattr: depth, message size, messages queued now, flags. */
  get attributes(): MessageQueueAttributes {
    return binding.mqGetAttributes(this.#fd());
  }

  /**
   * Sends one message, waiting while the queue is full. Resolves true when
   * sent, false when `timeout` ms passed first; rejects with an AbortError
   * when `signal` fires and with ClosedError when the queue is closed meanwhile.
   */
  send(data: MessageData, options?: SendOptions): Promise<boolean> {
    // Not an async function: the common case (room now) settles without a
    // second Promise; errors still arrive as rejections.
    try {
      const { timeout, signal } = options === undefined ? NO_OPTIONS : validateWaitOptions(options);
      const priority = options?.priority == null ? 0 : validatePriority(options.priority);
      const bytes = this.#bytes(data);
      throwIfAborted(signal);
      if (this.#send(bytes, priority, 0)) return Promise.resolve(true);
      if (timeout === 0) return Promise.resolve(false);
      return this.#waitLoop(WRITABLE, timeout, signal, () => this.#send(bytes, priority, 0) || null)
        .then((sent) => sent ?? false);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Sends one message if there is room now; false when the queue is full. */
  trySend(data: MessageData, options?: { priority?: number }): boolean {
    const o = validateOptions(options);
    const priority = validatePriority(o.priority ?? 0);
    return this.#send(this.#bytes(data), priority, 0);
  }

  /**
   * Sends one message, blocking the thread while the queue is full, for at
   * most `timeout` ms (default: for ever). Returns false on timeout.
   */
  sendSync(data: MessageData, options?: { priority?: number; timeout?: number }): boolean {
    if (options === undefined) return this.#send(this.#bytes(data), 0, Infinity);
    const { timeout } = validateWaitOptions(options);
    const priority = validatePriority(options.priority ?? 0);
    return this.#send(this.#bytes(data), priority, timeout);
  }

  /**
   * Receives the oldest message of the highest priority, waiting while the
   * queue is empty. Resolves null when `timeout` ms passed first.
   */
  receive(options?: { signal?: AbortSignal; timeout?: undefined }): Promise<ReceivedMessage>;
  receive(options: WaitOptions): Promise<ReceivedMessage | null>;
  receive(options?: WaitOptions): Promise<ReceivedMessage | null> {
    try {
      const { timeout, signal } = options === undefined ? NO_OPTIONS : validateWaitOptions(options);
      this.#fd();
      throwIfAborted(signal);
      const now = this.#receive(0);
      if (now !== null || timeout === 0) return Promise.resolve(now);
      return this.#waitLoop(READABLE, timeout, signal, () => this.#receive(0));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Receives a message if one is there now; null when the queue is empty. */
  tryReceive(): ReceivedMessage | null {
    return this.#receive(0);
  }

  /** Receives, blocking the thread for at most `timeout` ms (default: for ever); null on timeout. */
  receiveSync(options?: { timeout?: number }): ReceivedMessage | null {
    return this.#receive(options === undefined ? Infinity : validateWaitOptions(options).timeout);
  }

  /** Closes this descriptor; the creator also unlinks the name (unless `keep`). Idempotent. */
  close(): void {
    const res = this.#res;
    if (res.fd < 0) return;
    finalizer.unregister(this);
    const ownership = this.#ownership;
    this.#ownership = null;
    try {
      ownership?.release(true);
    } finally {
      closeResource(res);
    }
  }

  /**
   * Removes the name now (mq_unlink): nobody can open it any more, while
   * every process that has it open keeps using it. ENOENT when already gone.
   */
  unlink(): void {
    this.#fd();
    this.#ownership?.release(false);
    this.#ownership = null;
    binding.mqUnlink(this.#name);
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** Travels to other processes by name; the receiver opens it (and never owns it). */
  [kTransfer](): TransferDescriptor {
    this.#fd();
    return { kind: 'MessageQueue', data: { name: this.#name, mode: this.#mode } };
  }

  #fd(): number {
    const fd = this.#res.fd;
    if (fd < 0) throw new ClosedError('MessageQueue');
    return fd;
  }

  #bytes(data: MessageData): Uint8Array {
    const bytes = messageBytes(data);
    if (bytes.byteLength > this.#messageSize) {
      throw rangeError('data', `at most the queue's messageSize (${this.#messageSize} bytes; ` +
        `mq_send would fail with EMSGSIZE)`, `${bytes.byteLength} bytes`);
    }
    return bytes;
  }

  #send(bytes: Uint8Array, priority: number, timeout: number): boolean {
    return binding.mqSend(this.#fd(), bytes, priority, timeout) === 0;
  }

  #receive(timeout: number): ReceivedMessage | null {
    const fd = this.#fd();
    const rx = (this.#rx ??= new ReceiveSpace(this.#messageSize));
    const buf = rx.buffer;
    const at = rx.offset;
    const r = binding.mqReceive(fd, buf, at, timeout);
    if (r < 0) return null;
    const n = r % 4294967296;
    return { data: rx.take(at, n), priority: (r - n) / 4294967296 };
  }

  // After a first attempt failed: waits for `events` on the descriptor and
  // tries again (readiness is a hint: another process may win the race) until
  // one deadline passes. null means timed out.
  async #waitLoop<T>(events: number, timeout: number, signal: AbortSignal | undefined,
    attempt: () => T | null): Promise<T | null> {
    const deadline = performance.now() + timeout;
    if (this.#pending++ === 0) waiting.add(this);
    try {
      for (;;) {
        const left = timeout === Infinity ? Infinity : deadline - performance.now();
        if (left <= 0) return null;
        const res = this.#res;
        res.poller ??= new FdPoller(this.#fd());
        try {
          await res.poller.wait(events, left, signal);
        } catch (err) {
          // close() while waiting closes the poller: report the close itself.
          if (res.fd < 0 && (err as SystemError).code === 'EBADF') throw new ClosedError('MessageQueue');
          throw err;
        }
        const got = attempt();
        if (got !== null) return got;
      }
    } finally {
      if (--this.#pending === 0) waiting.delete(this);
    }
  }
}

registerTransferable('MessageQueue', (data) => {
  const { name, mode } = data as { name: string; mode: 'rw' | 'r' | 'w' };
  return MessageQueue.open(name, { readonly: mode === 'r', writeonly: mode === 'w' });
});
