// A consumer for examples/producer-consumer.js and examples/joinable-queue.js:
// takes items from the queue it opens by name until it takes the sentinel
// (null). With --joinable there is no sentinel: it marks each item done with
// taskDone() and runs until its parent ends it (a daemon).
// Usage: node consumer.js <queue name> <consumer name> [--joinable]
import { JoinableQueue, Queue } from 'osipc';

const [name, who, flag] = process.argv.slice(2);
const joinable = flag === '--joinable';
const q = joinable ? JoinableQueue.open(name) : Queue.open(name);
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

for (;;) {
  const item = await q.get();
  if (item === null) {
    console.log(`${who} got the sentinel and stops`);
    break;
  }
  await pause(Math.random() * 60); // processing takes a while
  console.log(`${who} consumed ${item}`);
  if (joinable) q.taskDone();
}
q.close();
