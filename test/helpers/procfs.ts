// Processes seen through /proc: the SIGKILL trackers and process states, for
// tests that check nothing is left running and nothing is left a zombie.
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcInfo {
  pid: number;
  ppid: number;
  sid: number;
  /** R, S, D, Z (zombie), T, ... */
  state: string;
  cmdline: string;
}

export function procInfo(pid: number): ProcInfo | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may hold spaces: split after it.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
    } catch { /* zombies have none */ }
    return { pid, state: rest[0]!, ppid: Number(rest[1]), sid: Number(rest[3]), cmdline };
  } catch {
    return null;
  }
}

export function allProcs(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const p = procInfo(Number(entry));
    if (p) out.push(p);
  }
  return out;
}

/** Live (not zombie) tracker processes, optionally only the one for `ownerPid`. */
export function trackers(ownerPid?: number): ProcInfo[] {
  return allProcs().filter((p) => p.state !== 'Z' && (ownerPid === undefined
    ? /^osipc-tracker \d+$/.test(p.cmdline)
    : p.cmdline === `osipc-tracker ${ownerPid}`));
}

/** Polls `fn` until it returns a truthy value or `timeoutMs` passes (then returns the last value). */
export async function until<T>(fn: () => T, timeoutMs = 10_000, stepMs = 5): Promise<T> {
  const end = Date.now() + timeoutMs;
  let v = fn();
  while (!v && Date.now() < end) {
    await new Promise((r) => setTimeout(r, stepMs));
    v = fn();
  }
  return v;
}

/** True when the pid is gone or a zombie: it runs no more. */
export function notRunning(pid: number): boolean {
  const p = procInfo(pid);
  return p === null || p.state === 'Z';
}

/**
 * Every line a child prints, kept from the start, so that lines printed
 * together can be awaited one after the other without losing any.
 */
export function lineReader(child: import('node:child_process').ChildProcess): (re: RegExp, timeoutMs?: number) => Promise<string> {
  const seen: string[] = [];
  let partial = '';
  let wake: (() => void) | null = null;
  child.stdout!.on('data', (d: Buffer | string) => {
    const parts = (partial + d.toString('utf8')).split('\n');
    partial = parts.pop()!;
    seen.push(...parts);
    wake?.();
  });
  let next = 0;
  return async (re, timeoutMs = 30_000) => {
    const end = Date.now() + timeoutMs;
    for (;;) {
      while (next < seen.length) {
        const line = seen[next++]!;
        if (re.test(line)) return line;
      }
      if (Date.now() > end) throw new Error(`no line matching ${re} within ${timeoutMs} ms; got: ${seen.join('\n')}`);
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, 50);
      });
      wake = null;
    }
  };
}
