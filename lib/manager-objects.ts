// The objects a manager process keeps (lib/child/manager-server.ts) and the
// methods their proxies call. Everything here runs inside the manager process:
// values arrive already copied (deserialized) from the caller and leave as
// copies, so nothing a client holds is ever shared with what is stored.
// Arguments are checked again here: any process with the authkey may send
// anything, and a bad request must fail alone, never break the server.
import { isDeepStrictEqual } from 'node:util';

export type Kind = 'dict' | 'list' | 'namespace' | 'value' | 'lock' | 'queue' | 'event';

/** One client connection (one process): who holds a lock. */
export interface Caller {
  readonly id: number;
}

export interface Served {
  readonly kind: Kind;
  call(method: string, args: unknown[], caller: Caller, requestId: number): unknown;
  /** The caller's connection ended (its process exited or died). */
  dropCaller?(caller: Caller): void;
  /** The caller gave up waiting for request `requestId` (an aborted acquire). */
  cancel?(caller: Caller, requestId: number): void;
  /** The manager stops: settle anything still waiting. */
  stop?(): void;
}

function coded<E extends Error>(err: E, code: string): E {
  (err as { code?: string }).code = code;
  return err;
}

export function unknownMethod(kind: string, method: string): TypeError {
  return coded(new TypeError(`a ${kind} has no method ${JSON.stringify(method)}`), 'ERR_OSIPC_UNKNOWN_METHOD');
}

function argType(name: string, expected: string, value: unknown): TypeError {
  const got = value === null ? 'null' : typeof value;
  return coded(new TypeError(`The "${name}" argument must be ${expected}. Received ${got}`), 'ERR_INVALID_ARG_TYPE');
}

/** Dict keys: primitives, compared by value (objects would compare by identity after copying). */
export function isKey(value: unknown): boolean {
  const t = typeof value;
  return t === 'string' || t === 'number' || t === 'bigint' || t === 'boolean';
}

function key(value: unknown, name = 'key'): unknown {
  if (!isKey(value)) throw argType(name, 'a string, number, bigint or boolean', value);
  return value;
}

function int(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw argType(name, 'an integer', value);
  return value;
}

function array(value: unknown, name: string): unknown[] {
  if (!Array.isArray(value)) throw argType(name, 'an array', value);
  return value;
}

function entries(value: unknown, name: string): [unknown, unknown][] {
  const list = array(value, name);
  for (const e of list) {
    if (!Array.isArray(e) || e.length !== 2) throw argType(name, 'an array of [key, value] pairs', e);
    key(e[0], `${name} key`);
  }
  return list as [unknown, unknown][];
}

function outOfRange(name: string, value: number, length: number): RangeError {
  return coded(new RangeError(`${name} ${value} is out of range for a list of length ${length}`), 'ERR_OUT_OF_RANGE');
}

// ---- dict ----

class ServedDict implements Served {
  readonly kind = 'dict';
  readonly map = new Map<unknown, unknown>();

  constructor(init: unknown) {
    if (init !== undefined) for (const [k, v] of entries(init, 'init')) this.map.set(k, v);
  }

  call(method: string, a: unknown[]): unknown {
    const m = this.map;
    switch (method) {
      case 'get': return m.has(key(a[0])) ? m.get(a[0]) : a[1];
      case 'set': m.set(key(a[0]), a[1]); return undefined;
      case 'has': return m.has(key(a[0]));
      case 'delete': return m.delete(key(a[0]));
      case 'keys': return [...m.keys()];
      case 'values': return [...m.values()];
      case 'entries': return [...m.entries()];
      case 'size': return m.size;
      case 'update': for (const [k, v] of entries(a[0], 'other')) m.set(k, v); return undefined;
      case 'pop': {
        if (m.has(key(a[0]))) {
          const v = m.get(a[0]);
          m.delete(a[0]);
          return v;
        }
        if (a.length > 1) return a[1];
        throw coded(new RangeError(`no key ${String(a[0])} in the dict`), 'ERR_OSIPC_KEY_NOT_FOUND');
      }
      case 'setdefault':
        if (!m.has(key(a[0]))) m.set(a[0], a[1]);
        return m.get(a[0]);
      case 'clear': m.clear(); return undefined;
      case 'copy': return new Map(m);
      case 'toObject': {
        const out: Record<string, unknown> = {};
        for (const [k, v] of m) out[String(k)] = v;
        return out;
      }
      default: throw unknownMethod('dict', method);
    }
  }
}

