// Secure by default: named objects are created O_EXCL with mode 0600 and a
// random name; open never creates; another user (a child that became
// `nobody`) is refused with EACCES unless the mode lets it in.
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, statSync } from 'node:fs';
import * as osipc from 'osipc';
import { runNode, testName } from './helpers/child.js';

const NOBODY = 65534;
const isRoot = process.getuid?.() === 0;

interface Closable { close(): void; name: string }

/**
 * Every named kind on main, as a table: how to create one (with a mode), how a
 * child opens it (an expression of `osipc` and `name`), and the syscall that
 * refuses it. Kinds whose class has not landed yet are skipped.
 */
const kinds: {
  exportName: string;
  create(name: string, mode?: number): Closable;
  open: string;
  /** The call that refuses: create (EEXIST) and open (ENOENT). */
  syscall: string;
  /** The call that refuses another user, when it is not `syscall`. */
  refusedBy?: string;
  /** A name (or key) nothing has. */
  absent?: () => string;
  /** The object as a file, where the OS shows it as one. */
  file?: (name: string) => string;
}[] = [
  {
    exportName: 'SharedMemory',
    create: (name, mode) => osipc.SharedMemory.create({ name, size: 64, mode }),
    open: 'osipc.SharedMemory.open(name)',
    syscall: 'shm_open',
    file: (name) => `/dev/shm${name}`,
  },
  {
    exportName: 'NamedSemaphore',
    create: (name, mode) => (osipc as any).NamedSemaphore.create({ name, value: 0, mode }),
    open: 'osipc.NamedSemaphore.open(name)',
    syscall: 'sem_open',
    file: (name) => `/dev/shm/sem.${name.slice(1)}`,
  },
  {
    exportName: 'MessageQueue',
    create: (name, mode) => (osipc as any).MessageQueue.create({ name, mode }),
    open: 'osipc.MessageQueue.open(name)',
    syscall: 'mq_open',
  },
  {
    // Keyed, not named: the "name" here is the key in decimal.
    exportName: 'SysVMessageQueue',
    create: (name, mode) => {
      const key = Number(name);
      const q = (osipc as any).SysVMessageQueue.create({ key: Number.isInteger(key) ? key : keyFor(name), mode });
      return { close: () => q.close(), name: String(q.key) };
    },
    // msgget(key, 0) asks for no access, so the kernel checks it at msgsnd/msgrcv.
    open: '(() => { const q = osipc.SysVMessageQueue.open(Number(name)); q.sendSync(Buffer.from("x"), { timeout: 0 }); return q; })()',
    syscall: 'msgget',
    refusedBy: 'msgsnd',
    absent: () => String(keyFor(testName('absent'))),
  },
  // Layer 2 objects live in shared memory created 0600 by default.
  ...['Lock', 'Event', 'Semaphore'].map((exportName) => ({
    exportName,
    create: (name: string) => new (osipc as any)[exportName](...(exportName === 'Semaphore' ? [1, { name }] : [{ name }])),
    open: `osipc.${exportName}.open(name)`,
    syscall: 'shm_open',
    file: (name: string) => `/dev/shm${name}`,
  })),
  {
    exportName: 'Queue',
    create: (name, mode) => new (osipc as any).Queue({ name, mode, capacity: 4096 }),
    open: 'osipc.Queue.open(name)',
    syscall: 'shm_open',
    file: (name) => `/dev/shm${name}`,
  },
  {
    exportName: 'Value',
    create: (name) => new (osipc as any).Value('i', 7, { name }),
    open: 'osipc.Value.open(name)',
    syscall: 'shm_open',
    file: (name) => `/dev/shm${name}`,
  },
];

/** A System V key of our own, from a test name (never IPC_PRIVATE). */
function keyFor(name: string): number {
  let h = 0x811c9dc5;
  for (const c of name) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193);
  return (h & 0x7ffffffe) | 1;
}
const present = kinds.filter((k) => typeof (osipc as Record<string, unknown>)[k.exportName] === 'function');

