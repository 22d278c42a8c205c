// Producer/consumer with a JoinableQueue (after the classic multiprocessing
// exercise): each producer waits with join() until every item put into the
// queue has been processed (taskDone() by a consumer); the consumers loop for
// ever, like Python daemon processes, and the main process ends them once the
// producers are done.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { JoinableQueue } from 'osipc';

const worker = (file) => fileURLToPath(new URL(`./workers/${file}`, import.meta.url));
const start = (file, ...args) => spawn(process.execPath, [worker(file), ...args], { stdio: ['ignore', 'inherit', 'inherit'] });
const exited = (child) => new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)));

const q = new JoinableQueue({ maxsize: 20 });
const PER_PRODUCER = 5;

const producers = [
  start('producer.js', q.name, 'Egon', 'bun', PER_PRODUCER, '--joinable'),
  start('producer.js', q.name, 'WuSir', 'soup', PER_PRODUCER, '--joinable'),
];
// Daemons: they never stop by themselves.
const consumers = [start('consumer.js', q.name, 'jinBoss', '--joinable'), start('consumer.js', q.name, 'alex', '--joinable')];

const codes = await Promise.all(producers.map(exited));
console.log(`main: producers exited (${codes.join(', ')}); unfinished tasks: ${q.unfinishedTasks()}`);
for (const c of consumers) c.kill('SIGTERM'); // what ending a daemon means here
await Promise.all(consumers.map(exited));
console.log('main: the daemon consumers are gone');
q.close();