// ---- list ----

class ServedList implements Served {
  readonly kind = 'list';
  readonly items: unknown[];

  constructor(init: unknown) {
    this.items = init === undefined ? [] : [...array(init, 'init')];
  }

  // Python's indexing: -1 is the last item.
  #index(value: unknown, name: string): number {
    const i = int(value, name);
    const n = this.items.length;
    const j = i < 0 ? i + n : i;
    if (j < 0 || j >= n) throw outOfRange(name, i, n);
    return j;
  }

  call(method: string, a: unknown[]): unknown {
    const items = this.items;
    switch (method) {
      case 'append': items.push(a[0]); return undefined;
      case 'extend': for (const v of array(a[0], 'values')) items.push(v); return undefined;
      case 'get': return items[this.#index(a[0], 'index')];
      case 'set': items[this.#index(a[0], 'index')] = a[1]; return undefined;
      case 'length': return items.length;
      case 'pop': {
        if (items.length === 0) throw coded(new RangeError('pop from an empty list'), 'ERR_OUT_OF_RANGE');
        const i = a[0] === undefined ? items.length - 1 : this.#index(a[0], 'index');
        return items.splice(i, 1)[0];
      }
      case 'insert': {
        // As Python's list.insert: an index past either end inserts at that end.
        const i = int(a[0], 'index');
        const n = items.length;
        items.splice(Math.max(0, Math.min(n, i < 0 ? i + n : i)), 0, a[1]);
        return undefined;
      }
      case 'index': return items.findIndex((v) => isDeepStrictEqual(v, a[0]));
      case 'remove': {
        const i = items.findIndex((v) => isDeepStrictEqual(v, a[0]));
        if (i >= 0) items.splice(i, 1);
        return i >= 0;
      }
      case 'slice': {
        const start = a[0] === undefined ? undefined : int(a[0], 'start');
        const end = a[1] === undefined ? undefined : int(a[1], 'end');
        return items.slice(start, end);
      }
      case 'toArray': return items;
      case 'clear': items.length = 0; return undefined;
      default: throw unknownMethod('list', method);
    }
  }
}

// ---- namespace ----

function attr(value: unknown): string {
  if (typeof value !== 'string') throw argType('name', 'of type string', value);
  return value;
}

class ServedNamespace implements Served {
  readonly kind = 'namespace';
  readonly attrs = new Map<string, unknown>();

  constructor(init: unknown) {
    if (init !== undefined) for (const [k, v] of entries(init, 'init')) this.attrs.set(attr(k), v);
  }

  call(method: string, a: unknown[]): unknown {
    switch (method) {
      case 'get': return this.attrs.get(attr(a[0]));
      case 'set': this.attrs.set(attr(a[0]), a[1]); return undefined;
      case 'has': return this.attrs.has(attr(a[0]));
      case 'delete': return this.attrs.delete(attr(a[0]));
      case 'toObject': return Object.fromEntries(this.attrs);
      default: throw unknownMethod('namespace', method);
    }
  }
}

// ---- value ----

class ServedValue implements Served {
  readonly kind = 'value';
  value: unknown;

  constructor(readonly typecode: string, init: unknown) {
    this.value = init;
  }

  call(method: string, a: unknown[]): unknown {
    switch (method) {
      case 'get': return this.value;
      case 'set': this.value = a[0]; return undefined;
      default: throw unknownMethod('value', method);
    }
  }
}

// ---- lock ----

interface Waiter {
  caller: Caller;
  requestId: number;
  timer: NodeJS.Timeout | undefined;
  settle(result: [acquired: boolean, ownerDied: boolean]): void;
}

/**
 * Held by a connection (a process). When the holder's connection ends while
 * it holds the lock (the process exited or was killed), the lock is freed and
 * the next acquirer is told (ownerDied), as lib/lock.ts does for a dead pid.
 */
class ServedLock implements Served {
  readonly kind = 'lock';
  #holder: Caller | null = null;
  #ownerDied = false;
  #waiters: Waiter[] = [];

  call(method: string, a: unknown[], caller: Caller, requestId: number): unknown {
    switch (method) {
      case 'acquire': {
        const timeout = timeoutArg(a[0]);
        if (this.#holder === null) return this.#take(caller);
        if (timeout === 0) return [false, false];
        return new Promise((resolve) => {
          const w: Waiter = {
            caller, requestId, timer: undefined,
            settle: (r) => {
              if (w.timer) clearTimeout(w.timer);
              resolve(r);
            },
          };
          if (timeout !== Infinity) {
            w.timer = setTimeout(() => this.#remove(w, [false, false]), Math.min(timeout, 2 ** 31 - 1));
          }
          this.#waiters.push(w);
        });
      }
      case 'release':
        if (this.#holder !== caller) {
          throw coded(new Error(this.#holder === null
            ? 'release of an unlocked Lock' : 'the Lock is held by another process'), 'ERR_OSIPC_NOT_OWNER');
        }
        this.#holder = null;
        this.#grantNext();
        return undefined;
      case 'locked': return this.#holder !== null;
      default: throw unknownMethod('lock', method);
    }
  }

  #take(caller: Caller): [boolean, boolean] {
    this.#holder = caller;
    const died = this.#ownerDied;
    this.#ownerDied = false;
    return [true, died];
  }

  #grantNext(): void {
    const w = this.#waiters.shift();
    if (w) w.settle(this.#take(w.caller));
  }

  #remove(w: Waiter, result: [boolean, boolean]): void {
    const i = this.#waiters.indexOf(w);
    if (i >= 0) this.#waiters.splice(i, 1);
    w.settle(result);
  }

  cancel(caller: Caller, requestId: number): void {
    const w = this.#waiters.find((x) => x.caller === caller && x.requestId === requestId);
    if (w) this.#remove(w, [false, false]);
  }

  dropCaller(caller: Caller): void {
    for (const w of this.#waiters.filter((x) => x.caller === caller)) this.#remove(w, [false, false]);
    if (this.#holder === caller) {
      this.#holder = null;
      this.#ownerDied = true;
      this.#grantNext();
    }
  }

  stop(): void {
    for (const w of [...this.#waiters]) this.#remove(w, [false, false]);
  }
}

// ---- queue ----

function timeoutArg(value: unknown): number {
  const timeout = value ?? Infinity;
  if (typeof timeout !== 'number' || Number.isNaN(timeout) || timeout < 0) {
    throw argType('timeout', 'a number >= 0', timeout);
  }
  return timeout;
}

interface QueueWaiter {
  caller: Caller;
  requestId: number;
  timer: NodeJS.Timeout | undefined;
  /** A put's value. */
  value?: unknown;
  settle(result: unknown): void;
}

/**
 * A FIFO queue (Python's manager Queue): get answers [true, value] or [false]
 * when none came in time; put answers true, or false when full for too long.
 * Waiters are served in order.
 */
class ServedQueue implements Served {
  readonly kind = 'queue';
  readonly #items: unknown[] = [];
  readonly #getters: QueueWaiter[] = [];
  readonly #putters: QueueWaiter[] = [];

  constructor(readonly maxsize: number) {}

  #full(): boolean {
    return this.maxsize > 0 && this.#items.length >= this.maxsize;
  }

  call(method: string, a: unknown[], caller: Caller, requestId: number): unknown {
    switch (method) {
      case 'put': {
        const timeout = timeoutArg(a[1]);
        if (this.#putters.length === 0 && !this.#full()) {
          this.#push(a[0]);
          return true;
        }
        if (timeout === 0) return false;
        return this.#wait(this.#putters, caller, requestId, timeout, false, a[0]);
      }
      case 'get': {
        const timeout = timeoutArg(a[0]);
        if (this.#items.length > 0) return [true, this.#shift()];
        if (timeout === 0) return [false];
        return this.#wait(this.#getters, caller, requestId, timeout, [false]);
      }
      case 'unget': // an aborted get's item, given back by its client
        this.#items.unshift(a[0]);
        this.#feedGetters();
        return undefined;
      case 'qsize': return this.#items.length;
      case 'empty': return this.#items.length === 0;
      case 'full': return this.#full();
      default: throw unknownMethod('queue', method);
    }
  }

  #wait(list: QueueWaiter[], caller: Caller, requestId: number, timeout: number, onTimeout: unknown,
    value?: unknown): Promise<unknown> {
    return new Promise((resolve) => {
      const w: QueueWaiter = {
        caller, requestId, timer: undefined, value,
        settle: (r) => {
          if (w.timer) clearTimeout(w.timer);
          resolve(r);
        },
      };
      if (timeout !== Infinity) w.timer = setTimeout(() => this.#remove(list, w, onTimeout), Math.min(timeout, 2 ** 31 - 1));
      list.push(w);
    });
  }

  #remove(list: QueueWaiter[], w: QueueWaiter, result: unknown): void {
    const i = list.indexOf(w);
    if (i >= 0) list.splice(i, 1);
    w.settle(result);
  }

  #push(value: unknown): void {
    this.#items.push(value);
    this.#feedGetters();
  }

  #shift(): unknown {
    const v = this.#items.shift();
    // Room now: the first waiting put goes in.
    while (this.#putters.length > 0 && !this.#full()) {
      const p = this.#putters.shift()!;
      this.#items.push(p.value);
      p.settle(true);
    }
    return v;
  }

  #feedGetters(): void {
    while (this.#getters.length > 0 && this.#items.length > 0) this.#getters.shift()!.settle([true, this.#shift()]);
  }

  cancel(caller: Caller, requestId: number): void {
    const g = this.#getters.find((x) => x.caller === caller && x.requestId === requestId);
    if (g) this.#remove(this.#getters, g, [false]);
    const p = this.#putters.find((x) => x.caller === caller && x.requestId === requestId);
    if (p) this.#remove(this.#putters, p, false);
  }

  dropCaller(caller: Caller): void {
    for (const g of this.#getters.filter((x) => x.caller === caller)) this.#remove(this.#getters, g, [false]);
    for (const p of this.#putters.filter((x) => x.caller === caller)) this.#remove(this.#putters, p, false);
  }

  stop(): void {
    for (const g of [...this.#getters]) this.#remove(this.#getters, g, [false]);
    for (const p of [...this.#putters]) this.#remove(this.#putters, p, false);
  }
}

// ---- event ----

/** A flag that processes wait for (Python's manager Event): wait answers true once set, false on timeout. */
class ServedEvent implements Served {
  readonly kind = 'event';
  #flag = false;
  #waiters: QueueWaiter[] = [];

  call(method: string, a: unknown[], caller: Caller, requestId: number): unknown {
    switch (method) {
      case 'set':
        this.#flag = true;
        for (const w of this.#waiters.splice(0)) w.settle(true);
        return undefined;
      case 'clear': this.#flag = false; return undefined;
      case 'isSet': return this.#flag;
      case 'wait': {
        const timeout = timeoutArg(a[0]);
        if (this.#flag) return true;
        if (timeout === 0) return false;
        return new Promise((resolve) => {
          const w: QueueWaiter = {
            caller, requestId, timer: undefined,
            settle: (r) => {
              if (w.timer) clearTimeout(w.timer);
              resolve(r);
            },
          };
          if (timeout !== Infinity) w.timer = setTimeout(() => this.#remove(w), Math.min(timeout, 2 ** 31 - 1));
          this.#waiters.push(w);
        });
      }
      default: throw unknownMethod('event', method);
    }
  }

  #remove(w: QueueWaiter): void {
    const i = this.#waiters.indexOf(w);
    if (i >= 0) this.#waiters.splice(i, 1);
    w.settle(false);
  }

  cancel(caller: Caller, requestId: number): void {
    const w = this.#waiters.find((x) => x.caller === caller && x.requestId === requestId);
    if (w) this.#remove(w);
  }

  dropCaller(caller: Caller): void {
    for (const w of this.#waiters.filter((x) => x.caller === caller)) this.#remove(w);
  }

  stop(): void {
    for (const w of [...this.#waiters]) this.#remove(w);
  }
}

/** A new object of `kind` from the arguments of the factory (m.dict(init), m.Value(typecode, v)...). */
export function createServed(kind: unknown, args: unknown[]): Served {
  switch (kind) {
    case 'dict': return new ServedDict(args[0]);
    case 'list': return new ServedList(args[0]);
    case 'namespace': return new ServedNamespace(args[0]);
    case 'value':
      if (typeof args[0] !== 'string') throw argType('typecode', 'of type string', args[0]);
      return new ServedValue(args[0], args[1]);
    case 'lock': return new ServedLock();
    case 'event': return new ServedEvent();
    case 'queue': {
      const maxsize = args[0] ?? 0;
      if (typeof maxsize !== 'number' || !Number.isSafeInteger(maxsize)) throw argType('maxsize', 'an integer', maxsize);
      return new ServedQueue(maxsize);
    }
    default: throw coded(new TypeError(`a manager serves no kind ${JSON.stringify(kind)}`), 'ERR_OSIPC_UNKNOWN_KIND');
  }
}