const made: Closable[] = [];
afterEach(() => {
  for (const o of made.splice(0)) o.close();
});
function create(k: (typeof kinds)[number], mode?: number): Closable {
  const o = k.create(testName(k.exportName), mode);
  made.push(o);
  return o;
}

/** Opens `name` in a child that first becomes nobody; returns the error's code and syscall, or 'opened'. */
async function openAsNobody(expr: string, name: string): Promise<string> {
  const r = await runNode(`
    import * as osipc from 'osipc';
    process.setgid(${NOBODY});
    process.setuid(${NOBODY});
    const name = process.argv[2];
    try {
      const o = ${expr};
      console.log('opened');
      o.close();
    } catch (e) {
      console.log(e.code + ' ' + e.syscall);
    }`, [name]);
  expect(r.stderr).toBe('');
  return r.stdout.trim();
}

describe.each(present.map((k) => [k.exportName, k] as const))('%s is secure by default', (_, k) => {
  it.skipIf(!isRoot)('refuses another user with EACCES at the default mode 0600', async () => {
    const o = create(k);
    expect(await openAsNobody(k.open, o.name)).toBe(`EACCES ${k.refusedBy ?? k.syscall}`);
  });

  it('creates with mode 0600 (the umask does not apply) and refuses a taken name with EEXIST', () => {
    const o = create(k);
    if (k.file) expect((statSync(k.file(o.name)).mode & 0o777).toString(8)).toBe('600');
    let err: NodeJS.ErrnoException | undefined;
    try {
      k.create(o.name);
    } catch (e) {
      err = e as NodeJS.ErrnoException;
    }
    expect(err?.code).toBe('EEXIST');
    expect((err as { syscall?: string }).syscall).toBe(k.syscall);
  });

  it('open never creates: ENOENT, and nothing appears', async () => {
    const name = k.absent?.() ?? testName('absent');
    const r = await runNode(`
      import * as osipc from 'osipc';
      const name = process.argv[2];
      try { ${k.open}; console.log('opened'); } catch (e) { console.log(e.code + ' ' + e.syscall); }`, [name]);
    expect(r.stdout.trim()).toBe(`ENOENT ${k.syscall}`);
    if (k.file) expect(existsSync(k.file(name))).toBe(false);
  });
});

describe('secure by default: SharedMemory specifics', () => {
  it.skipIf(!isRoot)('lets another user in only as far as the mode allows', async () => {
    const o = create(kinds[0]!, 0o604);
    const writer = osipc.SharedMemory.open(o.name);
    new Uint8Array(writer.buffer).set([7, 8, 9]);
    writer.close();
    expect(await openAsNobody('osipc.SharedMemory.open(name)', o.name)).toBe('EACCES shm_open');
    const r = await runNode(`
      import { SharedMemory } from 'osipc';
      process.setgid(${NOBODY}); process.setuid(${NOBODY});
      const s = SharedMemory.open(process.argv[2], { readonly: true });
      console.log([...new Uint8Array(s.buffer, 0, 3)].join(','));
      s.close();`, [o.name]);
    expect(r.stdout.trim()).toBe('7,8,9');
  });

  it('does not touch the existing segment when a create collides with it', () => {
    const o = osipc.SharedMemory.create({ name: testName(), size: 4096 });
    made.push(o);
    new Uint8Array(o.buffer)[4000] = 42;
    expect(() => osipc.SharedMemory.create({ name: o.name, size: 10 })).toThrow(expect.objectContaining({ code: 'EEXIST' }));
    expect(statSync(`/dev/shm${o.name}`).size).toBe(4096);
    expect(new Uint8Array(o.buffer)[4000]).toBe(42);
  });

  it('gives random default names that carry the creator\'s pid', () => {
    const names = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const s = osipc.SharedMemory.create({ size: 1 });
      names.add(s.name);
      expect(s.name).toMatch(new RegExp(`^/osipc-${process.pid}-[0-9a-f]{8}$`));
      s.close();
    }
    expect(names.size).toBe(200);
    expect(readdirSync('/dev/shm').filter((n) => [...names].includes(`/${n}`))).toEqual([]);
  });
});
