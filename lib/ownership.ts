// Ownership of named objects (DESIGN.md): the process that creates a named
// object unlinks it when it closes it or exits; an opener never does; a
// creator can keep one on purpose (`keep: true`: it never calls own()).
//
// How each way of dying is covered:
//   normal exit, process.exit(), uncaught exception  -> the 'exit' event
//   SIGINT, SIGTERM, SIGHUP with no handler of the user's -> unlink, then the
//     signal again with its default action (the exit status stays 128+n)
//   those signals with the user's handlers -> untouched: the user decides, and
//     if they exit, the 'exit' event unlinks
//   SIGKILL, a crash, anything else -> the tracker process (lib/tracker.ts)
//     sees its pipe close and unlinks what was still owned.
import { isMainThread } from 'node:worker_threads';
import { TrackerLink } from './tracker-client.js';

/**
 * What kind of object it is, which says how the tracker removes it by name:
 * shm (shm_unlink), sem (sem_unlink), mq (mq_unlink), sysvmq (msgctl IPC_RMID;
 * the name is the queue id in decimal). See lib/tracker-kinds.ts.
 */
export type OwnedKind = 'shm' | 'sem' | 'mq' | 'sysvmq';

export interface Ownership {
  kind: OwnedKind;
  name: string;
  /** Unlinks the object; called once, at close or at exit. */
  unlink(): void;
}

const owned = new Set<Ownership>();
// A fork() child (its pid differs) shares this module's state but must
// neither signal-hook nor start a tracker: it leaves with _exit.
const startPid = process.pid;
const tracker = new TrackerLink(() => [...owned].map(({ kind, name }) => ({ kind, name })));
let exitHooked = false;
let signalsHooked = false;

/** The signals whose default action ends the process and that a user can send by hand. */
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function isGone(err: unknown): boolean {
  return (err as { code?: string } | null)?.code === 'ENOENT';
}

function unlinkAll(): void {
  for (const o of [...owned]) {
    owned.delete(o);
    try {
      o.unlink();
    } catch {
      // Already gone (unlinked by hand or by `osipc rm`): nothing to do.
    }
  }
  unhookSignals();
}

function onExit(): void {
  if (process.pid !== startPid) return;
  const had = owned.size > 0;
  unlinkAll();
  if (had) tracker.forgetAll();
  tracker.close();
}

function onSignal(signal: NodeJS.Signals): void {
  // Other listeners are the user's: they decide what the signal does, and if
  // they end the process, the 'exit' event unlinks.
  if (process.listenerCount(signal) > 1) return;
  // The kernel ignores default-action signals sent to pid 1 (a container's
  // init): without us this one would have been ignored, so it still is.
  if (process.pid === 1) return;
  unlinkAll();
  tracker.forgetAll();
  // unlinkAll removed our listeners: with none left, Node restores the default
  // disposition, so this kill ends the process exactly as it would have.
  process.kill(process.pid, signal);
}

function hookSignals(): void {
  if (signalsHooked || !isMainThread) return;
  signalsHooked = true;
  // First in line, so that at the time we run every handler of the user's,
  // even a once() handler, is still counted.
  for (const s of SIGNALS) process.prependListener(s, onSignal);
}

function unhookSignals(): void {
  if (!signalsHooked) return;
  signalsHooked = false;
  for (const s of SIGNALS) process.removeListener(s, onSignal);
}

/** Records that this process created `name`; returns a handle to release it. */
export function own(o: Ownership): { release(unlinkNow: boolean): void } {
  const mine = process.pid === startPid;
  if (!exitHooked && mine) {
    exitHooked = true;
    process.on('exit', onExit);
  }
  owned.add(o);
  if (mine) {
    hookSignals();
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
      owned.delete(o);
      if (process.pid === startPid) tracker.remove(o.kind, o.name);
      if (owned.size === 0) unhookSignals();
    },
  };
}

/** The objects this process owns now (for `osipc ls` and tests). */
export function ownedObjects(): { kind: OwnedKind; name: string }[] {
  return [...owned].map(({ kind, name }) => ({ kind, name }));
}

/** The tracker's pid (null when none runs), and why there is none when it is disabled. */
export function trackerStatus(): { pid: number | null; disabledReason: string | null } {
  return { pid: tracker.pid, disabledReason: tracker.disabledReason };
}
