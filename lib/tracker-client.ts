// The owner's side of the SIGKILL tracker (lib/tracker.ts). Started lazily at
// the first own(); from then on every own and release is one short line
// written to a pipe whose read end only the tracker holds. Writes never block
// the owner: the pipe is non-blocking, and what does not fit waits in memory
// until the tracker has read the rest.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { fdBinding } from './os/fd.js';

export interface TrackedObject {
  kind: string;
  name: string;
}

const trackerScript = fileURLToPath(new URL('./tracker.js', import.meta.url));
/** A tracker that keeps dying is given up after this many starts. */
const MAX_STARTS = 5;

function line(op: '+' | '-', kind: string, name: string): string {
  return `${op}${kind} ${encodeURIComponent(name)}\n`;
}

function trackerEnv(): NodeJS.ProcessEnv {
  // The tracker is plain node: no --inspect port clash, no loaders, no test hooks.
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  return env;
}

export class TrackerLink {
  #fd = -1;
  #child: ChildProcess | null = null;
  #starts = 0;
  #backlog: Buffer[] = [];
  #retry: NodeJS.Timeout | null = null;
  #disabled: string | null;
  readonly #snapshot: () => TrackedObject[];
  readonly #onFd: (fd: number) => void;

  /**
   * `snapshot` lists what is owned now, to brief a tracker started again;
   * `onFd` learns the pipe's fd (-1: none), for the native signal handler.
   */
  constructor(snapshot: () => TrackedObject[], onFd: (fd: number) => void = () => {}) {
    this.#snapshot = snapshot;
    this.#onFd = onFd;
    this.#disabled = process.env.OSIPC_TRACKER === '0' ? 'OSIPC_TRACKER=0' : null;
  }

  /** The tracker's pid, or null when none runs (not needed yet, disabled, or failed). */
  get pid(): number | null {
    return this.#fd >= 0 ? this.#child?.pid ?? null : null;
  }

  /** Why there is no tracker, when there cannot be one. */
  get disabledReason(): string | null {
    return this.#disabled;
  }

  add(kind: string, name: string): void {
    if (this.#disabled !== null) return;
    if (this.#fd < 0 && !this.#start()) return;
    this.#send(Buffer.from(line('+', kind, name)));
  }

  remove(kind: string, name: string): void {
    if (this.#fd < 0) return;
    this.#send(Buffer.from(line('-', kind, name)));
  }

  /** The owner has removed everything itself (at exit): the tracker has nothing to do. */
  forgetAll(): void {
    if (this.#fd < 0) return;
    this.#backlog = [];
    this.#send(Buffer.from('=\n'));
  }

  /** Closes our end: the tracker reads EOF, cleans up what it still holds, and exits. */
  close(): void {
    if (this.#retry) clearTimeout(this.#retry);
    this.#retry = null;
    // The signal handler must stop writing to it before the number can be reused.
    this.#onFd(-1);
    if (this.#fd >= 0) {
      try {
        fdBinding.close(this.#fd);
      } catch {
        // Nothing useful to do at exit.
      }
    }
    this.#fd = -1;
    this.#child = null;
  }

  #start(): boolean {
    if (this.#starts >= MAX_STARTS) {
      this.#disabled = `the tracker process exited ${MAX_STARTS} times`;
      return false;
    }
    this.#starts++;
    let fds: [number, number];
    try {
      fds = fdBinding.pipe(false);
    } catch (err) {
      this.#disabled = `cannot make a pipe for the tracker: ${(err as Error).message}`;
      return false;
    }
    const [readEnd, writeEnd] = fds;
    let child: ChildProcess;
    try {
      // detached: its own session, so the owner's process-group signals
      // (Ctrl-C) do not reach it; cwd '/': it holds no directory busy.
      child = spawn(process.execPath, [trackerScript, String(process.pid)], {
        detached: true,
        stdio: [readEnd, 'ignore', 'ignore'],
        cwd: '/',
        env: trackerEnv(),
      });
    } catch (err) {
      fdBinding.close(writeEnd);
      this.#disabled = `cannot start the tracker: ${(err as Error).message}`;
      return false;
    } finally {
      // Only the tracker may hold the read end, or EOF would never come.
      fdBinding.close(readEnd);
    }
    // A failed exec is reported asynchronously; the next write then sees EPIPE.
    child.on('error', () => {});
    // Neither the process nor its exit may keep the owner's event loop alive.
    child.unref();
    fdBinding.setNonBlocking(writeEnd, true);
    this.#fd = writeEnd;
    this.#child = child;
    this.#onFd(writeEnd);
    return true;
  }

  #send(data: Buffer): void {
    this.#backlog.push(data);
    this.#flush();
  }

  #flush(): void {
    while (this.#backlog.length > 0 && this.#fd >= 0) {
      const head = this.#backlog[0]!;
      let n: number;
      try {
        n = fdBinding.write(this.#fd, head, 0, head.length);
      } catch {
        // EPIPE: the tracker is gone (killed by hand?). Start another and
        // brief it with everything owned now.
        this.#restart();
        return;
      }
      if (n < 0) {
        // The pipe is full: the tracker is still starting or busy. Try again soon.
        this.#retry ??= setTimeout(() => {
          this.#retry = null;
          this.#flush();
        }, 10).unref();
        return;
      }
      if (n === head.length) this.#backlog.shift();
      else this.#backlog[0] = head.subarray(n);
    }
  }

  #restart(): void {
    this.close();
    this.#backlog = [];
    if (!this.#start()) return;
    const brief = this.#snapshot().map((o) => line('+', o.kind, o.name)).join('');
    if (brief) this.#send(Buffer.from(brief));
  }
}
