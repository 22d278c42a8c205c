// Proxies: what m.dict(), m.list()... return. A proxy names one object kept by
// a manager process (its address, authkey and object id) and forwards each
// method call to it over this process's connection to that manager. Every
// method is async. Values go both ways as copies (the V8 serializer, as
// structuredClone): changing a value you got back does not change the stored
// one; set it again. Proxies travel to other processes by handle (as Process
// or Pool arguments, over a Connection, inside another managed object) and
// connect from there on first use.
import { inspect } from 'node:util';
import { QueueEmpty, QueueFull, TimeoutError } from './errors.js';
import { clientFor, type ManagerClient } from './manager-client.js';
import { isKey, type Kind } from './manager-objects.js';
import { kTransfer, registerTransferable, type TransferDescriptor } from './transfer.js';
import {
  throwIfAborted, typeError, validateFunction, validateInteger, validateOptions, validateWaitOptions,
  type WaitOptions,
} from './validate.js';

/** What identifies a managed object, in any process. */
export interface ProxyRef {
  address: string;
  authkey: Uint8Array;
  id: number;
  kind: Kind;
  typecode?: string;
}

const kInternal = Symbol('osipc.ManagerProxy');
const kCall = Symbol('osipc.ManagerProxy.call');

export class BaseProxy {
  readonly #ref: ProxyRef;
  #client: ManagerClient | null = null;

  /** @internal Proxies come from a Manager's factories (m.dict()...). */
  constructor(key: typeof kInternal, ref: ProxyRef) {
    if (key !== kInternal) throw new TypeError('proxies come from a Manager: m.dict(), m.list(), ...');
    this.#ref = ref;
  }

  /** The object's id in its manager. */
  get id(): number {
    return this.#ref.id;
  }

  /** The address of the manager that keeps the object. */
  get address(): string {
    return this.#ref.address;
  }

