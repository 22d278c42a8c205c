// How an owned object of each kind is removed, by name alone: used by the
// SIGKILL tracker (which has only the names its owner sent) and by `osipc rm`.
// Adding a kind is one line here plus its name in OwnedKind.
import { native } from './binding.js';
import { notSupported } from './errors.js';
import type { OwnedKind } from './ownership.js';

type Native = Record<string, ((...args: unknown[]) => unknown) | undefined>;

function call(fn: string, ...args: unknown[]): unknown {
  const f = (native as Native)[fn];
  if (typeof f !== 'function') throw notSupported(fn, 'this build of osipc cannot remove that kind of object');
  return f(...args);
}

/**
 * A System V queue is named `0x<key>/<id>`: it is removed only while queue
 * <id> still has that key (ids are reused once a queue is gone).
 */
function removeSysvQueue(name: string): void {
  const m = /^0x([0-9a-f]{1,8})\/(\d+)$/i.exec(name);
  if (!m) throw Object.assign(new Error(`not a System V queue name: ${name}`), { code: 'EINVAL' });
  const key = parseInt(m[1]!, 16) | 0;
  const id = Number(m[2]);
  const stat = call('sysvStat', id) as { key: number };
  if ((stat.key | 0) !== key) throw Object.assign(new Error(`queue ${id} is not ${name} any more`), { code: 'ENOENT' });
  call('sysvRemove', id);
}

/** kind -> how an object of that kind is removed by name. One line per kind. */
const REMOVERS: Record<OwnedKind, [fn: string, remove: (name: string) => void]> = {
  shm: ['shmUnlink', (name) => call('shmUnlink', name)],     // shm_unlink(name)
  sem: ['semUnlink', (name) => call('semUnlink', name)],     // sem_unlink(name)
  mq: ['mqUnlink', (name) => call('mqUnlink', name)],        // mq_unlink(name)
  sysvmq: ['sysvRemove', removeSysvQueue],                   // msgctl(id, IPC_RMID)
};

export const OWNED_KINDS = Object.keys(REMOVERS) as OwnedKind[];

export function isOwnedKind(kind: string): kind is OwnedKind {
  return Object.prototype.hasOwnProperty.call(REMOVERS, kind);
}

/** True when this build has the native call that removes `kind`. */
export function canRemove(kind: OwnedKind): boolean {
  return typeof (native as Native)[REMOVERS[kind][0]] === 'function';
}

/** Removes the object; throws the system error (ENOENT when it is already gone). */
export function removeOwned(kind: OwnedKind, name: string): void {
  REMOVERS[kind][1](name);
}
