// Pool: Python's multiprocessing.Pool with the 'spawn' start method. Long-lived
// worker processes (fresh `node`s running lib/child/pool-worker.js) import
// `module` once and run its exports on request. Each worker has its own
// control channel (a socketpair, fd 3 in the worker) and runs one task at a
// time; the parent keeps up to PREFETCH tasks with each worker so that it
// never waits for the round trip between two tasks.
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { ClosedError, OsipcError } from './errors.js';
import { ControlChannel } from './control.js';
import { fdBinding } from './os/fd.js';
import { forkExec, type Child, type ExitStatus } from './os/process.js';
import { createAnonymousMemory, mapAnonymousMemory, unmapAnonymousMemory } from './os/anonymous-memory.js';
import {
  ARENA_BYTES, ARENA_FD, ARENA_SLOTS, arenaInput, arenaOutput, arenaType, fitsArena,
} from './pool-arena.js';
import { ListJob, SingleJob, StreamJob, type Job, type TaskSpec } from './pool-jobs.js';
import { isPacked, packNumbers } from './pool-numbers.js';
import { AsyncResult } from './pool-result.js';
import { childExecArgv, currentProcess, moduleHref, remoteError, usePdeathsig, type ErrorReport } from './process.js';
import { packHandles, unpackHandles } from './transfer.js';
import {
  invalidArg, typeError, validateFunction, validateInteger, validateOptions, validateString,
  validateWaitOptions, type WaitOptions,
} from './validate.js';

export { AsyncResult } from './pool-result.js';

export interface PoolOptions {
  /** How many worker processes (default os.availableParallelism()). */
  processes?: number;
  /** The module whose exports the tasks call: a path, a file: URL string or a URL. */
  module: string | URL;
  /** An export of `module` each worker calls once before its first task. */
  initializer?: string;
  /** Arguments for the initializer. */
  initargs?: unknown[];
  /** A worker that has run this many tasks (chunks) is replaced by a fresh one. */
  maxTasksPerChild?: number | null;
}

export interface ApplyAsyncOptions<T> {
  /** Called in this process with the value once the task succeeds. */
  callback?: (value: T) => void;
  /** Called in this process with the error once the task fails. */
  errorCallback?: (err: Error) => void;
}

export interface MapOptions {
  /** How many inputs travel to a worker as one task. */
  chunksize?: number;
}

export type MapAsyncOptions<T> = MapOptions & ApplyAsyncOptions<T>;

const workerPath = fileURLToPath(new URL('./child/pool-worker.js', import.meta.url));
const MAX_START_FAILURES = 3;

// Workers are numbered across all pools of this process, as Python's PoolWorker-N.
let workerCounter = 0;

/** A task sent to a worker; `slot`: the arena slot its numbers went through, or -1. */
interface Running { job: Job; spec: TaskSpec; slot: number }

/** Tasks sent to one worker ahead of its answers: the one it runs and the next. */
const PREFETCH = 2;

class Worker {
  ready = false;
  /** Sent and not answered, in order: the first is running. */
  tasks: Running[] = [];
  tasksDone = 0;
  channelRefed = false;
  childRefed = false;
  retiring = false;
  /** Arena slots not in use (pool-arena.ts); none when the worker has no arena. */
  freeSlots: number[];
  constructor(readonly child: Child, readonly channel: ControlChannel, public arena: ArrayBuffer | null) {
    this.freeSlots = arena === null ? [] : Array.from({ length: ARENA_SLOTS }, (_, i) => i);
  }

  /** Unmaps the arena (the worker is gone, or could not map it): chunks then take the socket. */
  dropArena(): void {
    if (this.arena !== null) unmapAnonymousMemory(this.arena);
    this.arena = null;
    this.freeSlots = [];
  }
  get pid(): number {
    return this.child.pid;
  }
}

function describeExit(s: ExitStatus | null): string {
  if (s === null) return 'an unknown status';
  return s.signal !== null ? `signal ${s.signal}` : `exit code ${s.exitCode}`;
}

function toItems(iterable: unknown, star: boolean, name: string): unknown[] {
  const items = Array.from(iterable as Iterable<unknown>);
  if (!star) return items;
  return items.map((x, i) => {
    if (x === null || typeof x !== 'object' || typeof (x as Iterable<unknown>)[Symbol.iterator] !== 'function') {
      throw typeError(`${name}[${i}]`, 'an iterable of arguments', x);
    }
    return [...(x as Iterable<unknown>)];
  });
}

