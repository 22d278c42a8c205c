// A consumer of examples/condition.js.
import { Condition, SharedMemory } from 'osipc';

const [name, count, condName, shelfName] = process.argv.slice(2);
const cond = Condition.open(condName);
const shelf = SharedMemory.open(shelfName);
const v = new Int32Array(shelf.buffer);
for (let i = 0; i < Number(count); i++) {
  await cond.acquire();
  await cond.waitFor(() => v[0] > 0);
  v[0]--;
  v[2]++;
  console.log(`consumer ${name} took an item`);
  cond.release();
}
cond.close();
shelf.close();
