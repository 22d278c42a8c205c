// The constructors that take raw pid and fd numbers check them: a number that
// would be truncated (1.5 -> fd 1), a closed fd, an fd of the wrong kind or a
// pid that is not our child is refused before anything is closed or reaped.
import { describe, expect, it } from 'vitest';
import { closeSync, fstatSync, openSync } from 'node:fs';
import { Child, Connection, forkExec, pipe, socketpair } from 'osipc';

const internal = { readable: true, writable: true, maxMessageSize: 1024, socket: false };

function stdoutStillOpen(): boolean {
  fstatSync(1);
  return true;
}

describe('Connection.adopt / fromFd check the fd', () => {
  it('refuses fractional, negative and huge numbers with a RangeError naming fd (stdout stays open)', () => {
    for (const fd of [1.5, 0.5, -1, 2 ** 40, NaN]) {
      expect(() => Connection.adopt(fd, internal)).toThrow(expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }));
      expect(() => Connection.fromFd(fd)).toThrow(RangeError);
    }
    expect(() => Connection.adopt('3' as unknown as number, internal)).toThrow(TypeError);
    expect(stdoutStillOpen()).toBe(true);
  });

  it('a closed fd is EBADF from fstat', () => {
    const [r, w] = pipe();
    closeSync(r);
    closeSync(w);
    for (const f of [() => Connection.adopt(r, internal), () => Connection.fromFd(r)]) {
      expect(f).toThrow(expect.objectContaining({ code: 'EBADF', syscall: 'fstat' }));
    }
  });

  it('an fd of the wrong kind is refused and left open', () => {
    const file = openSync('/dev/null', 'r');
    const [a, b] = socketpair();
    const [r, w] = pipe();
    try {
      expect(() => Connection.fromFd(file)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
      expect(() => Connection.adopt(file, internal)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
      // A socket said to be a pipe, and the reverse.
      expect(() => Connection.adopt(a, internal)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
      expect(() => Connection.adopt(r, { ...internal, socket: true })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
      expect(() => Connection.adopt(r, { ...internal, maxMessageSize: 0 })).toThrow(RangeError);
      for (const fd of [file, a, b, r, w]) expect(fstatSync(fd)).toBeTruthy();
    } finally {
      for (const fd of [file, a, b, r, w]) closeSync(fd);
    }
  });

  it('a real pipe end is still adopted', () => {
    const [r, w] = pipe();
    const c = Connection.adopt(r, { ...internal, writable: false });
    c.close();
    closeSync(w);
  });
});

describe('new Child(pid, pidfd) checks its numbers', () => {
  it('refuses fractional and out-of-range pids and pidfds', () => {
    for (const pid of [1.5, 0, -1, 2 ** 40, NaN]) expect(() => new Child(pid, -1)).toThrow(RangeError);
    expect(() => new Child('1' as unknown as number, -1)).toThrow(TypeError);
    expect(() => new Child(process.pid, 1.5)).toThrow(RangeError);
  });

  it('a pid that is not a child of this process is ECHILD; one that does not exist ESRCH', () => {
    expect(() => new Child(process.ppid, -1)).toThrow(expect.objectContaining({ code: 'ECHILD', syscall: 'waitpid' }));
    expect(() => new Child(process.pid, -1)).toThrow(expect.objectContaining({ code: 'ECHILD' }));
    expect(() => new Child(0x3ffffff0, -1)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
  });

  it.runIf(process.platform === 'linux')('a pidfd that is closed, not a pidfd, or not this pid\'s is refused', async () => {
    const child = forkExec('sleep', ['30']);
    const [r, w] = pipe();
    try {
      closeSync(w);
      expect(() => new Child(child.pid, w)).toThrow(expect.objectContaining({ code: 'EBADF', syscall: 'fstat' }));
      expect(() => new Child(child.pid, r)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
      expect(fstatSync(r)).toBeTruthy(); // not closed by the refusal
    } finally {
      closeSync(r);
      child.kill('SIGKILL');
      expect((await child.wait({ timeout: 10_000 }))?.signal).toBe('SIGKILL');
    }
  });
});
