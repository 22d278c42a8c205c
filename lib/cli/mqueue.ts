// POSIX message queues are only visible through the mqueue filesystem. Where
// it is mounted (/dev/mqueue, usually) we read it; otherwise, as root, we
// mount it in a private mount namespace (unshare -m) that vanishes with the
// helper process, so the machine's mount table never changes. Without
// unshare, a temporary mount is made and removed at once.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface MqEntry {
  name: string;
  mode: number;
  uid: number;
  gid: number;
  changedMs: number;
  /** Bytes in the queue's messages now (QSIZE). */
  bytes: number | null;
}

export interface MqAccess {
  /** How the queues were reached, for the notes under `osipc ls`. */
  how: 'mounted' | 'private-mount' | 'temporary-mount' | 'none';
  /** Where it is mounted, when it is. */
  mountpoint: string | null;
  /** Why the queues cannot be listed, when they cannot. */
  problem: string | null;
}

const helper = fileURLToPath(new URL('./mqueue-helper.js', import.meta.url));

/**
 * Where the mqueue filesystem is mounted. /dev/mqueue, its usual place, first;
 * a mount elsewhere may be someone's temporary one (gone by the time we read
 * it), so as root we rather mount our own privately.
 */
function mqueueMountpoint(): string | null {
  const points: string[] = [];
  try {
    for (const line of readFileSync('/proc/self/mounts', 'utf8').split('\n')) {
      const f = line.split(' ');
      if (f[2] === 'mqueue') points.push(f[1]!.replace(/\\040/g, ' '));
    }
  } catch { /* not Linux */ }
  if (points.includes('/dev/mqueue')) return '/dev/mqueue';
  return process.getuid?.() === 0 ? null : points[0] ?? null;
}

function hasUnshare(): boolean {
  return spawnSync('unshare', ['--version'], { stdio: 'ignore' }).status === 0;
}

function runHelper(args: string[]): unknown {
  const mountpoint = mqueueMountpoint();
  if (mountpoint) {
    return JSON.parse(execFileSync(process.execPath, [helper, mountpoint, 'nomount', ...args], { encoding: 'utf8' }));
  }
  const dir = mkdtempSync(join(tmpdir(), 'osipc-mqueue-'));
  try {
    if (hasUnshare()) {
      return JSON.parse(execFileSync('unshare', ['--mount', '--propagation', 'private', '--',
        process.execPath, helper, dir, 'mount', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
    }
    try {
      return JSON.parse(execFileSync(process.execPath, [helper, dir, 'mount', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
    } finally {
      spawnSync('umount', [dir], { stdio: 'ignore' });
    }
  } finally {
    try { rmdirSync(dir); } catch { /* still busy: leave the empty directory */ }
  }
}

/** How queues can be reached here, without touching anything yet. */
export function mqAccess(): MqAccess {
  if (process.platform !== 'linux') {
    return { how: 'none', mountpoint: null, problem: `${process.platform} has no POSIX message queues` };
  }
  const mountpoint = mqueueMountpoint();
  if (mountpoint) return { how: 'mounted', mountpoint, problem: null };
  if (process.getuid?.() !== 0) {
    return {
      how: 'none', mountpoint: null,
      problem: 'the mqueue filesystem is not mounted and mounting it needs root; ' +
        'as root: mkdir -p /dev/mqueue && mount -t mqueue none /dev/mqueue',
    };
  }
  return { how: hasUnshare() ? 'private-mount' : 'temporary-mount', mountpoint: null, problem: null };
}

/** Every POSIX message queue (of this IPC namespace), or a problem saying why not. */
export function listMqueues(): { entries: MqEntry[]; access: MqAccess } {
  const access = mqAccess();
  if (access.problem) return { entries: [], access };
  try {
    return { entries: runHelper(['list']) as MqEntry[], access };
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim();
    return {
      entries: [],
      access: { ...access, how: 'none', problem: `cannot mount the mqueue filesystem: ${stderr || (err as Error).message}` },
    };
  }
}

/** mq_unlink through the filesystem; returns the error code per name (null: removed). */
export function unlinkMqueues(names: string[]): Map<string, string | null> {
  const access = mqAccess();
  if (access.problem) throw new Error(access.problem);
  const results = runHelper(['unlink', ...names]) as { name: string; code: string | null }[];
  return new Map(results.map((r) => [r.name, r.code]));
}
