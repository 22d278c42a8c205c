// Manager: Python's multiprocessing.Manager (SyncManager) in Node's words. start()
// runs a manager process (a fresh node started with osipc's Process, as a
// daemon: it dies with its creator) that keeps dicts, lists, namespaces,
// values and locks, and serves them over an AF_UNIX Listener with an authkey
// (lib/child/manager-server.ts). The factories return proxies (lib/manager-
// proxies.ts) whose async methods run on the kept object; proxies travel to
// other processes by handle, and Manager.connect() reaches a running manager
// from any process that knows its address and authkey.
import { randomBytes } from 'node:crypto';
import { unlinkSync } from 'node:fs';
import { ClosedError, OsipcError, TimeoutError } from './errors.js';
import { connectClient, registerClient, unregisterClient, type ManagerClient } from './manager-client.js';
import type { Kind } from './manager-objects.js';
import {
  BaseProxy, DictProxy, EventProxy, ListProxy, LockProxy, makeProxy, NamespaceProxy, QueueProxy, toEntries, ValueProxy,
} from './manager-proxies.js';
import { parseUnixAddress } from './os/unix-socket.js';
import { Pipe } from './pipe.js';
import { Process } from './process.js';
import { typeError, validateInteger, validateOptions, validateString } from './validate.js';

export { BaseProxy, DictProxy, EventProxy, ListProxy, LockProxy, NamespaceProxy, QueueProxy, ValueProxy } from './manager-proxies.js';

export interface ManagerOptions {
  /**
   * Where the manager listens: a filesystem path (must not exist; removed by
   * shutdown()) or, on Linux, an abstract name ('\0name' or '@name').
   * Default: a fresh abstract name (a temporary path on macOS).
   */
  address?: string;
  /** The secret every connection must prove it knows (default: 32 random bytes). */
  authkey?: Uint8Array | string;
}

export interface ManagerConnectOptions {
  address: string;
  authkey: Uint8Array | string;
  /** Milliseconds to wait for the connection and handshake (default 30 s). */
  timeout?: number;
}

const serverModule = new URL('./child/manager-server.js', import.meta.url);
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;

function toAuthkey(value: unknown, name: string): Buffer {
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (value instanceof Uint8Array) return Buffer.from(value);
  throw typeError(name, 'of type string or an instance of Uint8Array', value);
}

type State = 'new' | 'starting' | 'running' | 'connected' | 'stopping' | 'closed';

export class Manager {
  readonly #authkey: Buffer;
  #address: string | null;
  #state: State = 'new';
  #process: Process | null = null;
  #client: ManagerClient | null = null;
  #pid: number | null = null;

