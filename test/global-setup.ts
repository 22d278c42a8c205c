// After the whole run: no osipc object may be left by a process that is gone.
import { findLeaks, newSysvLeaks, snapshotSysv } from './helpers/leaks.js';

export default function setup(): () => void {
  // Objects left before this run (by an earlier, killed run) are not this run's.
  const before = new Set(findLeaks().map((l) => `${l.where}:${l.name}`));
  const sysvBefore = snapshotSysv();
  return () => {
    const leaks = [
      ...findLeaks().filter((l) => !before.has(`${l.where}:${l.name}`)),
      ...newSysvLeaks(sysvBefore),
    ];
    if (leaks.length > 0) {
      throw new Error(`IPC objects leaked by the tests:\n${leaks.map((l) => `  ${l.where} ${l.name} (pid ${l.pid})`).join('\n')}`);
    }
  };
}
