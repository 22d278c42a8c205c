// One task of examples/round-robin-locks.js: wait for my lock, print, open the next.
import { BoundedSemaphore } from 'osipc';
import { sleep } from './spawn.js';

const [me, rounds, ...names] = process.argv.slice(2);
const i = Number(me);
const mine = BoundedSemaphore.open(names[i]);
const next = BoundedSemaphore.open(names[(i + 1) % 3]);
for (let r = 0; r < Number(rounds); r++) {
  await mine.acquire();
  console.log(`------Task${i + 1}----------`);
  await sleep(30);
  next.release();
}
mine.close();
next.close();
