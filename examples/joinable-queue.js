// Producer/consumer with a JoinableQueue (after the classic multiprocessing
// exercise): each producer waits with join() until every item put into the
// queue has been processed (taskDone() by a consumer); the consumers are
// daemon processes that loop for ever and end with the main process.
//   node examples/joinable-queue.js
import { JoinableQueue, Process } from 'osipc';

const tasks = new URL('./workers/queue-tasks.js', import.meta.url);
const q = new JoinableQueue({ maxsize: 20 });
const PER_PRODUCER = 5;

const producers = [
  new Process({ module: tasks, fn: 'joiningProducer', args: [q, 'bun', PER_PRODUCER], name: 'Egon' }),
  new Process({ module: tasks, fn: 'joiningProducer', args: [q, 'soup', PER_PRODUCER], name: 'WuSir' }),
];
const consumers = [
  new Process({ module: tasks, fn: 'taskConsumer', args: [q], name: 'jinBoss', daemon: true }),
  new Process({ module: tasks, fn: 'taskConsumer', args: [q], name: 'alex', daemon: true }),
];
for (const p of [...consumers, ...producers]) await p.start();

for (const p of producers) await p.join();
console.log(`main: producers exited (${producers.map((p) => p.exitCode).join(', ')}); unfinished tasks: ${q.unfinishedTasks()}`);
console.log(`main: done; the daemon consumers (${consumers.filter((c) => c.isAlive()).length} alive) end with this process`);
q.close();
