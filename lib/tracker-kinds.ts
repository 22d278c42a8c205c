// How an owned object of each kind is removed, by name alone: used by the
// SIGKILL tracker (which has only the names its owner sent) and by `osipc rm`.
// Adding a kind is one line here plus its name in OwnedKind.
import { native } from './binding.js';
import { notSupported } from './errors.js';
import type { OwnedKind } from './ownership.js';

type NativeRemove = (arg: string | number) => void;

/** kind -> [native function, how the name becomes its argument]. */
const REMOVERS: Record<OwnedKind, [fn: string, arg: (name: string) => string | number]> = {
  shm: ['shmUnlink', String],          // shm_unlink(name)
  sem: ['semUnlink', String],          // sem_unlink(name)
  mq: ['mqUnlink', String],            // mq_unlink(name)
  sysvmq: ['sysvRemove', Number],      // msgctl(id, IPC_RMID); the name is the msqid
};

export const OWNED_KINDS = Object.keys(REMOVERS) as OwnedKind[];

export function isOwnedKind(kind: string): kind is OwnedKind {
  return Object.prototype.hasOwnProperty.call(REMOVERS, kind);
}

/** True when this build has the native call that removes `kind`. */
export function canRemove(kind: OwnedKind): boolean {
  return typeof (native as Record<string, unknown>)[REMOVERS[kind][0]] === 'function';
}

/** Removes the object; throws the system error (ENOENT when it is already gone). */
export function removeOwned(kind: OwnedKind, name: string): void {
  const [fn, arg] = REMOVERS[kind];
  const remove = (native as Record<string, unknown>)[fn] as NativeRemove | undefined;
  if (typeof remove !== 'function') throw notSupported(fn, `this build of osipc cannot remove ${kind} objects`);
  remove(arg(name));
}
