// Start-to-first-message latency: `node first-message.js <process|fork|both> <n>`
// starts a child n times, one after the other, and prints the median in ms from
// the start call until the parent holds the child's first message:
//   fork:    child_process.fork(first-message-child.js), which process.send()s at once;
//   process: new Process({ module: first-message-target.js }).start(), which
//            resolves on the child's first message ('ready': module loaded, its
//            function about to run).
// Both child files are ES modules. `both` alternates the two, so that the load
// of a shared machine weighs on both alike, and prints two lines: process's
// median, then fork's. One untimed warm-up start of each first.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Process } from 'osipc';

const [how, nArg] = process.argv.slice(2);
const n = Number(nArg);
const here = (rel) => fileURLToPath(new URL(rel, import.meta.url));

const starters = {
  async process() {
    const t0 = performance.now();
    const p = new Process({ module: here('./first-message-target.js'), args: ['hi'] });
    await p.start();
    const ms = performance.now() - t0;
    await p.join();
    return ms;
  },
  async fork() {
    const t0 = performance.now();
    const child = fork(here('./first-message-child.js'));
    await new Promise((resolve) => child.once('message', resolve));
    const ms = performance.now() - t0;
    await new Promise((resolve) => child.once('exit', resolve));
    return ms;
  },
};
const names = how === 'both' ? ['process', 'fork'] : [how];
if (!names.every((name) => name in starters)) throw new Error(`unknown starter ${how}`);

for (const name of names) await starters[name]();
const times = names.map(() => []);
for (let i = 0; i < n; i++) {
  for (let j = 0; j < names.length; j++) times[j].push(await starters[names[j]]());
}
const median = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1];
for (const t of times) console.log(median(t));
