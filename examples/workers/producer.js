// A producer for examples/producer-consumer.js and examples/joinable-queue.js:
// makes `count` items with a little random work between them and puts each
// into the queue it opens by name. With --joinable it then waits (join) until
// every item put into the queue has been marked done by a consumer.
// Usage: node producer.js <queue name> <producer name> <food> <count> [--joinable]
import { JoinableQueue, Queue } from 'osipc';

const [name, who, food, count, flag] = process.argv.slice(2);
const joinable = flag === '--joinable';
const q = joinable ? JoinableQueue.open(name) : Queue.open(name);
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

for (let i = 0; i < Number(count); i++) {
  await pause(Math.random() * 40);
  const item = `${food} #${i} from ${who}`;
  await q.put(item); // waits while the queue holds maxsize items
  console.log(`${who} made ${item}`);
}
if (joinable) {
  await q.join(); // every item ever put has had its taskDone()
  console.log(`${who}: all items were processed`);
}
q.close();
