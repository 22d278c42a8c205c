// Functions that examples/process-basics.js runs in child processes.
import { currentProcess } from 'osipc';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Says who it is, like the tutorial's func(i). */
export async function hello(i) {
  await sleep(200);
  const me = currentProcess();
  console.log(`  child ${i}: ${me.name}, pid ${me.pid}, parent pid ${me.ppid}`);
  return i * i;
}

/** Picks a province after a second, as in the join example. */
export async function vote(place) {
  await sleep(300);
  console.log(`  I am from ${place}`);
  return place;
}

/** Sleeps, long enough to be terminated first. */
export async function nap(ms) {
  await sleep(ms);
  console.log('  nap finished (should not be printed when terminated)');
}

/** A daemon's work: prints only if it outlives its parent, which it must not. */
export async function outliveParent(ms) {
  await sleep(ms);
  console.log('  this is the daemon child, still alive (wrong!)');
}
