// Producer/consumer with a Condition across processes: a producer process
// makes 10 items, two consumer processes take them, each waiting on the
// Condition while the shelf is empty. Run: node examples/condition.js
import { Condition, SharedMemory } from 'osipc';
import { runWorker } from './workers/spawn.js';

const cond = new Condition();
// [0] items on the shelf  [1] items made  [2] items taken
const shelf = SharedMemory.create({ size: 16 });
const args = [cond.name, shelf.name];
await Promise.all([
  runWorker('./consumer.js', ['A', 5, ...args]),
  runWorker('./consumer.js', ['B', 5, ...args]),
  runWorker('./producer.js', [10, ...args]),
]);
const v = new Int32Array(shelf.buffer);
console.log(`made ${v[1]}, taken ${v[2]}, left on the shelf ${v[0]}`);
cond.close();
shelf.close();
