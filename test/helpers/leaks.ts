// Finds osipc's named IPC objects left on the machine. Every osipc name (the
// defaults and the tests' own) is `osipc-<pid>-…`, so an object whose pid is
// no longer alive was leaked by a process that is gone.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Leak {
  where: 'shm' | 'sem' | 'mq' | 'sysv';
  name: string;
  pid: number;
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function ownerPid(name: string): number | undefined {
  const m = /^(?:sem\.)?osipc-(\d+)-/.exec(name);
  return m ? Number(m[1]) : undefined;
}

function listMqueue(): string[] {
  // The mqueue filesystem is often not mounted; mount it privately (root only).
  let dir: string | undefined;
  try {
    dir = mkdtempSync(join(tmpdir(), 'osipc-mq-'));
    execFileSync('mount', ['-t', 'mqueue', 'none', dir], { stdio: 'ignore' });
    try {
      return readdirSync(dir);
    } finally {
      execFileSync('umount', [dir], { stdio: 'ignore' });
    }
  } catch {
    return [];
  } finally {
    if (dir) try { rmdirSync(dir); } catch { /* still mounted or gone */ }
  }
}

/** System V objects as `kind/id` with their creator pid (from /proc/sysvipc). */
function listSysv(): { name: string; pid: number }[] {
  const out: { name: string; pid: number }[] = [];
  for (const kind of ['msg', 'shm', 'sem']) {
    let text: string;
    try { text = readFileSync(`/proc/sysvipc/${kind}`, 'utf8'); } catch { continue; }
    const [header, ...rows] = text.trim().split('\n');
    const cols = header!.trim().split(/\s+/);
    const idCol = cols.findIndex((c) => c.endsWith('id'));
    const cpidCol = cols.indexOf(kind === 'msg' ? 'lspid' : 'cpid');
    for (const row of rows) {
      const f = row.trim().split(/\s+/);
      out.push({ name: `${kind}/${f[idCol]}`, pid: cpidCol >= 0 ? Number(f[cpidCol]) : 0 });
    }
  }
  return out;
}

/** osipc objects whose creating process is dead. */
export function findLeaks(): Leak[] {
  const leaks: Leak[] = [];
  let shmNames: string[] = [];
  try { shmNames = readdirSync('/dev/shm'); } catch { /* not Linux */ }
  for (const name of shmNames) {
    const pid = ownerPid(name);
    if (pid !== undefined && !pidAlive(pid)) {
      leaks.push({ where: name.startsWith('sem.') ? 'sem' : 'shm', name, pid });
    }
  }
  for (const name of listMqueue()) {
    const pid = ownerPid(name);
    if (pid !== undefined && !pidAlive(pid)) leaks.push({ where: 'mq', name, pid });
  }
  return leaks;
}

/** System V objects present now that were not in `before` and whose last user is dead. */
export function snapshotSysv(): Set<string> {
  return new Set(listSysv().map((o) => o.name));
}

export function newSysvLeaks(before: Set<string>): Leak[] {
  return listSysv()
    .filter((o) => !before.has(o.name) && !pidAlive(o.pid))
    .map((o) => ({ where: 'sysv' as const, name: o.name, pid: o.pid }));
}

/** Open fds of this process, for before/after comparisons. */
export function openFds(): string[] {
  return readdirSync('/proc/self/fd');
}
