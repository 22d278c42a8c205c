// The SIGKILL tracker: one small process per owning process, started by
// lib/tracker-client.ts with its stdin on the read end of a pipe whose write
// end only the owner holds. The owner writes a line on every own and release:
//   +<kind> <name>   the owner created it and will unlink it
//   -<kind> <name>   the owner released it (unlinked, unlinked later by hand, or kept)
//   =                the owner cleaned up everything itself (normal exit)
// (names are percent-encoded). However the owner dies, SIGKILL included, the
// kernel closes the write end and read() returns EOF: no polling. The tracker
// then removes what is still owned and exits.
import { isOwnedKind, removeOwned } from './tracker-kinds.js';

const ownerPid = Number(process.argv[2]);
// Shown by ps and found by `osipc ls` / `osipc doctor`.
process.title = `osipc-tracker ${ownerPid}`;

/** "kind name" -> how many times it is owned (a name can be created again after release). */
const held = new Map<string, number>();
let pending = '';

function apply(line: string): void {
  if (line === '=') {
    held.clear();
    return;
  }
  const op = line[0];
  const space = line.indexOf(' ');
  if ((op !== '+' && op !== '-') || space < 0) return;
  const key = `${line.slice(1, space)} ${line.slice(space + 1)}`;
  const n = (held.get(key) ?? 0) + (op === '+' ? 1 : -1);
  if (n > 0) held.set(key, n);
  else held.delete(key);
}

function finish(): void {
  for (const key of held.keys()) {
    const space = key.indexOf(' ');
    const kind = key.slice(0, space);
    let name: string;
    try {
      name = decodeURIComponent(key.slice(space + 1));
    } catch {
      continue;
    }
    if (!isOwnedKind(kind)) continue;
    try {
      removeOwned(kind, name);
    } catch {
      // Already gone (the owner died between its unlink and its release line,
      // or someone ran `osipc rm`), or a kind this build cannot remove.
    }
  }
  process.exit(0);
}

process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk: string) => {
  const lines = (pending + chunk).split('\n');
  pending = lines.pop()!;
  for (const line of lines) apply(line);
});
process.stdin.on('end', finish);
process.stdin.on('error', finish);
