// Producer/consumer with a Queue (after the classic multiprocessing exercise):
// two producer processes make items, two consumer processes take them; when
// both producers are done, the main process puts one sentinel (null) per
// consumer so that each stops.
//
// The workers are separate programs (examples/workers/) that open the queue by
// its name: a Queue lives in shared memory, so any process can open it.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Queue } from 'osipc';

const worker = (file) => fileURLToPath(new URL(`./workers/${file}`, import.meta.url));
const start = (file, ...args) => {
  const child = spawn(process.execPath, [worker(file), ...args], { stdio: ['ignore', 'inherit', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${file} ${args[1]} exited with ${code}`))));
  });
};

const q = new Queue({ maxsize: 20 }); // this process created it: it removes it at close
const PER_PRODUCER = 5;

const producers = [start('producer.js', q.name, 'Egon', 'bun', PER_PRODUCER), start('producer.js', q.name, 'WuSir', 'soup', PER_PRODUCER)];
const consumers = [start('consumer.js', q.name, 'jinBoss'), start('consumer.js', q.name, 'alex')];

await Promise.all(producers);
console.log(`main: both producers are done (${q.qsize()} items still queued); one sentinel per consumer`);
await q.put(null);
await q.put(null);
await Promise.all(consumers);
console.log(`main: every consumer stopped; ${q.qsize()} items left in the queue`);
q.close();