/**
 * The inputs of map, read at once as Python's list(iterable) does. An array is
 * not copied here: the job cuts it into chunks (copies) before map returns,
 * and no 100k-element copy of it is made (arrays that big live in V8's
 * large-object space, fresh pages every time).
 */
function readInputs(iterable: Iterable<unknown>, star: boolean): readonly unknown[] {
  const plainArray = Array.isArray(iterable) && iterable[Symbol.iterator] === Array.prototype[Symbol.iterator];
  return !star && plainArray ? iterable as unknown[] : toItems(iterable, star, 'iterable');
}

/** Chunks of plain numbers and strings skip the handle walk (map's hot path). */
function allPrimitive(items: unknown[]): boolean {
  for (let i = 0; i < items.length; i++) {
    const v = items[i];
    if (typeof v === 'object' && v !== null) return false;
  }
  return true;
}

function checkIterable(value: unknown, name: string): Iterable<unknown> {
  if (value === null || value === undefined ||
      typeof (value as Iterable<unknown>)[Symbol.iterator] !== 'function') {
    throw typeError(name, 'an iterable', value);
  }
  return value as Iterable<unknown>;
}

function checkFn(fn: unknown): string {
  const s = validateString(fn, 'fn');
  if (s === '') throw invalidArg('fn', 'must not be empty');
  return s;
}

function checkArgs(args: unknown): unknown[] {
  if (args === undefined) return [];
  if (!Array.isArray(args)) throw typeError('args', 'an array', args);
  return args;
}

function checkChunksize(options: MapOptions | undefined): number | undefined {
  const o = validateOptions(options);
  return o.chunksize === undefined ? undefined : validateInteger(o.chunksize, 'options.chunksize', 1);
}

function checkCallbacks<T>(options: ApplyAsyncOptions<T> | undefined): ApplyAsyncOptions<T> {
  const o = validateOptions(options);
  return {
    callback: o.callback === undefined ? undefined : validateFunction(o.callback, 'options.callback') as (v: T) => void,
    errorCallback: o.errorCallback === undefined
      ? undefined : validateFunction(o.errorCallback, 'options.errorCallback') as (e: Error) => void,
  };
}

export class Pool {
  readonly processes: number;
  readonly #module: string;
  readonly #init: Record<string, unknown>;
  readonly #maxTasks: number;
  #workers = new Set<Worker>();
  #jobs: Job[] = [];
  #state: 'run' | 'close' | 'terminate' = 'run';
  #broken: Error | null = null;
  #joiners = new Set<() => void>();
  #nextTaskId = 1;
  #startFailures = 0;
  #retry: Running[] = [];

  constructor(options: PoolOptions) {
    const o = validateOptions(options);
    if (o.module === undefined) throw typeError('options.module', 'a path or a URL', undefined);
    this.#module = moduleHref(o.module);
    this.processes = o.processes === undefined || o.processes === null
      ? availableParallelism() : validateInteger(o.processes, 'options.processes', 1, 1024);
    this.#maxTasks = o.maxTasksPerChild === undefined || o.maxTasksPerChild === null
      ? Infinity : validateInteger(o.maxTasksPerChild, 'options.maxTasksPerChild', 1);
    const initializer = o.initializer === undefined || o.initializer === null
      ? null : validateString(o.initializer, 'options.initializer');
    const initargs = o.initargs === undefined ? [] : o.initargs;
    if (!Array.isArray(initargs)) throw typeError('options.initargs', 'an array', initargs);
    const packed = packHandles(initargs);
    if (packed.fds.length > 0) throw noFds('options.initargs');
    this.#init = { kind: 'init', module: this.#module, initializer, initargs: packed.value };
    for (let i = 0; i < this.processes; i++) this.#spawn();
  }

