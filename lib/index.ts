// The package root: everything public is exported from here. Importing it also
// registers every transferable kind, which child processes rely on.
export * from './errors.js';
export { kTransfer, registerTransferable } from './transfer.js';
export type { Transferable, TransferDescriptor } from './transfer.js';
export type { WaitOptions } from './validate.js';
export { forkExec, waitpid, kill, getpid, getppid, fork, exit, Child } from './os/process.js';
export type { ExitStatus, ForkExecOptions, FdMap, Signal } from './os/process.js';
export { Process, currentProcess } from './process.js';
export type { ProcessOptions, ProcessInfo } from './process.js';
export { MessageQueue, MQ_PRIO_MAX } from './os/message-queue.js';
export type { MessageQueueCreateOptions, MessageQueueOpenOptions, MessageQueueAttributes, SendOptions as MessageQueueSendOptions, ReceivedMessage } from './os/message-queue.js';
export { SysVMessageQueue, ftok, SYSV_TYPE_MAX } from './os/sysv-message-queue.js';
export type { SysVMessageQueueCreateOptions, SysVSendOptions, SysVReceiveOptions, SysVReceivedMessage, SysVMessageQueueStat } from './os/sysv-message-queue.js';
export { SharedMemory, MAX_SHARED_MEMORY_SIZE } from './os/shared-memory.js';
export type { SharedMemoryCreateOptions, SharedMemoryOpenOptions } from './os/shared-memory.js';
export { futex } from './os/futex.js';
export type { FutexWaitResult, FutexWaitOptions } from './os/futex.js';
export { TYPECODES } from './typecodes.js';
export type { Typecode, IntegerTypecode, BigIntTypecode, FloatTypecode, ElementOf, ElementInput, TypecodeInfo } from './typecodes.js';
export { Value, RawValue } from './value.js';
export type { ValueOptions, AtomicInput } from './value.js';
export { SharedArray, SharedArray as Array, RawArray } from './shared-array.js';
export type { SharedArrayOptions, SizeOrInit } from './shared-array.js';
export type { SegmentLock } from './segment-lock.js';
