// The client side of a manager: one Connection per process per manager
// (address), shared by every proxy of that manager in this process, made
// lazily by the first call. Calls are pipelined: each request carries an id
// and the answers, which may come in any order, are matched by it. While no
// call is pending the connection does not keep the process alive.
import type { Connection } from './connection.js';
import { AbortError, ClosedError, OsipcError } from './errors.js';
import { Client } from './listener.js';
import { watchFd, type FdWatch } from './os/pipe.js';
import { remoteError, type ErrorReport } from './process.js';

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
}

interface Answer {
  id: number;
  ok: boolean;
  value?: unknown;
  error?: ErrorReport;
}

export function managerGone(cause?: unknown): OsipcError {
  return new OsipcError('the manager process is gone: its connection ended (it exited, was killed or shut down)',
    'ERR_OSIPC_MANAGER_GONE', { cause });
}

export class ManagerClient {
  readonly #conn: Connection;
  readonly #watch: FdWatch;
  readonly #pending = new Map<number, Pending>();
  // Aborted waits (lock acquire, queue get) whose answer is still to come, by request id.
  readonly #abandoned = new Map<number, { target: number; method: string }>();
  #nextId = 1;
  #error: Error | null = null;
  #endExpected = false;

  constructor(conn: Connection) {
    this.#conn = conn;
    this.#watch = watchFd(conn.fileno());
    this.#watch.unref();
    void this.#readLoop();
  }

  get failed(): boolean {
    return this.#error !== null;
  }

  /** Sends a request; resolves with the answer's value, rejects with a RemoteError or the connection's end. */
  request(message: Record<string, unknown>, signal?: AbortSignal): Promise<unknown> {
    if (this.#error !== null) return Promise.reject(this.#error);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        if (!this.#pending.delete(id)) return;
        this.#idle();
        // The manager may have granted it already: its answer then gives it back.
        this.#abandoned.set(id, { target: message.target as number, method: message.method as string });
        this.#conn.send({ id: this.#nextId++, op: 'cancel', ref: id }).catch(() => {});
        reject(new AbortError(undefined, { cause: signal!.reason }));
      };
      this.#pending.set(id, {
        resolve: (v) => { signal?.removeEventListener('abort', onAbort); resolve(v); },
        reject: (e) => { signal?.removeEventListener('abort', onAbort); reject(e); },
      });
      if (this.#pending.size === 1) this.#watch.ref();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#conn.send({ ...message, id }).catch((err: Error) => this.#settle(id, (p) => p.reject(err)));
    });
  }

  /** The next end of the connection is the manager shutting down, not dying. */
  expectEnd(): void {
    this.#endExpected = true;
  }

  /** Closes the connection; pending and later calls reject with `err`. */
  close(err: Error = new ClosedError('Manager')): void {
    if (this.#error !== null) return;
    this.#error = err;
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    this.#watch.release(); // before the fd goes
    this.#conn.close();
    for (const p of pending) p.reject(err);
  }

  #settle(id: number, fn: (p: Pending) => void): void {
    const p = this.#pending.get(id);
    if (p === undefined) return;
    this.#pending.delete(id);
    this.#idle();
    fn(p);
  }

  #idle(): void {
    if (this.#pending.size === 0 && this.#error === null) this.#watch.unref();
  }

  // A lock granted, or a queue item taken, for a wait its caller abandoned:
  // release the lock, put the item back at the front.
  #giveBack(target: number, method: string, value: unknown): void {
    const back = method === 'acquire' ? { method: 'release', args: [] }
      : method === 'get' ? { method: 'unget', args: [value] } : null;
    if (back !== null) this.#conn.send({ id: this.#nextId++, op: 'call', target, ...back }).catch(() => {});
  }

  async #readLoop(): Promise<void> {
    for (;;) {
      let m: Answer;
      try {
        m = await this.#conn.recv() as Answer;
      } catch (err) {
        this.close(this.#endExpected ? new ClosedError('Manager') : managerGone(err));
        return;
      }
      const gaveUp = this.#abandoned.get(m.id);
      if (gaveUp !== undefined) {
        this.#abandoned.delete(m.id);
        if (m.ok && Array.isArray(m.value) && m.value[0] === true) this.#giveBack(gaveUp.target, gaveUp.method, m.value[1]);
        continue;
      }
      if (m.ok) this.#settle(m.id, (p) => p.resolve(m.value));
      else this.#settle(m.id, (p) => p.reject(remoteError(m.error!)));
    }
  }
}

// address -> this process's client for that manager (or the connect in progress).
interface Entry { client: ManagerClient | null; connecting: Promise<ManagerClient> | null }
const clients = new Map<string, Entry>();

/** Connects (with the handshake) to the manager at `address`. */
export async function connectClient(address: string, authkey: Uint8Array, timeout = 30_000): Promise<ManagerClient> {
  const conn = await Client(address, { authkey, timeout });
  return new ManagerClient(conn);
}

/**
 * Makes `client` this process's connection to `address`: always for a
 * Manager started here, only when there is no working one for connect().
 */
export function registerClient(address: string, client: ManagerClient, replace: boolean): void {
  const e = clients.get(address);
  if (!replace && e !== undefined && (e.connecting !== null || (e.client !== null && !e.client.failed))) return;
  clients.set(address, { client, connecting: null });
}

/** Forgets `client` (a connect()ed Manager closed): later proxy calls connect again. */
export function unregisterClient(address: string, client: ManagerClient): void {
  if (clients.get(address)?.client === client) clients.delete(address);
}

/**
 * This process's client for `address`: the one in use, or a new connection.
 * A connection that ended stays: its calls keep failing with the same error.
 * A connect that failed is forgotten, so the next call tries again.
 */
export function clientFor(address: string, authkey: Uint8Array): ManagerClient | Promise<ManagerClient> {
  const e = clients.get(address);
  if (e?.client) return e.client;
  if (e?.connecting) return e.connecting;
  const entry: Entry = { client: null, connecting: null };
  entry.connecting = connectClient(address, authkey).then((c) => {
    entry.client = c;
    entry.connecting = null;
    return c;
  }, (err) => {
    if (clients.get(address) === entry) clients.delete(address);
    throw err;
  });
  clients.set(address, entry);
  return entry.connecting;
}
