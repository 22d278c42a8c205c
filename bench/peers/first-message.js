// Start-to-first-message latency: `node first-message.js <process|fork> <n>`
// starts a child n times, one after the other, and prints the mean in ms from
// the start call until the parent holds the child's first message:
//   fork:    child_process.fork(first-message-child.js), which process.send()s at once;
//   process: new Process({ module: first-message-target.js }).start(), which
//            resolves on the child's first message ('ready': module loaded, its
//            function about to run).
// Both child files are ES modules. One untimed warm-up start first.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Process } from 'osipc';

const [how, nArg] = process.argv.slice(2);
const n = Number(nArg);
const here = (rel) => fileURLToPath(new URL(rel, import.meta.url));

async function once() {
  const t0 = performance.now();
  let ms;
  if (how === 'fork') {
    const child = fork(here('./first-message-child.js'));
    await new Promise((resolve) => child.once('message', resolve));
    ms = performance.now() - t0;
    await new Promise((resolve) => child.once('exit', resolve));
  } else if (how === 'process') {
    const p = new Process({ module: here('./first-message-target.js'), args: ['hi'] });
    await p.start();
    ms = performance.now() - t0;
    await p.join();
  } else {
    throw new Error(`unknown starter ${how}`);
  }
  return ms;
}

await once();
let total = 0;
for (let i = 0; i < n; i++) total += await once();
console.log(total / n);
