// `osipc doctor`: the kernel and process limits osipc's objects run into,
// how much of each is in use, what fails when one bites, and what to change.
import { readFileSync, statfsSync } from 'node:fs';
import { release } from 'node:os';
import type { Inventory } from './inventory.js';

export interface Check {
  section: string;
  name: string;
  /** The limit as read (null: unknown here). */
  value: number | string | null;
  /** How much of it is in use, when that can be told. */
  used: number | null;
  /** What hits it, how it fails, and what to change. */
  advice: string;
  /** In use at 80% or more of the limit. */
  warn: boolean;
}

function readNumber(path: string): number | null {
  try {
    const n = Number(readFileSync(path, 'utf8').trim().split(/\s+/)[0]);
    return Number.isFinite(n) ? n : null;
  } catch {
    return null;
  }
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8').trim().replace(/\s+/g, ' ');
  } catch {
    return null;
  }
}

/** Soft limit of this process (the shell's, for the command) from /proc/self/limits. */
function rlimit(label: string): { soft: number | null; hard: number | null } {
  const text = readText('/proc/self/limits');
  const m = text ? new RegExp(`${label}\\s+(\\S+)\\s+(\\S+)`).exec(text) : null;
  const num = (s: string | undefined): number | null => (s === undefined || s === 'unlimited' ? null : Number(s));
  return { soft: num(m?.[1]), hard: num(m?.[2]) };
}

