// Shared arrays, as in the multiprocessing tutorials: Array('c', b'hello')
// changed by a child process, and a numeric array squared by a child.
// `Array` is osipc's SharedArray; importing it by that name shadows the global
// Array in this file only (osipc itself never does), so `new Array(...)` here
// is the shared one, as in Python.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Array } from 'osipc';

const child = fileURLToPath(new URL('./workers/array-child.js', import.meta.url));

const chars = new Array('c', 'hello'); // Python: Array('c', b'hello')
const numbers = new Array('i', [1, 2, 3, 4, 5]); // Python: Array('i', range(1, 6))
console.log('parent made:', chars.value.toString(), numbers.toArray());

await new Promise((resolve, reject) => {
  const p = spawn(process.execPath, [child, chars.name, numbers.name], { stdio: 'inherit' });
  p.on('error', reject);
  p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`child exited with ${code}`))));
});

console.log('after the child:', chars.value.toString(), numbers.toArray()); // Python: shm.value, arr[:]
chars.close(); // the creator unlinks
numbers.close();
