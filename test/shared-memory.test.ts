import { afterEach, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { ClosedError, SharedMemory } from 'osipc';
import { runNode, testName } from './helpers/child.js';
import { openFds } from './helpers/leaks.js';

const made: SharedMemory[] = [];
afterEach(() => {
  for (const s of made.splice(0)) s.close();
});
function create(opts: { size: number; name?: string; mode?: number }): SharedMemory {
  const s = SharedMemory.create(opts);
  made.push(s);
  return s;
}

function hasPython(): boolean {
  return spawnSync('python3', ['-c', 'import multiprocessing.shared_memory'], { stdio: 'ignore' }).status === 0;
}

describe('SharedMemory', () => {
  it('creates a named segment that another process opens, writes and this one reads', async () => {
    const shm = create({ size: 4096 });
    expect(shm.name).toMatch(new RegExp(`^/osipc-${process.pid}-`));
    expect(shm.size).toBe(4096);
    expect(existsSync(`/dev/shm${shm.name}`)).toBe(true);
    const r = await runNode(`
      import { SharedMemory } from 'osipc';
      const s = SharedMemory.open(process.argv[2]);
      new Uint8Array(s.buffer).set(Buffer.from('from the child'), 10);
      console.log(s.size, s.owner);
      s.close();`, [shm.name]);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('4096 false');
    expect(Buffer.from(shm.buffer, 10, 14).toString()).toBe('from the child');
    // The opener closed without unlinking.
    expect(existsSync(`/dev/shm${shm.name}`)).toBe(true);
  });

  it('is unlinked by its creator on close, and on exit', async () => {
    const shm = SharedMemory.create({ size: 10 });
    const path = `/dev/shm${shm.name}`;
    shm.close();
    shm.close(); // idempotent
    expect(existsSync(path)).toBe(false);
    const r = await runNode(`
      import { SharedMemory } from 'osipc';
      const s = SharedMemory.create({ size: 100 });
      console.log(s.name);`);
    expect(r.code).toBe(0);
    expect(existsSync(`/dev/shm${r.stdout.trim()}`)).toBe(false);
  });

  it('keeps the segment when created with keep, until unlinked by name', () => {
    const name = testName();
    const shm = SharedMemory.create({ name, size: 64, keep: true });
    shm.close();
    expect(existsSync(`/dev/shm${name}`)).toBe(true);
    SharedMemory.unlink(name);
    expect(existsSync(`/dev/shm${name}`)).toBe(false);
  });

  it('uses exactly the requested mode, 0600 by default', () => {
    const a = create({ size: 1 });
    expect(execFileSync('stat', ['-c', '%a', `/dev/shm${a.name}`]).toString().trim()).toBe('600');
    const b = create({ size: 1, mode: 0o644 });
    expect(execFileSync('stat', ['-c', '%a', `/dev/shm${b.name}`]).toString().trim()).toBe('644');
  });

  it('detaches its buffer on close: old views read as empty and never fault', () => {
    const shm = SharedMemory.create({ size: 4096 });
    const view = new Uint32Array(shm.buffer);
    view[0] = 42;
    shm.close();
    expect(view.length).toBe(0);
    expect(view[0]).toBeUndefined();
    expect(() => shm.buffer).toThrow(ClosedError);
  });

  it('opens read-only: this process reads the segment, its writes stay private', () => {
    const shm = create({ size: 16 });
    new Uint8Array(shm.buffer)[0] = 7;
    const ro = SharedMemory.open(shm.name, { readonly: true });
    expect(new Uint8Array(ro.buffer)[0]).toBe(7);
    new Uint8Array(ro.buffer)[1] = 9; // copy-on-write page, no fault
    expect(new Uint8Array(shm.buffer)[1]).toBe(0);
    ro.close();
  });

  it('rejects bad arguments with TypeError/RangeError naming them', () => {
    expect(() => SharedMemory.create({ size: 0 })).toThrow(RangeError);
    expect(() => SharedMemory.create({ size: -1 })).toThrow(/options\.size/);
    expect(() => SharedMemory.create({ size: 1.5 })).toThrow(RangeError);
    expect(() => SharedMemory.create({ size: 2 ** 60 })).toThrow(RangeError);
    expect(() => SharedMemory.create({ size: '1' as never })).toThrow(TypeError);
    expect(() => SharedMemory.create(undefined as never)).toThrow(TypeError);
    expect(() => SharedMemory.create({ size: 1, name: 'noslash' })).toThrow(/options\.name/);
    expect(() => SharedMemory.create({ size: 1, name: '/a/b' })).toThrow(TypeError);
    expect(() => SharedMemory.create({ size: 1, name: '/' + 'x'.repeat(300) })).toThrow(TypeError);
    expect(() => SharedMemory.create({ size: 1, mode: -1 })).toThrow(RangeError);
    expect(() => SharedMemory.open(42 as never)).toThrow(TypeError);
  });

  it('reports ENOENT, EEXIST and ENOSPC as system errors', () => {
    const missing = testName('missing');
    expect(() => SharedMemory.open(missing)).toThrow(expect.objectContaining({
      code: 'ENOENT', syscall: 'shm_open', path: missing,
    }));
    const shm = create({ size: 1 });
    expect(() => SharedMemory.create({ name: shm.name, size: 1 })).toThrow(expect.objectContaining({
      code: 'EEXIST', syscall: 'shm_open',
    }));
    // Larger than /dev/shm can hold (but under the ArrayBuffer limit? no: the
    // limit check comes first when it is larger); pick the tmpfs size + 1 page.
    const free = Number(execFileSync('df', ['-B1', '--output=avail', '/dev/shm']).toString().split('\n')[1]);
    if (free + 4096 <= 2 ** 32) {
      expect(() => SharedMemory.create({ size: free + 4096 })).toThrow(expect.objectContaining({ code: 'ENOSPC' }));
    }
    expect(() => SharedMemory.unlink(missing)).toThrow(expect.objectContaining({ code: 'ENOENT', syscall: 'shm_unlink' }));
  });

  it('leaks no fds', () => {
    const before = openFds().length;
    for (let i = 0; i < 50; i++) {
      const s = SharedMemory.create({ size: 100 });
      SharedMemory.open(s.name).close();
      s.close();
    }
    expect(openFds().length).toBe(before);
  });

  it.runIf(hasPython())('is attached, read and written by Python\'s multiprocessing.shared_memory', () => {
    const shm = create({ size: 64 });
    Buffer.from(shm.buffer).write('node', 0);
    const py = spawnSync('python3', ['-c', `
import sys
from multiprocessing import shared_memory, resource_tracker
s = shared_memory.SharedMemory(name=sys.argv[1])
# Python 3.11 would unlink a segment it only attached at exit; it must not.
resource_tracker.unregister(s._name, 'shared_memory')
print(bytes(s.buf[:4]).decode())
s.buf[4:10] = b'python'
s.close()
`, shm.name.slice(1)], { encoding: 'utf8' });
    expect(py.stderr).toBe('');
    expect(py.stdout.trim()).toBe('node');
    expect(Buffer.from(shm.buffer, 4, 6).toString()).toBe('python');
  });

  it.runIf(hasPython())('opens a segment Python created', () => {
    const name = testName('py').slice(1);
    const py = spawnSync('python3', ['-c', `
import sys
from multiprocessing import shared_memory, resource_tracker
s = shared_memory.SharedMemory(name=sys.argv[1], create=True, size=32)
resource_tracker.unregister(s._name, 'shared_memory')
s.buf[:6] = b'hello!'
s.close()
`, name], { encoding: 'utf8' });
    expect(py.status).toBe(0);
    const shm = SharedMemory.open('/' + name);
    expect(Buffer.from(shm.buffer, 0, 6).toString()).toBe('hello!');
    shm.close();
    SharedMemory.unlink('/' + name);
  });
});
