// The child side of a Pool worker, run as `node [parent's execArgv] dist/child/pool-worker.js`.
// fd 3 is the control channel. Reads the init message, imports the module
// once, runs the initializer, says 'ready', then loops: each task message
// { kind: 'task', id, fn, items, star } runs `fn` once per item (`fn(...item)`
// when star, else `fn(item)`; one item for apply, a chunk for map) and answers { kind: 'done', id, ok,
// values } or { kind: 'done', id, ok: false, error }. End of file on the
// channel (the pool closed it, or the parent died) ends the worker.
import { ControlChannel } from '../control.js';
import { mapAnonymousMemory } from '../os/anonymous-memory.js';
import { fdBinding } from '../os/fd.js';
import { ARENA_FD, ARENA_I32, ARENA_F64, arenaInput, arenaOutput, arenaType, fitsArena, type Numbers } from '../pool-arena.js';
import { isPacked, packNumbers } from '../pool-numbers.js';
import { hasHandles, packHandles, unpackHandles } from '../transfer.js';
import { codedError, report } from './report.js';

const CONTROL_FD = 3;

interface InitMessage {
  kind: 'init';
  module: string;
  initializer: string | null;
  initargs: unknown;
  name: string;
  identity: number[];
  /** Whether fd 4 is the arena (pool-arena.ts). */
  arena: boolean;
}

interface TaskMessage {
  kind: 'task';
  id: number;
  fn: string;
  /**
   * One input per call: its list of arguments when `star`, else the one
   * argument; a chunk of numbers comes as one Int32Array or Float64Array.
   */
  items: unknown[] | Int32Array | Float64Array;
  star: boolean;
  /** Set when the numbers are in arena slot `slot` (then `items` is absent). */
  slot?: number;
  type?: number;
  length?: number;
}

/** What runTask answers: the values, or where in the arena they are. */
type Outcome = { values: unknown } | { type: number; length: number };

type Fn = (...args: unknown[]) => unknown;

function lookup(mod: Record<string, unknown>, href: string, name: string): Fn {
  if (!(name in mod)) throw codedError(`${href} has no export named "${name}"`, 'ERR_OSIPC_NO_EXPORT');
  const f = mod[name];
  if (typeof f !== 'function') {
    throw codedError(`export "${name}" of ${href} is not a function (it is ${f === null ? 'null' : typeof f})`,
      'ERR_OSIPC_NOT_A_FUNCTION');
  }
  return f as Fn;
}

let indexLoaded = false;
/** Chunks of plain numbers and strings skip the handle walks (map's hot path). */
function allPrimitive(items: unknown[]): boolean {
  for (let i = 0; i < items.length; i++) {
    const v = items[i];
    if (typeof v === 'object' && v !== null) return false;
  }
  return true;
}

async function unpack(value: unknown): Promise<unknown> {
  // The package root registers every transferable kind; load it only when needed.
  if (!indexLoaded && hasHandles(value)) {
    await import('../index.js');
    indexLoaded = true;
  }
  return unpackHandles(value, []);
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as PromiseLike<unknown>).then === 'function';
}

const NONE = Symbol('none');

/**
 * A numeric chunk's common case: every result an int32. Calls `f` on each
 * number in a loop of its own (one kind of input, fast loads) and packs the
 * results as they come, with no JS array per chunk. Stops at the first result
 * that is not an int32 (a thenable, a double, -0, anything else), handing it
 * back with its index: the general loop goes on from there.
 */
function callOnNumbers(f: Fn, items: Int32Array | Float64Array, ints: Int32Array): { stop: number; value: unknown } {
  for (let i = 0; i < items.length; i++) {
    const v = f(items[i]);
    if (typeof v !== 'number' || (v | 0) !== v || (v === 0 && 1 / v < 0)) return { stop: i, value: v };
    ints[i] = v;
  }
  return { stop: items.length, value: NONE };
}

let arena: ArrayBuffer | null = null;

