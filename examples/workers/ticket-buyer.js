// One buyer of examples/ticket-office.js.
import { Lock, SharedMemory } from 'osipc';
import { sleep } from './spawn.js';

const [id, lockName, officeName] = process.argv.slice(2);
const lock = Lock.open(lockName);
const office = SharedMemory.open(officeName);
const board = new Int32Array(office.buffer);

await lock.withLock(async () => {
  const left = board[0]; // read...
  await sleep(20); // ...think (another buyer would slip in here without the lock)...
  if (left > 0) {
    const ticket = left;
    if (board[ticket] !== 0) board[20]++;
    board[ticket] = Number(id) + 1;
    board[0] = left - 1; // ...and write back
    console.log(`buyer ${id} got ticket #${ticket}`);
  } else {
    console.log(`buyer ${id}: sold out`);
  }
});
lock.close();
office.close();
