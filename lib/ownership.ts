// Ownership of named objects (DESIGN.md): the process that creates a named
// object unlinks it when it closes it or exits; an opener never does. This
// module keeps the creator's list and runs it at exit. (Signals and the
// SIGKILL tracker build on the same list.)

export type OwnedKind = 'shm' | 'sem' | 'mq' | 'sysvmq';

export interface Ownership {
  kind: OwnedKind;
  name: string;
  /** Unlinks the object; called once, at close or at exit. */
  unlink(): void;
}

const owned = new Set<Ownership>();
let hooked = false;

function unlinkAll(): void {
  for (const o of [...owned]) {
    owned.delete(o);
    try {
      o.unlink();
    } catch {
      // Already gone (unlinked by hand or by `osipc rm`): nothing to do.
    }
  }
}

/** Records that this process created `name`; returns a handle to release it. */
export function own(o: Ownership): { release(unlinkNow: boolean): void } {
  if (!hooked) {
    hooked = true;
    process.on('exit', unlinkAll);
  }
  owned.add(o);
  return {
    release(unlinkNow: boolean) {
      if (!owned.delete(o)) return;
      if (!unlinkNow) return;
      try {
        o.unlink();
      } catch (err) {
        // Someone (`osipc rm`, a peer) removed it already: the owner's job is done.
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    },
  };
}

/** The objects this process owns now (for `osipc ls` and tests). */
export function ownedObjects(): { kind: OwnedKind; name: string }[] {
  return [...owned].map(({ kind, name }) => ({ kind, name }));
}
