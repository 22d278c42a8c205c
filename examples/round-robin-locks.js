// Round robin (seed 001, "同步的应用"): three tasks in three processes print in
// turn, Task1, Task2, Task3, Task1, ... Each task waits for its own "lock" and
// then opens the next one's.
//
// In the Python seed these are Locks released by ANOTHER thread than the one
// that took them. An osipc Lock belongs to the process that holds it (that is
// how it survives a holder's death), so the same pattern uses locks that any
// process may open: BoundedSemaphore(1), which is exactly a Python Lock.
// Run: node examples/round-robin-locks.js
import { BoundedSemaphore } from 'osipc';
import { runWorker } from './workers/spawn.js';

const locks = [new BoundedSemaphore(1), new BoundedSemaphore(1), new BoundedSemaphore(1)];
// As in the seed: lock 2 and lock 3 start locked, so Task1 goes first.
locks[1].acquireSync();
locks[2].acquireSync();
const names = locks.map((l) => l.name);
await Promise.all([0, 1, 2].map((i) => runWorker('./round-robin-task.js', [i, 3, ...names])));
console.log('three rounds done');
for (const l of locks) l.close();
