// Is an object's owner still alive? A pid can be reused, so a live pid only
// counts as the owner when that process started before the object changed
// last (Linux: /proc/<pid>/stat start time; elsewhere the pid alone).
import { readdirSync, readFileSync } from 'node:fs';

export function pidAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, under another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

let bootMs: number | null | undefined;
function bootTimeMs(): number | null {
  if (bootMs === undefined) {
    try {
      const m = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'));
      bootMs = m ? Number(m[1]) * 1000 : null;
    } catch {
      bootMs = null;
    }
  }
  return bootMs;
}

/** When the process started (ms since the epoch, to about a second), or null. */
export function processStartMs(pid: number): number | null {
  const boot = bootTimeMs();
  if (boot === null) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Field 22 (starttime) in clock ticks since boot; USER_HZ is 100 on Linux.
    return boot + Number(fields[19]) * 10;
  } catch {
    return null;
  }
}

/**
 * True when `pid` is alive and is not a newer process that took the pid of an
 * owner gone before `changedMs` (the object's last change; its creation is no later).
 */
export function ownerAlive(pid: number, changedMs?: number | null): boolean {
  if (!pidAlive(pid)) return false;
  if (changedMs == null) return true;
  const started = processStartMs(pid);
  // btime has a resolution of a second: leave a margin.
  return started === null || started <= changedMs + 2000;
}

export interface TrackerProcess {
  pid: number;
  owner: number;
  ownerAlive: boolean;
}

/** The SIGKILL trackers running on the machine (Linux). */
export function listTrackers(): TrackerProcess[] {
  const out: TrackerProcess[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    const m = /^osipc-tracker (\d+)\0*$/.exec(cmdline);
    if (m) out.push({ pid: Number(entry), owner: Number(m[1]), ownerAlive: pidAlive(Number(m[1])) });
  }
  return out;
}

let users: Map<number, string> | undefined;
/** The user name of a uid (from /etc/passwd), or null. */
export function userName(uid: number): string | null {
  if (!users) {
    users = new Map();
    try {
      for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
        const f = line.split(':');
        if (f.length > 2) users.set(Number(f[2]), f[0]!);
      }
    } catch { /* no passwd file */ }
  }
  return users.get(uid) ?? null;
}
