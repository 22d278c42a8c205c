// The KTV room (seed 001, "信号量"): 10 singers, a room for 4. A Semaphore(4)
// lets at most 4 in at once; a shared counter shows how many are inside.
// Run: node examples/ktv-semaphore.js
import { Semaphore, SharedMemory } from 'osipc';
import { runWorker } from './workers/spawn.js';

const room = new Semaphore(4);
// [0] singers inside now  [1] most ever inside at once
const counter = SharedMemory.create({ size: 8 });
const inside = new Int32Array(counter.buffer);

await Promise.all(Array.from({ length: 10 }, (_, i) => runWorker('./singer.js', [i, room.name, counter.name])));
console.log(`most singers inside at once: ${inside[1]} (room for 4)`);
room.close();
counter.close();
