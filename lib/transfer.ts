// How osipc objects travel to another process (as Process args, Pool task args,
// or over a Connection): by handle, never by copy. An object describes itself
// with [kTransfer]() (a kind, v8-serializable data, and the fds it needs); the
// receiving process rebuilds a working object with the rebuilder registered for
// that kind. Named objects send their name; pipes and sockets send their fds,
// which arrive by inheritance (Process) or SCM_RIGHTS (Connection).

/** Implemented by every osipc object that can be sent to another process. */
export const kTransfer: unique symbol = Symbol.for('osipc.transfer') as never;

export interface TransferDescriptor {
  /** Names the rebuilder, e.g. 'Value', 'Connection'. */
  kind: string;
  /** Anything the v8 serializer can carry: a name, a typecode, options. */
  data?: unknown;
  /** File descriptors in the sending process; the receiver gets its own copies, in order. */
  fds?: number[];
}

export interface Transferable {
  [kTransfer](): TransferDescriptor;
}

/** Rebuilds an object in the receiving process; `fds` are the receiver's own. */
export type Rebuilder = (data: unknown, fds: number[]) => unknown;

const rebuilders = new Map<string, Rebuilder>();

export function registerTransferable(kind: string, rebuild: Rebuilder): void {
  rebuilders.set(kind, rebuild);
}

export function isTransferable(value: unknown): value is Transferable {
  return typeof value === 'object' && value !== null &&
    typeof (value as Partial<Transferable>)[kTransfer] === 'function';
}

// The marker a transferable is replaced by. A string key, because the v8
// serializer keeps neither symbols nor prototypes.
const MARK = '__osipcHandle__';
interface Marker {
  [MARK]: { kind: string; data: unknown; fds: number[] };
}

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * Replaces every osipc object inside `value` (through arrays, plain objects,
 * Maps and Sets) with a marker, and collects the fds they need. Values without
 * osipc objects come back as they were, unchanged.
 */
export function packHandles(value: unknown): { value: unknown; fds: number[] } {
  const fds: number[] = [];
  const seen = new Map<object, unknown>();

  const walk = (v: unknown): unknown => {
    if (typeof v !== 'object' || v === null) return v;
    if (seen.has(v)) return seen.get(v);
    if (isTransferable(v)) {
      const d = v[kTransfer]();
      const indexes = (d.fds ?? []).map((fd) => fds.push(fd) - 1);
      const marker: Marker = { [MARK]: { kind: d.kind, data: d.data, fds: indexes } };
      seen.set(v, marker);
      return marker;
    }
    seen.set(v, v); // cycles through this value keep the original
    let out: unknown = v;
    if (Array.isArray(v)) {
      const items = v.map(walk);
      if (items.some((x, i) => x !== v[i])) out = items;
    } else if (v instanceof Map) {
      const copy = new Map();
      let changed = false;
      for (const [k, x] of v) {
        const k2 = walk(k), x2 = walk(x);
        if (k2 !== k || x2 !== x) changed = true;
        copy.set(k2, x2);
      }
      if (changed) out = copy;
    } else if (v instanceof Set) {
      const items = [...v].map(walk);
      if (items.some((x, i) => x !== [...v][i])) out = new Set(items);
    } else if (isPlainObject(v)) {
      const rec = v as Record<string, unknown>;
      let changed = false;
      const copy: Record<string, unknown> = {};
      for (const key of Object.keys(rec)) {
        copy[key] = walk(rec[key]);
        if (copy[key] !== rec[key]) changed = true;
      }
      if (changed) out = copy;
    }
    seen.set(v, out);
    return out;
  };

  return { value: walk(value), fds };
}

/** Rebuilds the osipc objects that packHandles replaced; `fds` are the receiver's. */
export function unpackHandles(value: unknown, fds: number[]): unknown {
  const walk = (v: unknown): unknown => {
    if (typeof v !== 'object' || v === null) return v;
    if (Object.hasOwn(v, MARK)) {
      const m = (v as Marker)[MARK];
      const rebuild = rebuilders.get(m.kind);
      if (!rebuild) throw new TypeError(`cannot rebuild an osipc object of kind "${m.kind}"`);
      return rebuild(m.data, m.fds.map((i) => fds[i]!));
    }
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) v[i] = walk(v[i]);
    } else if (v instanceof Map) {
      for (const [k, x] of v) v.set(k, walk(x));
    } else if (v instanceof Set) {
      const items = [...v].map(walk);
      v.clear();
      for (const x of items) v.add(x);
    } else if (isPlainObject(v)) {
      const rec = v as Record<string, unknown>;
      for (const key of Object.keys(rec)) rec[key] = walk(rec[key]);
    }
    return v;
  };
  return walk(value);
}

/** True when `value` holds a marker that packHandles put there. */
export function hasHandles(value: unknown): boolean {
  const seen = new Set<object>();
  const walk = (v: unknown): boolean => {
    if (typeof v !== 'object' || v === null || seen.has(v)) return false;
    seen.add(v);
    if (Object.hasOwn(v, MARK)) return true;
    if (Array.isArray(v)) return v.some(walk);
    if (v instanceof Map) return [...v].some(([k, x]) => walk(k) || walk(x));
    if (v instanceof Set) return [...v].some(walk);
    return isPlainObject(v) && Object.values(v).some(walk);
  };
  return walk(value);
}
