// The producer of examples/condition.js.
import { Condition, SharedMemory } from 'osipc';
import { sleep } from './spawn.js';

const [count, condName, shelfName] = process.argv.slice(2);
const cond = Condition.open(condName);
const shelf = SharedMemory.open(shelfName);
const v = new Int32Array(shelf.buffer);
for (let i = 0; i < Number(count); i++) {
  await sleep(20);
  await cond.withLock(() => {
    v[0]++;
    v[1]++;
    console.log(`producer made item ${v[1]}`);
    cond.notify();
  });
}
cond.close();
shelf.close();
