// The ticket office (seed 001, "火车票"): 10 buyers in 10 processes race for 3
// tickets. A Lock around "read what is left, think, write it back" means no
// ticket is ever sold twice. Run: node examples/ticket-office.js
import { Lock, SharedMemory } from 'osipc';
import { runWorker } from './workers/spawn.js';

const TICKETS = 3;
// [0] tickets left  [1 + t] which buyer got ticket t (0: nobody)  [20] tickets sold twice
const office = SharedMemory.create({ size: 128 });
const board = new Int32Array(office.buffer);
board[0] = TICKETS;
const lock = new Lock();

console.log(`tickets left: ${board[0]}`);
const buyers = Array.from({ length: 10 }, (_, i) => runWorker('./ticket-buyer.js', [i, lock.name, office.name]));
await Promise.all(buyers);

const sold = [...board.subarray(1, 1 + TICKETS)].filter((b) => b !== 0).length;
console.log(`tickets sold: ${sold}, sold twice: ${board[20]}, left: ${board[0]}`);
lock.close();
office.close();
