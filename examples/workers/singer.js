// One singer of examples/ktv-semaphore.js.
import { Semaphore, SharedMemory } from 'osipc';
import { sleep } from './spawn.js';

const [id, roomName, counterName] = process.argv.slice(2);
const room = Semaphore.open(roomName);
const counter = SharedMemory.open(counterName);
const inside = new Int32Array(counter.buffer);

await room.withLock(async () => {
  const now = Atomics.add(inside, 0, 1) + 1;
  for (let most = Atomics.load(inside, 1); now > most; most = Atomics.load(inside, 1)) {
    if (Atomics.compareExchange(inside, 1, most, now) === most) break;
  }
  console.log(`singer ${id} walks in (${now} inside)`);
  await sleep(50 + Math.random() * 150);
  Atomics.sub(inside, 0, 1);
  console.log(`singer ${id} walks out`);
});
room.close();
counter.close();
