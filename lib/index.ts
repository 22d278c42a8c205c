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
export { pipe, socketpair, sendFd, sendFdSync, recvFd, recvFdSync, MAX_FDS_PER_MESSAGE } from './os/pipe.js';
export type { FdPairOptions } from './os/pipe.js';
export { Connection } from './connection.js';
export type { ConnectionOptions, RecvBytesOptions, RecvBytesSyncOptions, ConnectionSyncOptions } from './connection.js';
export { Pipe } from './pipe.js';
export type { PipeOptions } from './pipe.js';
export { Listener, Client } from './listener.js';
export type { ListenerOptions, ClientOptions } from './listener.js';