  constructor(options?: ManagerOptions) {
    const o = validateOptions(options);
    this.#authkey = o.authkey === undefined ? randomBytes(32) : toAuthkey(o.authkey, 'options.authkey');
    this.#address = o.address === undefined ? null : validateString(o.address, 'options.address');
    if (this.#address !== null) parseUnixAddress(this.#address, 'options.address');
  }

  /**
   * Reaches a manager started elsewhere (by another process) at `address`,
   * proving `authkey` (AuthenticationError when it is wrong). The Manager
   * makes new objects there; close() disconnects, the manager runs on.
   */
  static async connect(options: ManagerConnectOptions): Promise<Manager> {
    const o = validateOptions(options);
    const address = validateString(o.address, 'options.address');
    parseUnixAddress(address, 'options.address');
    if (o.authkey === undefined) throw typeError('options.authkey', 'of type string or an instance of Uint8Array', undefined);
    const authkey = toAuthkey(o.authkey, 'options.authkey');
    const timeout = o.timeout === undefined ? START_TIMEOUT_MS : validateInteger(o.timeout, 'options.timeout', 0);
    const m = new Manager({ address, authkey });
    const client = await connectClient(address, authkey, timeout);
    m.#client = client;
    m.#state = 'connected';
    registerClient(address, client, false);
    try {
      m.#pid = (await client.request({ op: 'hello' }) as { pid: number }).pid;
    } catch (err) {
      client.close();
      throw err;
    }
    return m;
  }

  /** Where the manager listens (null before start() when no address was given). */
  get address(): string | null {
    return this.#address;
  }

  /** The authkey connections must prove (a copy). */
  get authkey(): Buffer {
    return Buffer.from(this.#authkey);
  }

  /** The manager process's pid (null before start() or connect()). */
  get pid(): number | null {
    return this.#pid;
  }

  /** True between start() (or connect()) and shutdown() (or close()). */
  get running(): boolean {
    return this.#state === 'running' || this.#state === 'connected';
  }

  /**
   * Starts the manager process and resolves once it listens. Rejects with
   * ERR_OSIPC_MANAGER_STARTED when called twice, and with the manager's own
   * error (a RemoteError, e.g. code EADDRINUSE for an address in use).
   */
  async start(): Promise<void> {
    if (this.#state !== 'new') throw new OsipcError('a Manager starts once', 'ERR_OSIPC_MANAGER_STARTED');
    this.#state = 'starting';
    try {
      await this.#start();
      this.#state = 'running';
    } catch (err) {
      this.#state = 'closed';
      throw err;
    }
  }

  async #start(): Promise<void> {
    const [reader, writer] = Pipe({ duplex: false });
    const p = new Process({
      module: serverModule, fn: 'serve', args: [this.#address, this.#authkey, writer],
      daemon: true, name: 'Manager',
    });
    let info: { address: string; pid: number };
    try {
      try {
        await p.start();
      } finally {
        writer.close(); // the manager holds the only writer now: its exit is our end of file
      }
      this.#process = p;
      try {
        info = await reader.recv({ timeout: START_TIMEOUT_MS }) as typeof info;
      } catch (err) {
        if (err instanceof TimeoutError) p.kill();
        await p.join({ timeout: STOP_TIMEOUT_MS });
        throw p.error ?? new OsipcError(`the manager process ended before it listened (exitCode ${p.exitCode})`,
          'ERR_OSIPC_MANAGER_START', { cause: err });
      }
    } finally {
      reader.close();
    }
    this.#address = info.address;
    this.#pid = info.pid;
    try {
      this.#client = await connectClient(info.address, this.#authkey);
    } catch (err) {
      p.kill();
      await p.join({ timeout: STOP_TIMEOUT_MS });
      throw err;
    }
    registerClient(info.address, this.#client, true);
  }

  #clientOrThrow(): ManagerClient {
    if (this.#state === 'running' || this.#state === 'connected') return this.#client!;
    if (this.#state === 'new' || this.#state === 'starting') {
      throw new OsipcError('the Manager is not started: await m.start() first', 'ERR_OSIPC_MANAGER_NOT_STARTED');
    }
    throw new ClosedError('Manager');
  }

  async #create(kind: Kind, args: unknown[], typecode?: string): Promise<BaseProxy> {
    const client = this.#clientOrThrow();
    const id = await client.request({ op: 'create', kind, args }) as number;
    return makeProxy({ address: this.#address!, authkey: this.#authkey, id, kind, typecode });
  }

  /** A new dict in the manager, filled from `init` (a plain object, a Map or [key, value] pairs). */
  async dict<V = unknown>(init?: Record<string, V> | Map<unknown, V> | Iterable<[unknown, V]>): Promise<DictProxy<V>> {
    const args = init === undefined ? [] : [toEntries(init, 'init')];
    return await this.#create('dict', args) as DictProxy<V>;
  }

  /** A new list in the manager, filled from `init` (any iterable). */
  async list<T = unknown>(init?: Iterable<T>): Promise<ListProxy<T>> {
    if (init !== undefined && (typeof init !== 'object' || init === null ||
      typeof (init as Iterable<T>)[Symbol.iterator] !== 'function')) {
      throw typeError('init', 'an iterable', init);
    }
    return await this.#create('list', init === undefined ? [] : [[...init]]) as ListProxy<T>;
  }

  /** A new namespace (Python's Namespace) with the names and values of `init`. */
  async namespace(init?: Record<string, unknown>): Promise<NamespaceProxy> {
    if (init !== undefined && (typeof init !== 'object' || init === null)) throw typeError('init', 'of type object', init);
    return await this.#create('namespace', init === undefined ? [] : [Object.entries(init)]) as NamespaceProxy;
  }

  /** A new value (Python's manager Value): `typecode` is kept for Python's sake, not enforced. */
  async Value<T = unknown>(typecode: string, value: T): Promise<ValueProxy<T>> {
    validateString(typecode, 'typecode');
    return await this.#create('value', [typecode, value], typecode) as ValueProxy<T>;
  }

  /** A new lock in the manager (released by the manager when its holder's process ends). */
  async Lock(): Promise<LockProxy> {
    return await this.#create('lock', []) as LockProxy;
  }

  /**
   * A new FIFO queue in the manager (Python's Manager().Queue()), holding at
   * most `maxsize` values (0 or less: no bound).
   */
  async Queue<T = unknown>(maxsize = 0): Promise<QueueProxy<T>> {
    validateInteger(maxsize, 'maxsize');
    return await this.#create('queue', [maxsize]) as QueueProxy<T>;
  }

  /** A new event in the manager (Python's Manager().Event()), not set. */
  async Event(): Promise<EventProxy> {
    return await this.#create('event', []) as EventProxy;
  }

  /**
   * Stops the manager process (started here) and waits for it to exit: its
   * objects are gone, its socket file (with a path address) is removed.
   * Proxies in this process then reject with ClosedError, elsewhere with
   * ERR_OSIPC_MANAGER_GONE. A Manager from connect() only disconnects.
   * Idempotent.
   */
  async shutdown(): Promise<void> {
    if (this.#state === 'connected') {
      this.close();
      return;
    }
    if (this.#state !== 'running') {
      if (this.#state === 'new') this.#state = 'closed';
      return;
    }
    this.#state = 'stopping';
    const client = this.#client!;
    const p = this.#process!;
    client.expectEnd();
    try {
      await client.request({ op: 'shutdown' });
    } catch {
      /* the manager is gone already */
    }
    client.close();
    if (await p.join({ timeout: STOP_TIMEOUT_MS }) === null) {
      p.kill();
      await p.join();
    }
    // A manager that was killed could not remove its socket file.
    const parsed = parseUnixAddress(this.#address!, 'address');
    if (parsed.path !== null) {
      try {
        unlinkSync(parsed.path);
      } catch { /* removed by the manager */ }
    }
    this.#state = 'closed';
  }

  /** For a Manager from connect(): disconnects (pending calls reject with ClosedError). */
  close(): void {
    if (this.#state === 'connected') {
      this.#client!.close();
      unregisterClient(this.#address!, this.#client!);
      this.#state = 'closed';
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
  }
}
