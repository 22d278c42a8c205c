// Zombies and orphans (seed 001), seen in /proc. Uses the EXPERIMENTAL fork()
// (Linux only; see docs/api/process.md).
//   node examples/zombie-orphan.js
import { readFileSync } from 'node:fs';
import { exit, fork, getpid, getppid, waitpid } from 'osipc';

if (process.platform !== 'linux') {
  console.log('this example reads /proc and uses fork(): Linux only');
  process.exit(0);
}

/** State letter and parent pid from /proc/<pid>/stat, or null when gone. */
function stat(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [state, ppid] = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { state, ppid: Number(ppid) };
  } catch {
    return null;
  }
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A zombie: the child has ended, the parent has not reaped it yet.
console.log('zombie:');
const pid = fork();
if (pid === 0) exit(7);
while (stat(pid)?.state !== 'Z') await sleep(5);
console.log(`  child ${pid} ended; /proc says state ${stat(pid).state} (zombie) until its parent reaps it`);
const status = waitpid(pid);
console.log(`  waitpid: exit code ${status.exitCode}; /proc/${pid} ${stat(pid) === null ? 'is gone' : 'is still there'}`);

// An orphan: the parent ends first; the kernel gives the child a new parent
// (init, or the nearest "subreaper" process).
console.log('orphan:');
const middle = fork();
if (middle === 0) {
  const parent = getpid();
  const orphan = fork();
  if (orphan === 0) {
    // Bounded: an example must never hang.
    for (let i = 0; i < 1000 && getppid() === parent; i++) await sleep(5);
    console.log(`  orphan ${getpid()}: my parent was ${parent}, now it is ${getppid()}`);
    exit(0);
  }
  console.log(`  parent ${parent} started child ${orphan} and exits without waiting`);
  exit(0);
}
waitpid(middle);
await sleep(300); // the orphan prints on its own
console.log(`main process ${getpid()} done`);
