// SharedMemory: a POSIX shared memory segment (shm_open + mmap), by name, that
// C (shm_open) and Python (multiprocessing.shared_memory) can open too.
import { constants as bufferConstants } from 'node:buffer';
import { native } from '../binding.js';
import { ClosedError } from '../errors.js';
import { announce, own } from '../ownership.js';
import { kTransfer, registerTransferable, type TransferDescriptor } from '../transfer.js';
import {
  defaultIpcName, validateBoolean, validateInteger, validateIpcName, validateMode, validateOptions,
} from '../validate.js';

const binding = native as {
  shmCreate(name: string, size: number, mode: number): ArrayBuffer;
  shmOpen(name: string, readonly: boolean): ArrayBuffer;
  shmUnmap(buffer: ArrayBuffer): void;
  shmUnlink(name: string): void;
};

/** The largest segment osipc maps: the largest ArrayBuffer Node can view. */
export const MAX_SHARED_MEMORY_SIZE = bufferConstants.MAX_LENGTH;

export interface SharedMemoryCreateOptions {
  /** `/name`; a random `/osipc-<pid>-<hex>` when omitted. */
  name?: string;
  /** Bytes, at least 1. The kernel rounds the mapping up to whole pages. */
  size: number;
  /** Permission bits, 0o600 by default (umask does not apply). */
  mode?: number;
  /** Leave the segment in place when this process closes it or exits. */
  keep?: boolean;
}

export interface SharedMemoryOpenOptions {
  /** Open read-only: writes through `buffer` stay private to this process. */
  readonly?: boolean;
}

export class SharedMemory {
  #buffer: ArrayBuffer | null;
  readonly #name: string;
  readonly #size: number;
  readonly #readonly: boolean;
  #ownership: { release(unlinkNow: boolean): void } | null = null;

  private constructor(name: string, buffer: ArrayBuffer, readonly: boolean) {
    this.#name = name;
    this.#buffer = buffer;
    this.#size = buffer.byteLength;
    this.#readonly = readonly;
  }

  /** Creates a new segment (O_EXCL: EEXIST if the name is taken) and maps it. */
  static create(options: SharedMemoryCreateOptions): SharedMemory {
    const o = validateOptions(options);
    if (o.size === undefined) throw new TypeError('The "options.size" property is required');
    const size = validateInteger(o.size, 'options.size', 1, MAX_SHARED_MEMORY_SIZE);
    const name = o.name === undefined ? defaultIpcName() : validateIpcName(o.name, 'options.name');
    const mode = o.mode === undefined ? 0o600 : validateMode(o.mode, 'options.mode');
    const keep = o.keep === undefined ? false : validateBoolean(o.keep, 'options.keep');
    // A random name is told to the tracker first: a SIGKILL mid-create leaves nothing.
    const announced = o.name === undefined && !keep ? announce('shm', name) : null;
    let buffer: ArrayBuffer;
    try {
      buffer = binding.shmCreate(name, size, mode);
    } catch (err) {
      announced?.withdraw();
      throw err;
    }
    const shm = new SharedMemory(name, buffer, false);
    if (!keep) shm.#ownership = own({ kind: 'shm', name, unlink: () => binding.shmUnlink(name) });
    return shm;
  }

  /** Maps an existing segment by name (ENOENT if there is none); never creates. */
  static open(name: string, options?: SharedMemoryOpenOptions): SharedMemory {
    validateIpcName(name, 'name');
    const o = validateOptions(options);
    const readonly = o.readonly === undefined ? false : validateBoolean(o.readonly, 'options.readonly');
    return new SharedMemory(name, binding.shmOpen(name, readonly), readonly);
  }

  /** Removes a segment by name (ENOENT if there is none). Mappings stay valid. */
  static unlink(name: string): void {
    binding.shmUnlink(validateIpcName(name, 'name'));
  }

  get name(): string {
    return this.#name;
  }

  /** The segment's size in bytes when it was mapped here. */
  get size(): number {
    return this.#size;
  }

  get readonly(): boolean {
    return this.#readonly;
  }

  get closed(): boolean {
    return this.#buffer === null;
  }

  /** True when this process created the segment and will unlink it. */
  get owner(): boolean {
    return this.#ownership !== null;
  }

  /** The mapping. After close() it is detached: views over it read as empty. */
  get buffer(): ArrayBuffer {
    if (this.#buffer === null) throw new ClosedError('SharedMemory');
    return this.#buffer;
  }

  /** Unmaps; the creator also unlinks (unless created with `keep`). Idempotent. */
  close(): void {
    const buffer = this.#buffer;
    if (buffer === null) return;
    this.#buffer = null;
    binding.shmUnmap(buffer);
    this.#ownership?.release(true);
    this.#ownership = null;
  }

  /** Removes the name now; this mapping (and others') stay valid until closed. */
  unlink(): void {
    if (this.#ownership) {
      this.#ownership.release(false);
      this.#ownership = null;
    }
    binding.shmUnlink(this.#name);
  }

  [Symbol.dispose](): void {
    this.close();
  }

  [kTransfer](): TransferDescriptor {
    if (this.#buffer === null) throw new ClosedError('SharedMemory');
    return { kind: 'SharedMemory', data: { name: this.#name, readonly: this.#readonly } };
  }
}

registerTransferable('SharedMemory', (data) => {
  const d = data as { name: string; readonly: boolean };
  return SharedMemory.open(d.name, { readonly: d.readonly });
});
