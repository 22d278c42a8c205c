// Ownership of named objects (DESIGN.md): the process that creates a named
// object unlinks it when it closes it or exits; an opener never does; a
// creator can keep one on purpose (`keep: true`: it never calls own()).
//
// How each way of dying is covered:
//   normal exit, process.exit(), uncaught exception  -> the 'exit' event
//   SIGINT, SIGTERM, SIGHUP with no JS listener of the user's -> a native
//     handler (native/sys/owned.cc) unlinks, then hands the signal to the
//     action it replaced: the process dies of the signal as it would have,
//     even while JavaScript is blocked (a JS listener would wait for the event
//     loop, and would turn off the default exit)
//   those signals with the user's listeners -> untouched: libuv's handler
//     replaces ours, the user decides, and if they exit, the 'exit' event unlinks
//   SIGKILL, a crash, anything else -> the tracker process (lib/tracker.ts)
//     sees its pipe close and unlinks what was still owned.
import { constants } from 'node:os';
import { isMainThread } from 'node:worker_threads';
import { native } from './binding.js';
import { TrackerLink } from './tracker-client.js';

const binding = native as {
  ownedAdd(kind: number, name: string): number;
  ownedRemove(slot: number): void;
  ownedSetTrackerFd(fd: number): void;
  signalCleanupInstall(signo: number): number;
  signalCleanupRemove(signo: number): number;
};

/**
 * What kind of object it is, which says how the tracker removes it by name:
 * shm (shm_unlink), sem (sem_unlink), mq (mq_unlink), sysvmq (msgctl IPC_RMID;
 * the name is `0x<key>/<id>`, removed only while queue <id> still has that key). See lib/tracker-kinds.ts.
 */
export type OwnedKind = 'shm' | 'sem' | 'mq' | 'sysvmq';

/** The native list's number for each kind (native/sys/owned.h). */
const KIND_NUMBER: Record<OwnedKind, number> = { shm: 0, sem: 1, mq: 2, sysvmq: 3 };

export interface Ownership {
  kind: OwnedKind;
  name: string;
  /** Unlinks the object; called once, at close or at exit. */
  unlink(): void;
}

/** Owned objects -> their slot in the native list (-1: not in it). */
const owned = new Map<Ownership, number>();
// A fork() child (its pid differs) shares this module's state but must
// neither install handlers nor start a tracker: it leaves with _exit.
const startPid = process.pid;
const tracker = new TrackerLink(() => [...owned.keys()].map(({ kind, name }) => ({ kind, name })),
  (fd) => binding.ownedSetTrackerFd(fd));
let exitHooked = false;

/** The signals whose default action ends the process and that a user sends by hand. */
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
type CleanupSignal = (typeof SIGNALS)[number];

function isGone(err: unknown): boolean {
  return (err as { code?: string } | null)?.code === 'ENOENT';
}

/**
 * The native handler is in place for a signal exactly while this process owns
 * something and the user has no JS listener for it. Called whenever either changes.
 */
function syncSignal(signal: CleanupSignal): void {
  if (!isMainThread || process.pid !== startPid) return;
  const signo = constants.signals[signal];
  if (owned.size > 0 && process.listenerCount(signal) === 0) binding.signalCleanupInstall(signo);
  else if (owned.size === 0) binding.signalCleanupRemove(signo);
  // With a listener of the user's, libuv's handler has replaced ours already.
}

function syncSignals(): void {
  for (const s of SIGNALS) syncSignal(s);
}

function onListenerRemoved(event: string | symbol): void {
  // The user's last listener is gone and libuv put back the default action:
  // ours goes back in place.
  if ((SIGNALS as readonly (string | symbol)[]).includes(event)) syncSignal(event as CleanupSignal);
}

function forget(o: Ownership): void {
  const slot = owned.get(o);
  owned.delete(o);
  if (slot !== undefined && slot >= 0) binding.ownedRemove(slot);
}

function unlinkAll(): void {
  for (const o of [...owned.keys()]) {
    forget(o);
    try {
      o.unlink();
    } catch {
      // Already gone (unlinked by hand or by `osipc rm`): nothing to do.
    }
  }
}

function onExit(): void {
  if (process.pid !== startPid) return;
  const had = owned.size > 0;
  unlinkAll();
  syncSignals();
  if (had) tracker.forgetAll();
  tracker.close();
}

/** Records that this process created `name`; returns a handle to release it. */
export function own(o: Ownership): { release(unlinkNow: boolean): void } {
  const mine = process.pid === startPid;
  if (!exitHooked && mine) {
    exitHooked = true;
    process.on('exit', onExit);
    process.on('removeListener', onListenerRemoved);
  }
  // A name too long for the native list is still covered at exit and by the tracker.
  owned.set(o, binding.ownedAdd(KIND_NUMBER[o.kind], o.name));
  if (mine) {
    if (owned.size === 1) syncSignals();
    tracker.add(o.kind, o.name);
  }
  return {
    /**
     * Stops owning it: `unlinkNow` unlinks it first (close), false leaves it
     * (it was unlinked by other means). An object already gone is not an error.
     */
    release(unlinkNow: boolean) {
      if (!owned.has(o)) return;
      try {
        if (unlinkNow) o.unlink();
      } catch (err) {
        if (!isGone(err)) throw err;
      }
      forget(o);
      if (process.pid === startPid) {
        tracker.remove(o.kind, o.name);
        if (owned.size === 0) syncSignals();
      }
    },
  };
}

/** The objects this process owns now (for `osipc ls` and tests). */
export function ownedObjects(): { kind: OwnedKind; name: string }[] {
  return [...owned.keys()].map(({ kind, name }) => ({ kind, name }));
}

/** The tracker's pid (null when none runs), and why there is none when it is disabled. */
export function trackerStatus(): { pid: number | null; disabledReason: string | null } {
  return { pid: tracker.pid, disabledReason: tracker.disabledReason };
}
