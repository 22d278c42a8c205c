// Producer/consumer with a Queue (after the classic multiprocessing exercise):
// two producer processes make items, two consumer processes take them; when
// both producers are done, the main process puts one sentinel (null) per
// consumer so that each stops.
//   node examples/producer-consumer.js
import { Process, Queue } from 'osipc';

const tasks = new URL('./workers/queue-tasks.js', import.meta.url);
const q = new Queue({ maxsize: 20 }); // this process created it: it removes it at close
const PER_PRODUCER = 5;

const producers = [
  new Process({ module: tasks, fn: 'producer', args: [q, 'bun', PER_PRODUCER], name: 'Egon' }),
  new Process({ module: tasks, fn: 'producer', args: [q, 'soup', PER_PRODUCER], name: 'WuSir' }),
];
const consumers = [
  new Process({ module: tasks, fn: 'consumer', args: [q], name: 'jinBoss' }),
  new Process({ module: tasks, fn: 'consumer', args: [q], name: 'alex' }),
];
for (const p of [...producers, ...consumers]) await p.start();

for (const p of producers) await p.join();
console.log(`main: both producers are done (${q.qsize()} items still queued); one sentinel per consumer`);
await q.put(null);
await q.put(null);
let consumed = 0;
for (const c of consumers) {
  await c.join();
  consumed += c.result;
}
console.log(`main: every consumer stopped after ${consumed} items; ${q.qsize()} left in the queue`);
q.close();
