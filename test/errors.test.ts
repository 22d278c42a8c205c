import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { OsipcError, QueueEmpty, RemoteError, isSystemError, notSupported } from 'osipc';

const require = createRequire(import.meta.url);
const native = require('node-gyp-build')(new URL('..', import.meta.url).pathname) as {
  makeErrnoError(errno: number, syscall: string, path?: string): NodeJS.ErrnoException;
};

describe('system errors from the native layer', () => {
  it('are shaped like Node\'s own', () => {
    const err = native.makeErrnoError(2, 'shm_open', '/x');
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toBe("ENOENT: no such file or directory, shm_open '/x'");
    expect(err.code).toBe('ENOENT');
    expect(err.errno).toBe(-2);
    expect(err.syscall).toBe('shm_open');
    expect(err.path).toBe('/x');
    expect(isSystemError(err, 'ENOENT')).toBe(true);
  });

  it('omit the path when there is none', () => {
    const err = native.makeErrnoError(11, 'mq_timedreceive');
    expect(err.message).toBe('EAGAIN: resource temporarily unavailable, mq_timedreceive');
    expect(err.path).toBeUndefined();
  });

  it('reject bad arguments to the raw binding with a TypeError, not a crash', () => {
    expect(() => (native.makeErrnoError as (...a: unknown[]) => unknown)('x')).toThrow(TypeError);
  });
});

describe('library errors', () => {
  it('carry stable codes', () => {
    const e = new QueueEmpty();
    expect(e).toBeInstanceOf(OsipcError);
    expect(e.code).toBe('ERR_OSIPC_QUEUE_EMPTY');
    expect(e.name).toBe('QueueEmpty');
  });

  it('RemoteError keeps the other process\'s stack', () => {
    const e = new RemoteError('TypeError', 'bad', 'TypeError: bad\n    at work (w.js:1:1)');
    expect(e.remoteName).toBe('TypeError');
    expect(e.stack).toContain('at work (w.js:1:1)');
  });

  it('notSupported is ENOSYS-coded and names the alternative', () => {
    const e = notSupported('mq_open', 'use SysVMessageQueue');
    expect(e.code).toBe('ENOSYS');
    expect(e.message).toContain('SysVMessageQueue');
  });
});
