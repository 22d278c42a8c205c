// Every named IPC object on the machine, osipc's and everyone else's:
// POSIX shared memory and named semaphores (/dev/shm), POSIX message queues
// (the mqueue filesystem), System V queues, segments and semaphore sets
// (/proc/sysvipc). osipc names carry their creator's pid (`/osipc-<pid>-…`).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { listMqueues, type MqAccess } from './mqueue.js';
import { listTrackers, ownerAlive, type TrackerProcess, userName } from './procs.js';

export type ObjectKind = 'shm' | 'sem' | 'mq' | 'sysv-msg' | 'sysv-shm' | 'sysv-sem';
export const OBJECT_KINDS: ObjectKind[] = ['shm', 'sem', 'mq', 'sysv-msg', 'sysv-shm', 'sysv-sem'];

export interface IpcObject {
  /** `kind:name`, what `osipc rm` takes: `shm:/x`, `mq:/q`, `sysv-msg:32768`. */
  id: string;
  kind: ObjectKind;
  /** POSIX: `/name`. System V: the id. */
  name: string;
  /** System V key, as ipcs shows it (0x00000000 is IPC_PRIVATE). */
  key: string | null;
  /** Bytes: the segment's size, or the bytes queued in a message queue. Null for semaphores. */
  size: number | null;
  /** A POSIX semaphore's value, a System V queue's message count, a set's semaphore count. */
  value: number | null;
  /** Permission bits as octal text, e.g. '0600'. */
  mode: string;
  uid: number;
  user: string | null;
  /** Creator pid: from an osipc name, or a System V segment's cpid; null when unknown. */
  ownerPid: number | null;
  ownerAlive: boolean | null;
  /** Named `/osipc-<pid>-…`. */
  osipc: boolean;
  /** An osipc object whose owner is gone: `osipc rm --stale` removes it. */
  stale: boolean;
  /** Last change (ISO time); creation is no later. */
  changed: string | null;
}

export interface Inventory {
  objects: IpcObject[];
  trackers: TrackerProcess[];
  mqueue: MqAccess;
  notes: string[];
}

const OSIPC_NAME = /^\/osipc-(\d+)-/;

function octal(mode: number): string {
  return `0${(mode & 0o777).toString(8).padStart(3, '0')}`;
}

function make(kind: ObjectKind, name: string, fields: {
  key?: string | null; size: number | null; value?: number | null; mode: number; uid: number;
  changedMs: number | null; cpid?: number | null;
}): IpcObject {
  const m = OSIPC_NAME.exec(name);
  const osipc = m !== null;
  const ownerPid = m ? Number(m[1]) : fields.cpid ?? null;
  const alive = ownerPid === null ? null : ownerAlive(ownerPid, fields.changedMs);
  return {
    id: `${kind}:${name}`, kind, name, key: fields.key ?? null, size: fields.size, value: fields.value ?? null,
    mode: octal(fields.mode), uid: fields.uid, user: userName(fields.uid), ownerPid, ownerAlive: alive,
    osipc, stale: osipc && alive === false,
    changed: fields.changedMs === null ? null : new Date(fields.changedMs).toISOString(),
  };
}

/** A named semaphore's value: the low 31 bits of its first word (glibc 64-bit and musl). */
function semValue(path: string): number | null {
  if (process.arch !== 'x64' && process.arch !== 'arm64') return null;
  try {
    const b = readFileSync(path);
    return b.length >= 4 ? b.readUInt32LE(0) & 0x7fffffff : null;
  } catch {
    return null;
  }
}

function listDevShm(): IpcObject[] {
  const out: IpcObject[] = [];
  let files: string[];
  try {
    files = readdirSync('/dev/shm');
  } catch {
    return out;
  }
  for (const file of files) {
    const path = `/dev/shm/${file}`;
    let st;
    try {
      st = statSync(path);
    } catch {
      continue;
    }
    if (!st.isFile()) continue;
    const common = { mode: st.mode, uid: st.uid, changedMs: st.ctimeMs };
    if (file.startsWith('sem.')) {
      out.push(make('sem', `/${file.slice(4)}`, { ...common, size: null, value: semValue(path) }));
    } else {
      out.push(make('shm', `/${file}`, { ...common, size: st.size }));
    }
  }
  return out;
}

/** Rows of /proc/sysvipc/<file> as objects keyed by column name. */
function sysvRows(file: string): Record<string, string>[] {
  let text: string;
  try {
    text = readFileSync(`/proc/sysvipc/${file}`, 'utf8');
  } catch {
    return [];
  }
  const [header, ...rows] = text.trim().split('\n');
  const cols = header!.trim().split(/\s+/);
  return rows.map((row) => {
    const f = row.trim().split(/\s+/);
    return Object.fromEntries(cols.map((c, i) => [c, f[i] ?? '']));
  });
}

function hexKey(key: string): string {
  return `0x${(Number(key) >>> 0).toString(16).padStart(8, '0')}`;
}

function listSysv(): IpcObject[] {
  const out: IpcObject[] = [];
  const ms = (s: string | undefined): number | null => (s ? Number(s) * 1000 : null);
  for (const r of sysvRows('msg')) {
    // A queue records its last sender and receiver, not its creator.
    out.push(make('sysv-msg', r.msqid!, {
      key: hexKey(r.key!), size: Number(r.cbytes), value: Number(r.qnum), mode: parseInt(r.perms!, 8),
      uid: Number(r.uid), changedMs: ms(r.ctime),
    }));
  }
  for (const r of sysvRows('shm')) {
    out.push(make('sysv-shm', r.shmid!, {
      key: hexKey(r.key!), size: Number(r.size), value: Number(r.nattch), mode: parseInt(r.perms!, 8),
      uid: Number(r.uid), changedMs: ms(r.ctime), cpid: Number(r.cpid),
    }));
  }
  for (const r of sysvRows('sem')) {
    out.push(make('sysv-sem', r.semid!, {
      key: hexKey(r.key!), size: null, value: Number(r.nsems), mode: parseInt(r.perms!, 8),
      uid: Number(r.uid), changedMs: ms(r.ctime),
    }));
  }
  return out;
}

/** Everything, in kind order then name order. */
export function takeInventory(): Inventory {
  const notes: string[] = [];
  const { entries, access } = listMqueues();
  const mqs = entries.map((e) => make('mq', e.name, {
    size: e.bytes, mode: e.mode, uid: e.uid, changedMs: e.changedMs,
  }));
  if (access.problem) notes.push(`POSIX message queues not listed: ${access.problem}`);
  else if (access.how === 'private-mount') notes.push('POSIX message queues: read through a private mount of the mqueue filesystem (/dev/mqueue is not mounted)');
  else if (access.how === 'temporary-mount') notes.push('POSIX message queues: read through a temporary mount of the mqueue filesystem (/dev/mqueue is not mounted)');
  if (process.platform !== 'linux') notes.push(`listing needs Linux's /dev/shm and /proc; on ${process.platform} only what can be reached is shown`);
  const objects = [...listDevShm(), ...mqs, ...listSysv()];
  const order = (o: IpcObject): number => OBJECT_KINDS.indexOf(o.kind);
  objects.sort((a, b) => order(a) - order(b) || (a.kind.startsWith('sysv')
    ? Number(a.name) - Number(b.name) : a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { objects, trackers: listTrackers(), mqueue: access, notes };
}
