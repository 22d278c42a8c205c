// The processes of examples/producer-consumer.js and examples/joinable-queue.js.
// Each receives the queue itself as an argument: a Queue travels to a Process
// by name and arrives open.
import { setTimeout as sleep } from 'node:timers/promises';
import { currentProcess } from 'osipc';

/** Makes `count` items with a little random work between them; returns how many. */
export async function producer(q, food, count) {
  const who = currentProcess().name;
  for (let i = 0; i < count; i++) {
    await sleep(Math.random() * 40);
    const item = `${food} #${i} from ${who}`;
    await q.put(item); // waits while the queue holds maxsize items
    console.log(`${who} made ${item}`);
  }
  return count;
}

/** The JoinableQueue version: then waits until every item put has been processed. */
export async function joiningProducer(q, food, count) {
  await producer(q, food, count);
  await q.join(); // every item ever put into the queue has had its taskDone()
  console.log(`${currentProcess().name}: all items were processed`);
}

/** Takes items until it takes the sentinel (null); returns how many it consumed. */
export async function consumer(q) {
  const who = currentProcess().name;
  let n = 0;
  for (;;) {
    const item = await q.get();
    if (item === null) {
      console.log(`${who} got the sentinel and stops`);
      return n;
    }
    await sleep(Math.random() * 60); // processing takes a while
    console.log(`${who} consumed ${item}`);
    n++;
  }
}

/** The JoinableQueue version: marks each item done, and never stops by itself (a daemon). */
export async function taskConsumer(q) {
  const who = currentProcess().name;
  for (;;) {
    const item = await q.get();
    await sleep(Math.random() * 60);
    console.log(`${who} consumed ${item}`);
    q.taskDone();
  }
}
