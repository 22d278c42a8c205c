// Launch rate of /bin/true: `node launch-rate.js <forkExec|spawn> <n> <window>`
// starts n programs, at most `window` at a time, each awaited until it has
// exited (and been reaped), and prints launches per second. A warm-up of n/10
// launches runs first, untimed.
import { spawn } from 'node:child_process';
import { forkExec } from 'osipc';

const [how, nArg, windowArg] = process.argv.slice(2);
const n = Number(nArg);
const window = Number(windowArg);

const launch = how === 'forkExec'
  ? () => forkExec('/bin/true', [], { fds: [0, 1, 2] }).wait()
  : () => new Promise((resolve, reject) => {
    const c = spawn('/bin/true', [], { stdio: 'inherit' });
    c.on('error', reject);
    c.on('exit', resolve);
  });
if (how !== 'forkExec' && how !== 'spawn') throw new Error(`unknown launcher ${how}`);

async function run(count) {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      await launch();
    }
  };
  await Promise.all(Array.from({ length: Math.min(window, count) }, worker));
}

await run(Math.max(1, Math.floor(n / 10)));
const t0 = performance.now();
await run(n);
const seconds = (performance.now() - t0) / 1000;
console.log(n / seconds);
