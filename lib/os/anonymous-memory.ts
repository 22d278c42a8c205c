// Nameless shared memory that travels as a file descriptor (memfd on Linux):
// for state that only the processes holding the fd share, so nothing is ever
// left behind in /dev/shm, whoever dies. Internal (Connection ends use it).
import { native } from '../binding.js';

const binding = native as {
  shmAnonymous(size: number): number;
  shmMapFd(fd: number): ArrayBuffer;
  shmUnmap(buffer: ArrayBuffer): void;
};

/** A new nameless segment of `size` bytes, zeroed; returns its close-on-exec fd. */
export function createAnonymousMemory(size: number): number {
  return binding.shmAnonymous(size);
}

/** Maps the segment behind `fd` (shared, whole); the fd stays open. */
export function mapAnonymousMemory(fd: number): ArrayBuffer {
  return binding.shmMapFd(fd);
}

/** Unmaps and detaches a buffer from mapAnonymousMemory (idempotent). */
export function unmapAnonymousMemory(buffer: ArrayBuffer): void {
  binding.shmUnmap(buffer);
}
