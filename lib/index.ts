// The package root: everything public is exported from here. Importing it also
// registers every transferable kind, which child processes rely on.
export * from './errors.js';
export { kTransfer, registerTransferable } from './transfer.js';
export type { Transferable, TransferDescriptor } from './transfer.js';
export type { WaitOptions } from './validate.js';
export { SharedMemory, MAX_SHARED_MEMORY_SIZE } from './os/shared-memory.js';
export type { SharedMemoryCreateOptions, SharedMemoryOpenOptions } from './os/shared-memory.js';
export { futex } from './os/futex.js';
export type { FutexWaitResult, FutexWaitOptions } from './os/futex.js';
export { Queue, JoinableQueue, SimpleQueue } from './queue.js';
export type { QueueOptions, QueueOpenOptions, QueueCodec } from './queue.js';
export { Lock } from './lock.js';
export { RLock } from './rlock.js';
export { Semaphore, BoundedSemaphore } from './semaphore.js';
export { Event } from './event.js';
export { Condition } from './condition.js';
export { Barrier } from './barrier.js';
export { NamedSemaphore, SEM_VALUE_MAX } from './os/named-semaphore.js';
export type { NamedSemaphoreCreateOptions } from './os/named-semaphore.js';
