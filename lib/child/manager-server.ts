// The manager process: a fresh node started by Manager.start() with osipc's
// Process (daemon: it dies with its parent), running serve(). It listens on
// an AF_UNIX Listener with the manager's authkey and serves the objects of
// lib/manager-objects.ts to every connection. Requests on one connection are
// handled as they come and answered by id, so a lock acquire that waits does
// not hold up the calls behind it.
//
// Request:  { id, op: 'create', kind, args } | { id, op: 'call', target, method, args }
//           | { id, op: 'cancel', ref } | { id, op: 'hello' } | { id, op: 'shutdown' }
// Response: { id, ok: true, value } | { id, ok: false, error: report(err) }
import '../index.js'; // every transferable kind: stored values may hold osipc objects
import type { Connection } from '../connection.js';
import { authenticateClient, Listener } from '../listener.js';
import { createServed, type Caller, type Served } from '../manager-objects.js';
import { report } from './report.js';

interface Request {
  id: number;
  op: string;
  kind?: unknown;
  target?: unknown;
  method?: unknown;
  args?: unknown;
  ref?: unknown;
}

// A client that stalls in the handshake is dropped after this.
const HANDSHAKE_MS = 10_000;

function protocolError(message: string): TypeError {
  const err = new TypeError(message);
  (err as { code?: string }).code = 'ERR_OSIPC_PROTOCOL';
  return err;
}

class Server {
  readonly #listener: Listener;
  readonly #objects = new Map<number, Served>();
  readonly #connections = new Set<Connection>();
  #nextObject = 1;
  #nextCaller = 1;
  #stopped = false;
  readonly done: Promise<void>;
  #finish!: () => void;

  constructor(listener: Listener) {
    this.#listener = listener;
    this.done = new Promise((resolve) => { this.#finish = resolve; });
  }

  // The listener has no authkey: accept() only accepts, and each connection's
  // handshake runs on its own (with its own time bound), so fifty processes
  // connecting at once, or one stuck client, hold up nobody.
  async acceptLoop(authkey: Uint8Array): Promise<void> {
    while (!this.#stopped) {
      let conn: Connection;
      try {
        conn = await this.#listener.accept();
      } catch {
        // Closed (stopping) or a transient error (EMFILE): go on unless stopping.
        if (this.#stopped || this.#listener.closed) return;
        await new Promise((r) => setTimeout(r, 10));
        continue;
      }
      if (this.#stopped) {
        conn.close();
        return;
      }
      void this.#authenticateAndServe(conn, authkey);
    }
  }

  async #authenticateAndServe(conn: Connection, authkey: Uint8Array): Promise<void> {
    this.#connections.add(conn);
    try {
      await authenticateClient(conn, authkey, { timeout: HANDSHAKE_MS });
    } catch {
      // A wrong authkey, a client that stalled or went away.
      this.#connections.delete(conn);
      conn.close();
      return;
    }
    if (this.#stopped) return; // stop() closed it
    await this.#serve(conn);
  }

  async #serve(conn: Connection): Promise<void> {
    const caller: Caller = { id: this.#nextCaller++ };
    try {
      for (;;) this.#handle(conn, caller, await conn.recv());
    } catch {
      // End of file (the client closed or died), a broken message, or closed by stop().
    } finally {
      this.#connections.delete(conn);
      for (const obj of this.#objects.values()) obj.dropCaller?.(caller);
      conn.close();
    }
  }

  #handle(conn: Connection, caller: Caller, message: unknown): void {
    const req = message as Request;
    if (typeof req !== 'object' || req === null || !Number.isSafeInteger(req.id)) {
      throw protocolError('a request without an id'); // ends this connection only
    }
    if (req.op === 'cancel') {
      for (const obj of this.#objects.values()) obj.cancel?.(caller, req.ref as number);
      return;
    }
    let result: unknown;
    try {
      result = this.#run(req, caller);
    } catch (err) {
      this.#answer(conn, req.id, false, err);
      return;
    }
    if (result instanceof Promise) {
      result.then((v) => this.#answer(conn, req.id, true, v), (err) => this.#answer(conn, req.id, false, err));
    } else {
      this.#answer(conn, req.id, true, result);
    }
  }

  #run(req: Request, caller: Caller): unknown {
    const args = req.args === undefined ? [] : req.args;
    if (!Array.isArray(args)) throw protocolError('request args must be an array');
    switch (req.op) {
      case 'hello': return { pid: process.pid };
      case 'create': {
        const obj = createServed(req.kind, args);
        const id = this.#nextObject++;
        this.#objects.set(id, obj);
        return id;
      }
      case 'call': {
        const obj = this.#objects.get(req.target as number);
        if (obj === undefined) {
          const err = new Error(`this manager has no object ${String(req.target)}`);
          (err as { code?: string }).code = 'ERR_OSIPC_NO_SUCH_OBJECT';
          throw err;
        }
        if (typeof req.method !== 'string') throw protocolError('request method must be a string');
        return obj.call(req.method, args, caller, req.id);
      }
      case 'shutdown':
        // Answered first, then everything stops.
        setImmediate(() => this.stop());
        return undefined;
      default: throw protocolError(`unknown request op ${JSON.stringify(req.op)}`);
    }
  }

  #answer(conn: Connection, id: number, ok: boolean, value: unknown): void {
    if (conn.closed) return;
    const message = ok ? { id, ok, value } : { id, ok, error: report(value) };
    conn.send(message).catch((err) => {
      // A stored value that cannot be sent back: say so instead.
      if (ok && !conn.closed) conn.send({ id, ok: false, error: report(err) }).catch(() => {});
    });
  }

  /** Stops listening (the socket file goes) and ends every connection. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#listener.close();
    for (const obj of this.#objects.values()) obj.stop?.();
    for (const conn of this.#connections) conn.close(); // answers already sent are still written
    this.#finish();
  }
}

/**
 * The manager process's function: listens at `address` (a fresh abstract name
 * when null), tells the starter where through `ready`, and serves until a
 * shutdown request or SIGTERM.
 */
export async function serve(address: string | null, authkey: Uint8Array, ready: Connection): Promise<void> {
  const listener = new Listener(address ?? undefined, { backlog: 128 });
  const server = new Server(listener);
  // Process terminates daemons with SIGTERM when their parent exits normally.
  process.on('SIGTERM', () => {
    server.stop();
    process.exit(0);
  });
  void server.acceptLoop(authkey);
  await ready.send({ address: listener.address, pid: process.pid });
  ready.close();
  await server.done;
}
