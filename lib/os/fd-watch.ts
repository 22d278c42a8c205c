// One FdPoller per fd, shared: libuv allows a single poll handle per fd and
// loop, and the same fd may be waited on by a Connection and by a layer-1
// call (sendFd/recvFd) at once. Each user holds a reference; the poller is
// closed when the last one lets go (always before the fd is closed).
import { FdPoller } from './poller.js';

interface Entry {
  poller: FdPoller;
  refs: number;
}

const entries = new Map<number, Entry>();

export interface FdWatch {
  /** Resolves with the events that fired, 0 on timeout (see FdPoller.wait). */
  wait(events: number, timeout?: number, signal?: AbortSignal): Promise<number>;
  /** Rejects pending waits for any of `events` (on every user of this fd). */
  cancel(events: number, err: Error): void;
  /** Lets the process exit while this fd is watched (until ref()). */
  unref(): void;
  ref(): void;
  /** Drops this reference; idempotent. */
  release(): void;
}

export function watchFd(fd: number): FdWatch {
  let entry = entries.get(fd);
  if (entry === undefined) {
    entry = { poller: new FdPoller(fd), refs: 0 };
    entries.set(fd, entry);
  }
  entry.refs++;
  const e = entry;
  let released = false;
  return {
    wait: (events, timeout = Infinity, signal) => e.poller.wait(events, timeout, signal),
    cancel: (events, err) => e.poller.cancel(events, err),
    unref: () => e.poller.unref(),
    ref: () => e.poller.ref(),
    release: () => {
      if (released) return;
      released = true;
      if (--e.refs === 0) {
        e.poller.close();
        if (entries.get(fd) === e) entries.delete(fd);
      }
    },
  };
}

/** Runs `fn` with a temporary watch on `fd`. */
export async function withWatch<T>(fd: number, fn: (w: FdWatch) => Promise<T>): Promise<T> {
  const w = watchFd(fd);
  try {
    return await fn(w);
  } finally {
    w.release();
  }
}
