// A Barrier of 3 processes: each runner does a lap of its own length, then
// waits for the others; the last to arrive announces the next lap (the
// action). Run: node examples/barrier.js
import { Barrier } from 'osipc';
import { runWorker } from './workers/spawn.js';

const barrier = new Barrier(3);
await Promise.all(['ant', 'bee', 'cat'].map((n) => runWorker('./runner.js', [n, 3, barrier.name])));
console.log('all laps done together');
barrier.close();
