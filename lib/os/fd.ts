// Raw fd calls shared by layer-1 modules (pipe, socketpair, process). Not public:
// lib/os/pipe.ts gives users pipe() and socketpair().
import { native } from '../binding.js';

export const EAGAIN = process.platform === 'darwin' ? 35 : 11;

export const fdBinding = native as {
  pipe(nonblocking: boolean): [number, number];
  socketpair(nonblocking: boolean): [number, number];
  /** Bytes read, 0 at EOF, or -EAGAIN. */
  read(fd: number, buf: Uint8Array, offset: number, length: number): number;
  /** Bytes written, or -EAGAIN. */
  write(fd: number, buf: Uint8Array, offset: number, length: number): number;
  setNonBlocking(fd: number, on: boolean): void;
  setCloseOnExec(fd: number, on: boolean): void;
  close(fd: number): void;
};
