// NamedSemaphore: a POSIX named semaphore (sem_open), the kernel's own
// counting semaphore, reachable by name from C (sem_open("/name", 0)), Python
// (posix_ipc) and osipc. Linux keeps it as /dev/shm/sem.<name without "/">.
// Waits run on osipc's wait service (own threads, bounded slices): never on
// the event loop, never on libuv's threadpool.
import { native } from '../binding.js';
import { AbortError } from '../errors.js';
import { own } from '../ownership.js';
import { kTransfer, registerTransferable, type TransferDescriptor } from '../transfer.js';
import {
  defaultIpcName, validateBoolean, validateInteger, validateIpcName, validateMode, validateOptions,
  validateWaitOptions, NAME_MAX, type WaitOptions,
} from '../validate.js';

type Handle = object;
const binding = native as {
  semOpen(name: string, create: boolean, mode: number, value: number): Handle;
  semClose(h: Handle): void;
  semUnlink(name: string): void;
  semPost(h: Handle): void;
  semTryWait(h: Handle): boolean;
  semWaitSync(h: Handle, timeoutMs: number): boolean;
  semWaitAsync(h: Handle, timeoutMs: number, ref: boolean): [Promise<boolean | 'cancelled'>, number];
  semGetValue(h: Handle): number;
  cancelWait(id: number): void;
  makeErrnoError(errno: number, syscall: string, path?: string): Error;
};
const EBADF = 9;

/** SEM_VALUE_MAX: Linux INT_MAX, macOS 32767. */
export const SEM_VALUE_MAX = process.platform === 'darwin' ? 32767 : 0x7fffffff;
// Linux stores "/name" as the file "sem.name" in /dev/shm: 4 bytes of NAME_MAX go to "sem.".
const SEM_NAME_MAX = process.platform === 'linux' ? NAME_MAX - 4 : NAME_MAX;

export interface NamedSemaphoreCreateOptions {
  /** `/name`; a random `/osipc-<pid>-<hex>` when omitted. */
  name?: string;
  /** Initial value, 0..SEM_VALUE_MAX. */
  value: number;
  /** Permission bits, 0o600 by default (the umask applies, as for sem_open). */
  mode?: number;
  /** Leave it in place when this process closes it or exits. */
  keep?: boolean;
}

export class NamedSemaphore {
  #handle: Handle | null;
  readonly #name: string;
  #ownership: { release(unlinkNow: boolean): void } | null = null;

  private constructor(name: string, handle: Handle) {
    this.#name = name;
    this.#handle = handle;
  }

  /** Creates a new semaphore (O_CREAT|O_EXCL: EEXIST when the name is taken). */
  static create(options: NamedSemaphoreCreateOptions): NamedSemaphore {
    const o = validateOptions(options);
    if (o.value === undefined) throw new TypeError('The "options.value" property is required');
    const value = validateInteger(o.value, 'options.value', 0, SEM_VALUE_MAX);
    const name = o.name === undefined ? defaultIpcName() : validateIpcName(o.name, 'options.name', SEM_NAME_MAX);
    const mode = o.mode === undefined ? 0o600 : validateMode(o.mode, 'options.mode');
    const keep = o.keep === undefined ? false : validateBoolean(o.keep, 'options.keep');
    const sem = new NamedSemaphore(name, binding.semOpen(name, true, mode, value));
    if (!keep) sem.#ownership = own({ kind: 'sem', name, unlink: () => binding.semUnlink(name) });
    return sem;
  }

  /** Opens an existing semaphore by name (ENOENT when there is none). */
  static open(name: string): NamedSemaphore {
    validateIpcName(name, 'name', SEM_NAME_MAX);
    return new NamedSemaphore(name, binding.semOpen(name, false, 0, 0));
  }

  /** Removes a semaphore's name (ENOENT when there is none); open handles stay valid. */
  static unlink(name: string): void {
    binding.semUnlink(validateIpcName(name, 'name', SEM_NAME_MAX));
  }

  get name(): string {
    return this.#name;
  }

  get closed(): boolean {
    return this.#handle === null;
  }

  /** True when this process created it and will unlink it. */
  get owner(): boolean {
    return this.#ownership !== null;
  }

  /** The current value (sem_getvalue); undefined on macOS, which lacks it. */
  get value(): number | undefined {
    if (process.platform === 'darwin') return undefined;
    return binding.semGetValue(this.#h('sem_getvalue'));
  }

  /** Decrements when above 0 and returns true; returns false at once otherwise. */
  tryWait(): boolean {
    return binding.semTryWait(this.#h('sem_trywait'));
  }

  /** Increments, waking one waiter. */
  post(): void {
    binding.semPost(this.#h('sem_post'));
  }

  /**
   * Waits until it can decrement (true) or `timeout` ms pass (false), on
   * osipc's wait threads. Rejects with AbortError when `signal` fires; a wait
   * cancelled just after it took the semaphore gives it back.
   */
  async wait(options?: WaitOptions): Promise<boolean> {
    const { timeout, signal } = validateWaitOptions(options);
    const h = this.#h('sem_timedwait');
    if (signal?.aborted) throw new AbortError(undefined, { cause: signal.reason });
    if (binding.semTryWait(h)) return true;
    if (timeout === 0) return false;
    const [promise, id] = binding.semWaitAsync(h, timeout, true);
    if (!signal) return promise as Promise<boolean>;
    return new Promise<boolean>((resolve, reject) => {
      const onAbort = (): void => {
        binding.cancelWait(id);
        reject(new AbortError(undefined, { cause: signal.reason }));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      promise.then((r) => {
        signal.removeEventListener('abort', onAbort);
        if (r !== 'cancelled') resolve(r);
      }, (err) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      });
    });
  }

  /**
   * Blocks this thread until it can decrement (true) or `timeout` ms pass
   * (false): one deadline, EINTR retried. macOS has no sem_timedwait: there
   * a timed wait polls sem_trywait every 1 ms.
   */
  waitSync(options?: { timeout?: number }): boolean {
    const { timeout } = validateWaitOptions(options);
    return binding.semWaitSync(this.#h('sem_timedwait'), timeout);
  }

  /** Closes this handle (the creator also unlinks the name, unless `keep`). Idempotent. */
  close(): void {
    const h = this.#handle;
    if (h === null) return;
    this.#handle = null;
    binding.semClose(h);
    this.#ownership?.release(true);
    this.#ownership = null;
  }

  /** Removes the name now; open handles (here and elsewhere) stay valid. */
  unlink(): void {
    if (this.#ownership) {
      this.#ownership.release(false);
      this.#ownership = null;
    }
    binding.semUnlink(this.#name);
  }

  [Symbol.dispose](): void {
    this.close();
  }

  [kTransfer](): TransferDescriptor {
    this.#h('sem_open');
    return { kind: 'NamedSemaphore', data: { name: this.#name } };
  }

  #h(syscall: string): Handle {
    if (this.#handle === null) throw binding.makeErrnoError(EBADF, syscall, this.#name);
    return this.#handle;
  }
}

registerTransferable('NamedSemaphore', (data) => NamedSemaphore.open((data as { name: string }).name));
