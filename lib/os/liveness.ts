// Whether a process is alive, and which incarnation of a pid it is. Lock words
// record the owner's pid and start time; a waiter compares them with what the
// OS reports to tell a dead owner (or a reused pid) from a live one.
import { native } from '../binding.js';

const binding = native as { processStartTime(pid: number): number };

/**
 * The start time of `pid` (Linux: clock ticks since boot, /proc/<pid>/stat
 * field 22), `null` when no such process is running (gone, or a zombie not
 * yet reaped). macOS: 0 for any live process (the start time is not read there,
 * so a reused pid looks alive; a zombie looks alive too).
 */
export function processStartTime(pid: number): number | null {
  const t = binding.processStartTime(pid);
  return t < 0 ? null : t;
}

let self: number | undefined;
/** This process's own start time (read once). */
export function ownStartTime(): number {
  if (self === undefined) self = processStartTime(process.pid) ?? 0;
  return self;
}