/** `wait`: how Promise futex waits sleep here (lib/os/futex-ring.ts futexWaitMethod). */
export function runChecks(inv: Inventory, wait: { ring: boolean; why: string }): Check[] {
  const checks: Check[] = [];
  const add = (section: string, name: string, value: number | string | null, used: number | null, advice: string): void => {
    const warn = typeof value === 'number' && used !== null && value > 0 && used >= 0.8 * value;
    checks.push({ section, name, value, used, advice, warn });
  };
  const n = (kind: string): number => inv.objects.filter((o) => o.kind === kind).length;
  const mqListed = inv.mqueue.problem === null;

  const mq = 'POSIX message queues (MessageQueue)';
  add(mq, 'fs.mqueue.msg_max', readNumber('/proc/sys/fs/mqueue/msg_max'), null,
    'most messages one queue may hold: a larger maxMessages fails with EINVAL (root may exceed it up to 65536). ' +
    'Raise: sysctl -w fs.mqueue.msg_max=N');
  add(mq, 'fs.mqueue.msgsize_max', readNumber('/proc/sys/fs/mqueue/msgsize_max'), null,
    'largest message a queue may be created for: a larger messageSize fails with EINVAL. ' +
    'Raise: sysctl -w fs.mqueue.msgsize_max=BYTES (at most 16 MiB)');
  add(mq, 'fs.mqueue.queues_max', readNumber('/proc/sys/fs/mqueue/queues_max'), mqListed ? n('mq') : null,
    'queues on the machine: creating one more fails with ENOSPC. Remove leftovers (osipc rm --stale) ' +
    'or raise: sysctl -w fs.mqueue.queues_max=N');
  add(mq, 'fs.mqueue.msg_default / msgsize_default',
    `${readNumber('/proc/sys/fs/mqueue/msg_default') ?? '?'} / ${readNumber('/proc/sys/fs/mqueue/msgsize_default') ?? '?'}`, null,
    'what a queue gets when maxMessages / messageSize are not given');
  const mqBytes = rlimit('Max msgqueue size');
  add(mq, 'RLIMIT_MSGQUEUE (bytes per user)', mqBytes.soft, null,
    'bytes all of one user\'s queues may reserve (about maxMessages x (messageSize + pointer)): past it mq_open ' +
    'fails with EMFILE. Raise: ulimit -q BYTES, LimitMSGQUEUE= in a systemd unit, or make queues smaller');

  const shm = 'Shared memory (SharedMemory, and what Queue, Value, Lock build on)';
  try {
    const fs = statfsSync('/dev/shm');
    const size = fs.blocks * fs.bsize;
    const free = fs.bavail * fs.bsize;
    add(shm, '/dev/shm size (bytes)', size, size - free,
      `free now: ${free} bytes. SharedMemory.create fails with ENOSPC when the segment does not fit (osipc checks; ` +
      'tmpfs itself would kill the process with SIGBUS on first touch). Raise: mount -o remount,size=4G /dev/shm; ' +
      'in Docker: --shm-size=4g');
  } catch {
    add(shm, '/dev/shm', null, null, 'not found: POSIX shared memory and named semaphores live there on Linux');
  }
  add(shm, 'kernel.shmmax / shmmni (System V)', readText('/proc/sys/kernel/shmmax') && `${readText('/proc/sys/kernel/shmmax')} / ${readText('/proc/sys/kernel/shmmni')}`,
    null, 'System V segments only (osipc uses POSIX shared memory): largest segment / number of segments');

  const sem = 'Semaphores';
  add(sem, 'SEM_VALUE_MAX (POSIX)', 2147483647, null,
    'highest value of a NamedSemaphore: post() past it fails with EOVERFLOW');
  add(sem, 'SEMVMX (System V)', 32767, null, 'highest value of a System V semaphore (fixed in the kernel)');
  const semLine = readText('/proc/sys/kernel/sem');
  const [semmsl, semmns, semopm, semmni] = semLine ? semLine.split(' ').map(Number) : [];
  add(sem, 'kernel.sem (SEMMSL SEMMNS SEMOPM SEMMNI)', semLine, null,
    `per set ${semmsl ?? '?'}, in all ${semmns ?? '?'}, per semop ${semopm ?? '?'}, sets ${semmni ?? '?'}: ` +
    'semget fails with ENOSPC/EINVAL past them. Raise: sysctl -w kernel.sem="SEMMSL SEMMNS SEMOPM SEMMNI"');
  add(sem, 'kernel.sem SEMMNI (sets in use)', semmni ?? null, n('sysv-sem'), 'System V semaphore sets on the machine');

  const msg = 'System V message queues (SysVMessageQueue)';
  add(msg, 'kernel.msgmax', readNumber('/proc/sys/kernel/msgmax'), null,
    'largest message: sending more fails with EINVAL. Raise: sysctl -w kernel.msgmax=BYTES');
  add(msg, 'kernel.msgmnb', readNumber('/proc/sys/kernel/msgmnb'), null,
    'bytes one queue holds: send() waits (or fails with EAGAIN when not waiting) while it is full. ' +
    'Raise: sysctl -w kernel.msgmnb=BYTES, or per queue with msgctl IPC_SET (root)');
  add(msg, 'kernel.msgmni', readNumber('/proc/sys/kernel/msgmni'), n('sysv-msg'),
    'queues on the machine: msgget fails with ENOSPC past it. Raise: sysctl -w kernel.msgmni=N');

  const proc = 'This process (limits are inherited from the shell)';
  const nofile = rlimit('Max open files');
  add(proc, 'RLIMIT_NOFILE (open files)', nofile.soft, null,
    `hard limit ${nofile.hard ?? 'unlimited'}. Every open MessageQueue, Pipe end, Connection, Process and poller holds ` +
    'a file descriptor: past it, opens fail with EMFILE. Raise: ulimit -n N (up to the hard limit), LimitNOFILE= in systemd');
  add(proc, 'kernel', `${process.platform} ${release()}`, null, `node ${process.version}`);
  add(proc, 'Promise futex waits', wait.ring ? 'io_uring' : 'wait threads', null, wait.ring
    ? `${wait.why}: a wake-up reaches the event loop in one hop`
    : `${wait.why}: osipc's own threads sleep for them, one more hop per wake-up (Linux 6.7+ with io_uring enabled ` +
      'needs none: sysctl kernel.io_uring_disabled=0, and a seccomp profile that allows io_uring_setup)');

  const osipc = 'osipc';
  const stale = inv.objects.filter((o) => o.stale).length;
  add(osipc, 'stale objects', stale, null,
    stale > 0 ? 'osipc objects whose creator is gone and was not cleaned up: list with osipc ls --stale, remove with osipc rm --stale'
      : 'none: every osipc object belongs to a live process');
  const orphans = inv.trackers.filter((t) => !t.ownerAlive).length;
  add(osipc, 'trackers running', inv.trackers.length, null,
    orphans > 0 ? `${orphans} whose owner is gone: it should have exited at once (report it)`
      : 'one per process that owns named objects; each exits when its owner does');
  add(osipc, 'mqueue filesystem', inv.mqueue.mountpoint ?? (inv.mqueue.problem ? 'not reachable' : 'not mounted'), null,
    inv.mqueue.problem ?? (inv.mqueue.mountpoint ? 'queues are listed from it'
      : 'queues are listed through a private mount; to see them with ls: mount -t mqueue none /dev/mqueue'));
  for (const c of checks) if (c.section === osipc && c.name === 'stale objects') c.warn = stale > 0;
  for (const c of checks) if (c.section === osipc && c.name === 'trackers running') c.warn = orphans > 0;
  return checks;
}

function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) out.push(line);
  return out;
}

export function formatChecks(checks: Check[]): string {
  const lines: string[] = [];
  let section = '';
  const width = Math.max(...checks.map((c) => c.name.length));
  for (const c of checks) {
    if (c.section !== section) {
      section = c.section;
      lines.push('', section);
    }
    const value = c.value === null ? 'unknown' : String(c.value);
    const used = c.used === null ? '' : `  (in use: ${c.used})`;
    lines.push(`  ${c.warn ? '!' : ' '} ${c.name.padEnd(width)}  ${value}${used}`);
    for (const l of wrap(c.advice, 90)) lines.push(`      ${l}`);
  }
  return lines.slice(1).join('\n');
}