  /** The pids of the live workers (they change as workers are replaced). */
  get pids(): number[] {
    return [...this.#workers].map((w) => w.pid);
  }

  /** Runs `fn(...args)` in a worker and resolves with its value. */
  apply<T = unknown>(fn: string, args?: unknown[]): Promise<T> {
    try {
      return this.applyAsync<T>(fn, args).get();
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Like apply, returning an AsyncResult at once; callbacks run in this process. */
  applyAsync<T = unknown>(fn: string, args?: unknown[], options?: ApplyAsyncOptions<T>): AsyncResult<T> {
    const name = checkFn(fn);
    const a = checkArgs(args);
    const cb = checkCallbacks(options);
    this.#checkRunning();
    const result = new AsyncResult<T>(cb.callback, cb.errorCallback);
    this.#submit(new SingleJob(name, a, result as AsyncResult<unknown>));
    return result;
  }

  /** `fn` over every input, in order; inputs travel in chunks of `chunksize`. */
  map<T = unknown>(fn: string, iterable: Iterable<unknown>, options?: MapOptions): Promise<T[]> {
    try {
      return this.mapAsync<T>(fn, iterable, options).get();
    } catch (err) {
      return Promise.reject(err);
    }
  }

  mapAsync<T = unknown>(fn: string, iterable: Iterable<unknown>, options?: MapAsyncOptions<T[]>): AsyncResult<T[]> {
    return this.#mapAsync(fn, iterable, options as MapAsyncOptions<unknown[]>, false) as AsyncResult<T[]>;
  }

  /** Like map, each input being the list of arguments: starmap('add', [[1, 2], [3, 4]]). */
  starmap<T = unknown>(fn: string, iterable: Iterable<Iterable<unknown>>, options?: MapOptions): Promise<T[]> {
    try {
      return this.starmapAsync<T>(fn, iterable, options).get();
    } catch (err) {
      return Promise.reject(err);
    }
  }

  starmapAsync<T = unknown>(fn: string, iterable: Iterable<Iterable<unknown>>,
    options?: MapAsyncOptions<T[]>): AsyncResult<T[]> {
    return this.#mapAsync(fn, iterable, options as MapAsyncOptions<unknown[]>, true) as AsyncResult<T[]>;
  }

  /**
   * The results of `fn` over the inputs, in order, as an async iterator.
   * Lazy: inputs are pulled only as workers free up and the reader keeps up.
   */
  imap<T = unknown>(fn: string, iterable: Iterable<unknown>, options?: MapOptions): AsyncIterableIterator<T> {
    return this.#stream(fn, iterable, options, true) as AsyncIterableIterator<T>;
  }

  /** As imap, results in the order they finish. */
  imapUnordered<T = unknown>(fn: string, iterable: Iterable<unknown>, options?: MapOptions): AsyncIterableIterator<T> {
    return this.#stream(fn, iterable, options, false) as AsyncIterableIterator<T>;
  }

  /** No more tasks; the workers exit once the submitted ones are done. */
  close(): void {
    if (this.#state === 'run') this.#state = 'close';
    this.#maybeFinish();
  }

  /**
   * Stops the workers now (SIGKILL). Tasks not finished fail with an
   * OsipcError ERR_OSIPC_POOL_TERMINATED.
   */
  terminate(): void {
    if (this.#state === 'terminate') return;
    this.#state = 'terminate';
    this.#abortAll(new OsipcError('the pool was terminated', 'ERR_OSIPC_POOL_TERMINATED'));
    for (const w of this.#workers) {
      w.child.kill('SIGKILL');
      w.channel.close();
    }
  }

  /**
   * Waits for every worker to exit: after close() (the tasks finish first) or
   * terminate(). Resolves with false when `timeout` ms pass first.
   */
  async join(options?: WaitOptions): Promise<boolean> {
    const { timeout } = validateWaitOptions(options);
    if (this.#state === 'run') {
      throw new OsipcError('call close() or terminate() before join()', 'ERR_OSIPC_POOL_RUNNING');
    }
    if (this.#workers.size === 0) return true;
    return new Promise<boolean>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (ok: boolean): void => {
        this.#joiners.delete(onDone);
        if (timer) clearTimeout(timer);
        this.#updateRefs();
        resolve(ok);
      };
      const onDone = (): void => done(true);
      this.#joiners.add(onDone);
      if (timeout !== Infinity) timer = setTimeout(() => done(false), Math.min(timeout, 2 ** 31 - 1));
      this.#updateRefs();
    });
  }

  /** As Python's `with Pool() as p`: terminate() then join(). */
  async [Symbol.asyncDispose](): Promise<void> {
    this.terminate();
    await this.join();
  }

  #mapAsync(fn: string, iterable: Iterable<unknown>, options: MapAsyncOptions<unknown[]> | undefined,
    star: boolean): AsyncResult<unknown[]> {
    const name = checkFn(fn);
    const src = checkIterable(iterable, 'iterable');
    const chunk = checkChunksize(options);
    const cb = checkCallbacks(options);
    this.#checkRunning();
    const items = readInputs(src, star);
    // Python's default: about four chunks per worker.
    const chunksize = chunk ?? Math.max(1, Math.ceil(items.length / (this.processes * 4)));
    const result = new AsyncResult<unknown[]>(cb.callback, cb.errorCallback);
    const job = new ListJob(name, items, star, chunksize, result);
    // The first chunks go out first; the rest are copied before map returns.
    this.#submit(job);
    job.cutAll();
    return result;
  }

  #stream(fn: string, iterable: Iterable<unknown>, options: MapOptions | undefined,
    ordered: boolean): AsyncIterableIterator<unknown> {
    const name = checkFn(fn);
    const src = checkIterable(iterable, 'iterable');
    const chunksize = checkChunksize(options) ?? 1;
    this.#checkRunning();
    // At most two chunks per worker are out (running or waiting for the reader).
    const job = new StreamJob(name, src, false, chunksize, ordered, this.processes * 2, () => this.#dispatch());
    this.#submit(job);
    return job;
  }

  #checkRunning(): void {
    if (this.#broken) throw this.#broken;
    if (this.#state !== 'run') throw new ClosedError('the pool');
  }

  #submit(job: Job): void {
    this.#jobs.push(job);
    this.#dispatch();
    this.#updateRefs();
  }

  #spawn(): void {
    const [mine, theirs] = fdBinding.socketpair(true);
    const arena = makeArena();
    let child: Child;
    try {
      child = forkExec(process.execPath, [...childExecArgv(), workerPath], {
        fds: arena === null ? [0, 1, 2, theirs] : [0, 1, 2, theirs, arena.fd],
        env: process.env,
        deathSignal: usePdeathsig ? 'SIGKILL' : undefined,
      });
    } catch (err) {
      fdBinding.close(mine);
      if (arena !== null) unmapAnonymousMemory(arena.buffer);
      throw err;
    } finally {
      fdBinding.close(theirs);
      if (arena !== null) fdBinding.close(arena.fd);
    }
    child.unref();
    const w = new Worker(child, new ControlChannel(mine), arena?.buffer ?? null);
    this.#workers.add(w);
    const n = ++workerCounter;
    const init = {
      ...this.#init, name: `PoolWorker-${n}`, identity: [...currentProcess().identity, n], arena: arena !== null,
    };
    w.channel.send(init).catch(() => { /* it died first: the exit says why */ });
    w.channel.startReading((m) => this.#onMessage(w, m), () => { /* the exit watcher drains and closes */ });
    w.child.wait().then((s) => this.#onExit(w, s), () => this.#onExit(w, null));
    this.#updateRef(w);
  }

  #onMessage(w: Worker, m: unknown): void {
    const msg = m as {
      kind: string; id?: number; ok?: boolean; values?: unknown[] | Int32Array | Float64Array; error?: ErrorReport;
      type?: number; length?: number; arena?: boolean;
    };
    if (msg.kind === 'ready') {
      // A worker that could not map the arena takes every chunk through the socket.
      if (msg.arena !== true) w.dropArena();
      w.ready = true;
      this.#startFailures = 0;
      this.#dispatch();
    } else if (msg.kind === 'done') {
      const t = w.tasks.shift();
      if (t === undefined) return;
      w.tasksDone++;
      let outcome: unknown;
      let ok = msg.ok === true;
      try {
        const values = msg.type !== undefined ? this.#fromArena(w, t, msg.type, msg.length!) : msg.values!;
        outcome = !ok ? remoteError(msg.error!)
          : isPacked(values) || allPrimitive(values) ? values : unpackHandles(values, []);
        // One result per input, or the map's result array would be written past this chunk.
        if (ok && (outcome as ArrayLike<unknown>)?.length !== t.spec.items.length) {
          throw new OsipcError('a pool worker answered a different number of results than it was given inputs',
            'ERR_OSIPC_PROTOCOL');
        }
      } catch (err) {
        ok = false;
        outcome = err;
      }
      if (w.tasksDone >= this.#maxTasks) this.#retire(w);
      // Feed the worker before handling the values (copying them out, user
      // callbacks): it runs its next task meanwhile.
      this.#dispatch();
      t.job.settle(t.spec.index, ok, outcome);
      // Its results are copied out now: the slot may take the next chunk.
      if (t.slot >= 0 && w.arena !== null) w.freeSlots.push(t.slot);
      this.#dispatch();
      this.#updateRef(w);
      this.#maybeFinish();
    } else if (msg.kind === 'failed') {
      // The module or the initializer failed to load: every worker would fail
      // the same way, so the pool stops instead of respawning forever.
      this.#broken ??= remoteError(msg.error!);
      this.#abortAll(this.#broken);
      if (this.#state === 'run') this.#state = 'close';
    }
  }

  // The results a worker left in task t's arena slot. A map copies them out as
  // it settles; anything else (imap keeps chunks for its reader) gets a copy.
  #fromArena(w: Worker, t: Running, type: number, length: number): Int32Array | Float64Array {
    if (w.arena === null || t.slot < 0) throw new OsipcError('a pool worker answered through an arena slot it was not given', 'ERR_OSIPC_PROTOCOL');
    const view = arenaOutput(w.arena, t.slot, type, length);
    return t.job instanceof ListJob ? view : view.slice();
  }

  // A worker that has done its share: EOF on its channel makes it exit.
  #retire(w: Worker): void {
    w.retiring = true;
    w.channel.close();
    this.#updateRef(w);
  }

  #onExit(w: Worker, status: ExitStatus | null): void {
    if (!this.#workers.delete(w)) return;
    if (!w.channel.closed) {
      try {
        w.channel.drain((m) => this.#onMessage(w, m));
      } catch { /* a broken last frame */ }
      w.channel.close();
    }
    w.dropArena();
    if (!w.ready && !w.retiring && this.#state !== 'terminate') {
      // Workers that die before they start (a bad execArgv, no memory) would
      // be respawned forever: after a few in a row the pool gives up.
      if (++this.#startFailures >= MAX_START_FAILURES && this.#broken === null) {
        this.#broken = new OsipcError(
          `pool workers keep exiting before they start (last: ${describeExit(status)})`, 'ERR_OSIPC_WORKER_START');
        this.#abortAll(this.#broken);
        if (this.#state === 'run') this.#state = 'close';
      }
    }
    const [t, ...notStarted] = w.tasks;
    w.tasks = [];
    // Tasks sent ahead never started: another worker runs them.
    this.#retry.push(...notStarted);
    if (t) {
      t.job.settle(t.spec.index, false, new OsipcError(
        `pool worker ${w.pid} died (${describeExit(status)}) while running a task`, 'ERR_OSIPC_WORKER_DIED'));
    }
    if (this.#state !== 'terminate' && this.#broken === null) {
      const wanted = this.#state === 'run' || this.#nextTaskPending() || this.#busy() > 0;
      if (wanted && this.#workers.size < this.processes) this.#spawn();
    }
    this.#dispatch();
    this.#maybeFinish();
    if (this.#workers.size === 0) for (const j of [...this.#joiners]) j();
  }

  #busy(): number {
    let n = 0;
    for (const w of this.#workers) if (w.tasks.length > 0) n++;
    return n;
  }

  #dispatch(): void {
    if (this.#state === 'terminate') return;
    const outbox = new Map<Worker, Buffer[]>();
    // First one task for every free worker, then one more each to run next.
    fill: for (let depth = 1; depth <= PREFETCH; depth++) {
      for (const w of this.#workers) {
        if (!w.ready || w.retiring || w.channel.closed || w.tasks.length >= depth) continue;
        // A worker due for recycling gets no more than its share.
        if (w.tasksDone + w.tasks.length >= this.#maxTasks) continue;
        const next = this.#nextTask();
        if (next === null) break fill;
        const frame = this.#frame(w, next.job, next.spec);
        if (frame === null) continue;
        const frames = outbox.get(w);
        if (frames) frames.push(frame);
        else outbox.set(w, [frame]);
      }
    }
    // One write per worker: each wake-up of a worker can take this process's
    // CPU away (2 CPUs, 3 busy processes), so wake each one once.
    for (const [w, frames] of outbox) {
      const data = frames.length === 1 ? frames[0]! : Buffer.concat(frames);
      w.channel.send(data, true).catch(() => { /* it died: the exit fails the task */ });
    }
  }

  #nextTask(): { job: Job; spec: TaskSpec } | null {
    const again = this.#retry.shift();
    if (again) return again;
    for (let i = 0; i < this.#jobs.length;) {
      const job = this.#jobs[i]!;
      const t = job.take();
      if (t === 'done') {
        this.#jobs.splice(i, 1);
        continue;
      }
      if (t === 'wait') {
        i++;
        continue;
      }
      return { job, spec: t };
    }
    return null;
  }

  /** The task's frame, now counted as the worker's; null when it cannot travel (the task failed). */
  #frame(w: Worker, job: Job, spec: TaskSpec): Buffer | null {
    let frame: Buffer;
    let slot = -1;
    try {
      const items = this.#wireItems(spec);
      const id = this.#nextTaskId++;
      if (isPacked(items) && fitsArena(items) && w.arena !== null && w.freeSlots.length > 0) {
        // The numbers go through shared memory; the socket carries where.
        slot = w.freeSlots.pop()!;
        const type = arenaType(items);
        arenaInput(w.arena, slot, type, items.length).set(items);
        frame = ControlChannel.frame({ kind: 'task', id, fn: spec.fn, star: false, slot, type, length: items.length });
      } else {
        frame = ControlChannel.frame({ kind: 'task', id, fn: spec.fn, items, star: spec.star });
      }
    } catch (err) {
      if (slot >= 0) w.freeSlots.push(slot);
      // This task cannot travel; the worker stays free for the next one.
      job.settle(spec.index, false, err);
      queueMicrotask(() => this.#dispatch());
      return null;
    }
    w.tasks.push({ job, spec, slot });
    this.#updateRef(w);
    return frame;
  }

  // A chunk of numbers travels as one typed array; other primitives as they
  // are; anything else after the handle walk.
  #wireItems(spec: TaskSpec): unknown {
    if (isPacked(spec.items)) return spec.items;
    const numbers = spec.star ? null : packNumbers(spec.items);
    if (numbers !== null) return numbers;
    if (allPrimitive(spec.items)) return spec.items;
    const packed = packHandles(spec.items);
    if (packed.fds.length > 0) throw noFds('args');
    return packed.value;
  }

  // After close(): once nothing is left to do, let the workers go.
  #maybeFinish(): void {
    if (this.#state !== 'close') return;
    for (const w of [...this.#workers]) this.#updateRef(w);
    if (this.#nextTaskPending() || this.#busy() > 0) return;
    for (const w of this.#workers) if (!w.channel.closed) this.#retire(w);
  }

  #nextTaskPending(): boolean {
    // Jobs still listed may only be waiting for their reader; they still count.
    return this.#jobs.length > 0 || this.#retry.length > 0;
  }

  #abortAll(err: Error): void {
    const jobs = new Set<Job>(this.#jobs);
    for (const t of this.#retry) jobs.add(t.job);
    this.#retry = [];
    for (const w of this.#workers) {
      for (const t of w.tasks) jobs.add(t.job);
      w.tasks = [];
    }
    this.#jobs = [];
    for (const j of jobs) j.abort(err);
    this.#updateRefs();
  }

  #updateRefs(): void {
    for (const w of this.#workers) this.#updateRef(w);
  }

  // Workers hold this process's event loop only while they run a task, start
  // with work waiting, or someone join()s: an idle pool lets the process exit.
  #updateRef(w: Worker): void {
    // A retiring worker's exit starts its replacement: hold on while work waits.
    const busy = w.tasks.length > 0 || ((!w.ready || w.retiring) && this.#nextTaskPending());
    const hold = this.#joiners.size > 0 || busy;
    // Only on change: ref()/unref() re-arm handles, too costly for every task.
    if (!w.channel.closed && busy !== w.channelRefed) {
      w.channel.setRef(busy);
      w.channelRefed = busy;
    }
    if (hold !== w.childRefed) {
      if (hold) w.child.ref();
      else w.child.unref();
      w.childRefed = hold;
    }
  }
}

/** A worker's arena (pool-arena.ts), or null where nameless shared memory cannot be had. */
function makeArena(): { fd: number; buffer: ArrayBuffer } | null {
  let fd: number;
  try {
    fd = createAnonymousMemory(ARENA_BYTES);
  } catch {
    return null; // numbers then travel through the socket, as everything else
  }
  try {
    return { fd, buffer: mapAnonymousMemory(fd) };
  } catch {
    fdBinding.close(fd);
    return null;
  }
}

function noFds(name: string): OsipcError {
  return new OsipcError(`${name} hold objects that travel as file descriptors (pipes, sockets); ` +
    'a pool task cannot take them', 'ERR_OSIPC_NOT_TRANSFERABLE');
}