  /** @internal */
  [kCall](method: string, args: unknown[], signal?: AbortSignal): Promise<unknown> {
    const message = { op: 'call', target: this.#ref.id, method, args };
    if (this.#client !== null) return this.#client.request(message, signal);
    const c = clientFor(this.#ref.address, this.#ref.authkey);
    if (!(c instanceof Promise)) {
      this.#client = c;
      return c.request(message, signal);
    }
    return c.then((client) => {
      this.#client = client;
      return client.request(message, signal);
    });
  }

  [kTransfer](): TransferDescriptor {
    return { kind: 'ManagerProxy', data: { ...this.#ref } };
  }

  [inspect.custom](): string {
    return `${this.constructor.name} { id: ${this.#ref.id}, address: ${JSON.stringify(this.#ref.address)} }`;
  }
}

function checkKey(value: unknown, name = 'key'): void {
  if (!isKey(value)) throw typeError(name, 'a string, number, bigint or boolean', value);
}

/** A dict init or update() argument as [key, value] pairs: a plain object, a Map or an iterable of pairs. */
export function toEntries(value: unknown, name: string): [unknown, unknown][] {
  if (value instanceof Map) {
    const out = [...value.entries()];
    for (const [k] of out) checkKey(k, `${name} key`);
    return out;
  }
  if (typeof value === 'object' && value !== null && typeof (value as Iterable<unknown>)[Symbol.iterator] === 'function') {
    const out: [unknown, unknown][] = [];
    for (const e of value as Iterable<unknown>) {
      if (!Array.isArray(e) || e.length !== 2) throw typeError(name, 'an iterable of [key, value] pairs', e);
      checkKey(e[0], `${name} key`);
      out.push([e[0], e[1]]);
    }
    return out;
  }
  if (typeof value === 'object' && value !== null) return Object.entries(value);
  throw typeError(name, 'a plain object, a Map or an iterable of [key, value] pairs', value);
}

/** A dict kept by a manager (Python's DictProxy). Keys are strings, numbers, bigints or booleans. */
export class DictProxy<V = unknown> extends BaseProxy {
  /** The value for `key`, or `defaultValue` (undefined) when there is none. */
  get(key: unknown, defaultValue?: V): Promise<V | undefined> {
    checkKey(key);
    return this[kCall]('get', [key, defaultValue]) as Promise<V | undefined>;
  }

  set(key: unknown, value: V): Promise<void> {
    checkKey(key);
    return this[kCall]('set', [key, value]) as Promise<void>;
  }

  has(key: unknown): Promise<boolean> {
    checkKey(key);
    return this[kCall]('has', [key]) as Promise<boolean>;
  }

  /** Removes `key`; resolves true when it was there. */
  delete(key: unknown): Promise<boolean> {
    checkKey(key);
    return this[kCall]('delete', [key]) as Promise<boolean>;
  }

  keys(): Promise<unknown[]> {
    return this[kCall]('keys', []) as Promise<unknown[]>;
  }

  values(): Promise<V[]> {
    return this[kCall]('values', []) as Promise<V[]>;
  }

  entries(): Promise<[unknown, V][]> {
    return this[kCall]('entries', []) as Promise<[unknown, V][]>;
  }

  /** Python's name for entries(). */
  items(): Promise<[unknown, V][]> {
    return this.entries();
  }

  size(): Promise<number> {
    return this[kCall]('size', []) as Promise<number>;
  }

  /** Sets every pair of `other` (a plain object, a Map or an iterable of [key, value]), in one step. */
  update(other: Record<string, V> | Map<unknown, V> | Iterable<[unknown, V]>): Promise<void> {
    return this[kCall]('update', [toEntries(other, 'other')]) as Promise<void>;
  }

  /**
   * Removes `key` and resolves with its value; without one, with
   * `defaultValue` if given, else rejects (RemoteError, code ERR_OSIPC_KEY_NOT_FOUND).
   */
  pop(key: unknown, ...defaultValue: [V?]): Promise<V> {
    checkKey(key);
    return this[kCall]('pop', [key, ...defaultValue.slice(0, 1)]) as Promise<V>;
  }

  /** The value for `key`, setting it to `defaultValue` first when there is none (one step). */
  setdefault(key: unknown, defaultValue?: V): Promise<V> {
    checkKey(key);
    return this[kCall]('setdefault', [key, defaultValue]) as Promise<V>;
  }

  clear(): Promise<void> {
    return this[kCall]('clear', []) as Promise<void>;
  }

  /** A copy as a plain object (keys turned into strings). */
  toObject(): Promise<Record<string, V>> {
    return this[kCall]('toObject', []) as Promise<Record<string, V>>;
  }

  /** A copy as a Map (keys as they are). */
  copy(): Promise<Map<unknown, V>> {
    return this[kCall]('copy', []) as Promise<Map<unknown, V>>;
  }
}

function checkIndex(value: unknown, name = 'index'): void {
  validateInteger(value, name);
}

/** A list kept by a manager (Python's ListProxy). Negative indexes count from the end. */
export class ListProxy<T = unknown> extends BaseProxy {
  append(value: T): Promise<void> {
    return this[kCall]('append', [value]) as Promise<void>;
  }

  extend(values: Iterable<T>): Promise<void> {
    if (typeof values !== 'object' || values === null || typeof (values as Iterable<T>)[Symbol.iterator] !== 'function') {
      throw typeError('values', 'an iterable', values);
    }
    return this[kCall]('extend', [[...values]]) as Promise<void>;
  }

  /** The item at `index` (-1: the last); RemoteError ERR_OUT_OF_RANGE past the end. */
  get(index: number): Promise<T> {
    checkIndex(index);
    return this[kCall]('get', [index]) as Promise<T>;
  }

  set(index: number, value: T): Promise<void> {
    checkIndex(index);
    return this[kCall]('set', [index, value]) as Promise<void>;
  }

  length(): Promise<number> {
    return this[kCall]('length', []) as Promise<number>;
  }

  /** Removes and resolves with the item at `index` (default: the last). */
  pop(index?: number): Promise<T> {
    if (index !== undefined) checkIndex(index);
    return this[kCall]('pop', index === undefined ? [] : [index]) as Promise<T>;
  }

  /** Inserts before `index`; past either end inserts at that end (as Python). */
  insert(index: number, value: T): Promise<void> {
    checkIndex(index);
    return this[kCall]('insert', [index, value]) as Promise<void>;
  }

  /** The index of the first item deeply equal to `value`, or -1. */
  index(value: T): Promise<number> {
    return this[kCall]('index', [value]) as Promise<number>;
  }

  /** Removes the first item deeply equal to `value`; resolves true when one was there. */
  remove(value: T): Promise<boolean> {
    return this[kCall]('remove', [value]) as Promise<boolean>;
  }

  /** A copy of items [start, end), as Array.prototype.slice. */
  slice(start?: number, end?: number): Promise<T[]> {
    if (start !== undefined) checkIndex(start, 'start');
    if (end !== undefined) checkIndex(end, 'end');
    return this[kCall]('slice', [start, end]) as Promise<T[]>;
  }

  /** A copy of every item. */
  toArray(): Promise<T[]> {
    return this[kCall]('toArray', []) as Promise<T[]>;
  }

  clear(): Promise<void> {
    return this[kCall]('clear', []) as Promise<void>;
  }
}

function checkName(value: unknown): void {
  if (typeof value !== 'string') throw typeError('name', 'of type string', value);
}

/** A namespace kept by a manager (Python's Namespace): named values. */
export class NamespaceProxy extends BaseProxy {
  /** The value of `name`, undefined when unset. */
  get(name: string): Promise<unknown> {
    checkName(name);
    return this[kCall]('get', [name]);
  }

  set(name: string, value: unknown): Promise<void> {
    checkName(name);
    return this[kCall]('set', [name, value]) as Promise<void>;
  }

  has(name: string): Promise<boolean> {
    checkName(name);
    return this[kCall]('has', [name]) as Promise<boolean>;
  }

  delete(name: string): Promise<boolean> {
    checkName(name);
    return this[kCall]('delete', [name]) as Promise<boolean>;
  }

  /** A copy of every name and value. */
  toObject(): Promise<Record<string, unknown>> {
    return this[kCall]('toObject', []) as Promise<Record<string, unknown>>;
  }
}

/** One value kept by a manager (Python's manager Value). Reads are async: there is no sync `.value`. */
export class ValueProxy<T = unknown> extends BaseProxy {
  readonly #typecode: string;

  /** @internal */
  constructor(key: typeof kInternal, ref: ProxyRef) {
    super(key, ref);
    this.#typecode = ref.typecode ?? '';
  }

  /** The typecode given to m.Value() (kept, as Python does, not enforced). */
  get typecode(): string {
    return this.#typecode;
  }

  get(): Promise<T> {
    return this[kCall]('get', []) as Promise<T>;
  }

  set(value: T): Promise<void> {
    return this[kCall]('set', [value]) as Promise<void>;
  }
}

/**
 * A lock kept by a manager. Held by a process (its connection): only the
 * process that holds it may release it. A holder that exits or dies holding
 * it (SIGKILL included) frees it; the next acquirer gets it with `ownerDied`
 * true, as a Lock in shared memory reports a dead owner.
 */
export class LockProxy extends BaseProxy {
  #ownerDied = false;

  /** True after an acquire that took the lock from a holder that died, until release(). */
  get ownerDied(): boolean {
    return this.#ownerDied;
  }

  /**
   * Waits for the lock: resolves true when acquired, false after `timeout`
   * ms; rejects with AbortError when `signal` fires (a grant that crosses the
   * abort is released).
   */
  async acquire(options?: WaitOptions): Promise<boolean> {
    const { timeout, signal } = validateWaitOptions(options);
    throwIfAborted(signal);
    const [acquired, died] = await this[kCall]('acquire', [timeout], signal) as [boolean, boolean];
    if (acquired) this.#ownerDied = died;
    return acquired;
  }

  /** Takes the lock if it is free, without waiting. */
  tryAcquire(): Promise<boolean> {
    return this.acquire({ timeout: 0 });
  }

  /** Releases the lock; RemoteError ERR_OSIPC_NOT_OWNER unless this process holds it. */
  async release(): Promise<void> {
    await this[kCall]('release', []);
    this.#ownerDied = false;
  }

  /** True when some process holds the lock (a snapshot). */
  locked(): Promise<boolean> {
    return this[kCall]('locked', []) as Promise<boolean>;
  }

  /** Runs `fn` holding the lock, releasing it however fn ends; TimeoutError after `timeout`. */
  async withLock<R>(fn: () => R | Promise<R>, options?: WaitOptions): Promise<R> {
    validateFunction(fn, 'fn');
    validateOptions(options);
    if (!(await this.acquire(options))) throw new TimeoutError('timed out waiting for the Lock');
    try {
      return await fn();
    } finally {
      await this.release();
    }
  }
}

/**
 * A FIFO queue kept by a manager (Python's Manager().Queue()): any process
 * with the proxy puts and gets, Pool workers included.
 */
export class QueueProxy<T = unknown> extends BaseProxy {
  /**
   * Adds `value` at the end, waiting while the queue is full (maxsize): QueueFull
   * after `timeout` ms, AbortError when `signal` fires (a put that lands as
   * the abort comes stays in the queue).
   */
  async put(value: T, options?: WaitOptions): Promise<void> {
    const { timeout, signal } = validateWaitOptions(options);
    throwIfAborted(signal);
    if (!(await this[kCall]('put', [value, timeout], signal))) throw new QueueFull();
  }

  /**
   * Takes the first value, waiting while the queue is empty: QueueEmpty after
   * `timeout` ms, AbortError when `signal` fires (an item taken as the abort
   * comes is put back at the front).
   */
  async get(options?: WaitOptions): Promise<T> {
    const { timeout, signal } = validateWaitOptions(options);
    throwIfAborted(signal);
    const [ok, value] = await this[kCall]('get', [timeout], signal) as [boolean, T?];
    if (!ok) throw new QueueEmpty();
    return value as T;
  }

  /** put() that never waits: QueueFull at once when full. */
  putNowait(value: T): Promise<void> {
    return this.put(value, { timeout: 0 });
  }

  /** get() that never waits: QueueEmpty at once when empty. */
  getNowait(): Promise<T> {
    return this.get({ timeout: 0 });
  }

  /** How many values are queued (a snapshot). */
  qsize(): Promise<number> {
    return this[kCall]('qsize', []) as Promise<number>;
  }

  empty(): Promise<boolean> {
    return this[kCall]('empty', []) as Promise<boolean>;
  }

  full(): Promise<boolean> {
    return this[kCall]('full', []) as Promise<boolean>;
  }
}

/** An event kept by a manager (Python's Manager().Event()): a flag processes wait for. */
export class EventProxy extends BaseProxy {
  set(): Promise<void> {
    return this[kCall]('set', []) as Promise<void>;
  }

  clear(): Promise<void> {
    return this[kCall]('clear', []) as Promise<void>;
  }

  isSet(): Promise<boolean> {
    return this[kCall]('isSet', []) as Promise<boolean>;
  }

  /** Resolves true once the flag is set, false after `timeout` ms; AbortError when `signal` fires. */
  async wait(options?: WaitOptions): Promise<boolean> {
    const { timeout, signal } = validateWaitOptions(options);
    throwIfAborted(signal);
    return await this[kCall]('wait', [timeout], signal) as boolean;
  }
}

const classes = {
  dict: DictProxy, list: ListProxy, namespace: NamespaceProxy, value: ValueProxy, lock: LockProxy, queue: QueueProxy,
  event: EventProxy,
} as const;

/** @internal The proxy for `ref` in this process. */
export function makeProxy(ref: ProxyRef): BaseProxy {
  const C = classes[ref.kind];
  if (C === undefined) throw new TypeError(`unknown managed object kind ${JSON.stringify(ref.kind)}`);
  return new C(kInternal, ref);
}

registerTransferable('ManagerProxy', (data) => {
  const ref = data as ProxyRef;
  return makeProxy({ ...ref, authkey: Buffer.from(ref.authkey) });
});
