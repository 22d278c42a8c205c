// `osipc rm`: turn what the user typed into objects, and remove each the way
// its kind is removed: shm_unlink, sem_unlink, mq_unlink, IPC_RMID.
import { execFileSync } from 'node:child_process';
import { unlinkSync } from 'node:fs';
import type { IpcObject, ObjectKind } from './inventory.js';
import { OBJECT_KINDS } from './inventory.js';
import { unlinkMqueues } from './mqueue.js';

export interface Resolved {
  arg: string;
  objects: IpcObject[];
  /** Why nothing matched. */
  problem: string | null;
}

/**
 * Accepts what `osipc ls` prints (`shm:/x`, `sysv-msg:32768`), a plain POSIX
 * name (`/x` or `x`: every kind that has it), a /dev/shm path or file name
 * (`/dev/shm/x`, `sem.x`), or a plain System V id when only one kind has it.
 */
export function resolve(arg: string, objects: IpcObject[]): Resolved {
  const colon = arg.indexOf(':');
  const kind = colon > 0 ? arg.slice(0, colon) : '';
  if (OBJECT_KINDS.includes(kind as ObjectKind)) {
    let name = arg.slice(colon + 1);
    if (!kind.startsWith('sysv') && !name.startsWith('/')) name = `/${name}`;
    const found = objects.filter((o) => o.kind === kind && o.name === name);
    return { arg, objects: found, problem: found.length ? null : 'no such object' };
  }
  let found: IpcObject[];
  if (/^\d+$/.test(arg)) {
    found = objects.filter((o) => o.kind.startsWith('sysv') && o.name === arg);
    if (found.length > 1) {
      return { arg, objects: [], problem: `ambiguous: say which (${found.map((o) => o.id).join(', ')})` };
    }
  } else if (arg.startsWith('/dev/shm/') || /^sem\./.test(arg)) {
    const file = arg.replace(/^\/dev\/shm\//, '');
    found = file.startsWith('sem.')
      ? objects.filter((o) => o.kind === 'sem' && o.name === `/${file.slice(4)}`)
      : objects.filter((o) => o.kind === 'shm' && o.name === `/${file}`);
  } else {
    const name = arg.startsWith('/') ? arg : `/${arg}`;
    found = objects.filter((o) => !o.kind.startsWith('sysv') && o.name === name);
  }
  return { arg, objects: found, problem: found.length ? null : 'no such object' };
}

type Native = Record<string, ((arg: string | number) => void) | undefined>;
let nativeCache: Native | null = null;
async function nativeCalls(): Promise<Native> {
  nativeCache ??= (await import('../binding.js')).native as Native;
  return nativeCache;
}

function ipcrm(flag: string, id: string): void {
  execFileSync('ipcrm', [flag, id], { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Removes the objects; returns one error message per object that could not be (null: removed). */
export async function removeObjects(objects: IpcObject[]): Promise<Map<IpcObject, string | null>> {
  const results = new Map<IpcObject, string | null>();
  const native = await nativeCalls();
  const viaMqueueFs: IpcObject[] = [];
  for (const o of objects) {
    try {
      switch (o.kind) {
        case 'shm':
          native.shmUnlink!(o.name);
          break;
        case 'sem':
          // sem_unlink; on Linux the same as removing /dev/shm/sem.<name>.
          if (native.semUnlink) native.semUnlink(o.name);
          else unlinkSync(`/dev/shm/sem.${o.name.slice(1)}`);
          break;
        case 'mq':
          if (native.mqUnlink) native.mqUnlink(o.name);
          else viaMqueueFs.push(o);
          break;
        case 'sysv-msg':
          if (native.sysvRemove) native.sysvRemove(Number(o.name));
          else ipcrm('-q', o.name);
          break;
        case 'sysv-shm':
          ipcrm('-m', o.name);
          break;
        case 'sysv-sem':
          ipcrm('-s', o.name);
          break;
      }
      if (!viaMqueueFs.includes(o)) results.set(o, null);
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { stderr?: Buffer };
      results.set(o, e.stderr?.toString().trim() || e.code || e.message);
    }
  }
  if (viaMqueueFs.length > 0) {
    try {
      const codes = unlinkMqueues(viaMqueueFs.map((o) => o.name));
      for (const o of viaMqueueFs) results.set(o, codes.get(o.name) ?? null);
    } catch (err) {
      for (const o of viaMqueueFs) results.set(o, (err as Error).message);
    }
  }
  return results;
}