async function runTask(mod: Record<string, unknown>, href: string, t: TaskMessage): Promise<Outcome> {
  const f = lookup(mod, href, t.fn);
  const slot = t.slot;
  let items: unknown[] | Numbers;
  if (slot !== undefined) {
    if (arena === null || (t.type !== ARENA_I32 && t.type !== ARENA_F64)) throw codedError('bad arena task', 'ERR_OSIPC_PROTOCOL');
    items = arenaInput(arena, slot, t.type, t.length!);
  } else {
    items = isPacked(t.items) || allPrimitive(t.items) ? t.items : await unpack(t.items) as unknown[];
  }
  const values: unknown[] = new Array(items.length);
  let i = 0;
  let next: unknown = NONE;   // a result already computed for index i
  if (isPacked(items)) {
    // int32 results go straight to the slot's output region (or a new array).
    const ints = slot !== undefined ? arenaOutput(arena!, slot, ARENA_I32, items.length) as Int32Array
      : new Int32Array(items.length);
    const r = callOnNumbers(f, items, ints);
    if (r.stop === items.length) return slot !== undefined ? { type: ARENA_I32, length: items.length } : { values: ints };
    for (; i < r.stop; i++) values[i] = ints[i];
    next = r.value;
  }
  for (; i < items.length; i++) {
    let v = next !== NONE ? next : t.star ? f(...(items[i] as unknown[])) : f(items[i]);
    next = NONE;
    // Only a thenable is awaited: a sync function's chunk runs without microtask hops.
    if (isThenable(v)) v = await v;
    values[i] = v;
  }
  const numbers = packNumbers(values);
  if (numbers !== null) {
    if (slot === undefined || !fitsArena(numbers)) return { values: numbers };
    const type = arenaType(numbers);
    arenaOutput(arena!, slot, type, numbers.length).set(numbers);
    return { type, length: numbers.length };
  }
  if (allPrimitive(values)) return { values };
  const packed = packHandles(values);
  if (packed.fds.length > 0) {
    throw codedError('the returned value holds file descriptors (pipes, sockets); a pool task cannot return them',
      'ERR_OSIPC_NOT_RETURNABLE');
  }
  return { values: packed.value };
}

async function main(): Promise<void> {
  fdBinding.setCloseOnExec(CONTROL_FD, true);
  const channel = new ControlChannel(CONTROL_FD);
  const init = channel.receiveSync() as InitMessage;
  if (init.arena) {
    try {
      arena = mapAnonymousMemory(ARENA_FD);
    } catch {
      arena = null; // no room to map it (RLIMIT_AS, map count): 'ready' says so, numbers take the socket
    }
    // The mapping outlives the fd: nothing else needs fd 4.
    fdBinding.close(ARENA_FD);
  }
  (globalThis as Record<symbol, unknown>)[Symbol.for('osipc.currentProcess')] =
    { name: init.name, daemon: true, identity: init.identity, counter: 0 };

  let mod: Record<string, unknown>;
  try {
    mod = await import(init.module) as Record<string, unknown>;
    if (init.initializer !== null) {
      const initializer = lookup(mod, init.module, init.initializer);
      await initializer(...(await unpack(init.initargs) as unknown[]));
    }
  } catch (err) {
    try {
      channel.sendSync({ kind: 'failed', error: report(err) });
    } catch { /* the parent is gone */ }
    process.exit(1);
  }

  // Tasks run one after another, in the order they came.
  let queue: Promise<void> = Promise.resolve();
  channel.startReading((m) => {
    const t = m as TaskMessage;
    if (t.kind !== 'task') return;
    queue = queue.then(async () => {
      let answer: Record<string, unknown>;
      try {
        answer = { kind: 'done', id: t.id, ok: true, ...await runTask(mod, init.module, t) };
      } catch (err) {
        answer = { kind: 'done', id: t.id, ok: false, error: report(err) };
      }
      try {
        await channel.send(answer);
      } catch (err) {
        // A value the serializer cannot carry: say so instead of the value.
        if (answer.ok) await channel.send({ kind: 'done', id: t.id, ok: false, error: report(err) });
      }
    });
  }, () => {
    // The pool is done with us (or the parent died): finish quietly.
    void queue.finally(() => process.exit(0));
  });
  channel.setRef(true);
  channel.sendSync({ kind: 'ready', arena: arena !== null });
}

void main();
