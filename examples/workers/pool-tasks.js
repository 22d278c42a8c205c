// Task functions for examples/pool.js: they run inside the pool's workers.
import { currentProcess } from 'osipc';

// The seed's worker(msg): sleeps a little, says who ran it, returns a timestamp.
export async function worker(msg) {
  await new Promise((r) => setTimeout(r, 100));
  return `${msg} done by ${currentProcess().name} (pid ${process.pid}) at ${new Date().toISOString().slice(11, 23)}`;
}

export function square(n) {
  return n ** 2;
}

export function test() {
  return { pid: process.pid, message: 'from the task' };
}
