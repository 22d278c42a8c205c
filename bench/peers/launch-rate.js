// Launch rate of /bin/true: `node launch-rate.js <forkExec|spawn|both> <n> <window>`
// starts n programs, at most `window` at a time, each awaited until it has
// exited (and been reaped), in 10 rounds, and prints the median round's
// launches per second. `both` alternates
// rounds of forkExec and child_process.spawn in this one process, so that the
// load of a shared machine hits both alike, and prints two lines: forkExec's
// rate, then spawn's. An untimed warm-up of n/10 launches runs first.
import { spawn } from 'node:child_process';
import { forkExec } from 'osipc';

const [how, nArg, windowArg] = process.argv.slice(2);
const n = Number(nArg);
const window = Number(windowArg);
const ROUNDS = 10;

const launchers = {
  forkExec: () => forkExec('/bin/true', [], { fds: [0, 1, 2] }).wait(),
  spawn: () => new Promise((resolve, reject) => {
    const c = spawn('/bin/true', [], { stdio: 'inherit' });
    c.on('error', reject);
    c.on('exit', resolve);
  }),
};
const names = how === 'both' ? ['forkExec', 'spawn'] : [how];
if (!names.every((name) => name in launchers)) throw new Error(`unknown launcher ${how}`);

/** Milliseconds to launch `count` programs with `launch`, `window` at a time. */
async function run(launch, count) {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      await launch();
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: Math.min(window, count) }, worker));
  return performance.now() - t0;
}

for (const name of names) await run(launchers[name], Math.max(1, Math.floor(n / 10)));
const rates = names.map(() => []);
const perRound = Math.max(1, Math.floor(n / ROUNDS));
for (let r = 0; r < ROUNDS; r++) {
  for (let i = 0; i < names.length; i++) rates[i].push(perRound / ((await run(launchers[names[i]], perRound)) / 1000));
}
const median = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1];
for (const r of rates) console.log(median(r));
