// Starting processes: osipc's forkExec against child_process.spawn (launches of
// /bin/true per second) and Process against child_process.fork (ms from the
// start call to the child's first message).
import { fileURLToPath } from 'node:url';
import { parseFigure } from '../lib/peers.js';

export const title = 'Processes: forkExec vs spawn, Process vs fork';

const peer = (name) => fileURLToPath(new URL(`../peers/${name}`, import.meta.url));

export default async function (b) {
  const launches = b.quick ? 100 : 1000;
  const starts = b.quick ? 3 : 15;
  const window = 4; // launches in flight: both CPUs busy, kernel work overlapped
  const rate = { unit: 'launches/s', better: 'higher' };
  const ms = { unit: 'ms', better: 'lower' };

  // One peer run measures both sides in alternating rounds (a shared
  // machine's load then weighs on both alike); the peer's figure of each run
  // is kept for the peer measurement's matching run.
  const spawnRates = [];
  const launchBoth = async () => {
    const lines = (await b.node(peer('launch-rate.js'), ['both', launches, window])).trim().split('\n');
    return [parseFigure(lines[0]), parseFigure(lines[1])];
  };
  await b.measure('osipc.forkExec.launch_true', rate, async () => {
    const [forkExecRate, spawnRate] = await launchBoth();
    spawnRates.push(spawnRate);
    return forkExecRate;
  });
  await b.measure('node.spawn.launch_true', rate,
    async () => (spawnRates.length > 0 ? spawnRates.shift() : (await launchBoth())[1]));
  const forkMeans = [];
  await b.measure('osipc.process.first_message', ms, async () => {
    const lines = (await b.node(peer('first-message.js'), ['both', starts])).trim().split('\n');
    forkMeans.push(parseFigure(lines[1]));
    return parseFigure(lines[0]);
  });
  await b.measure('node.fork.first_message', ms, async () => (forkMeans.length > 0
    ? forkMeans.shift() : parseFigure(await b.node(peer('first-message.js'), ['fork', starts]))));

  b.compare('osipc.forkExec.launch_true', 'node.spawn.launch_true', { atLeast: 1.5, note: 'issue 2 goal' });
  b.compare('osipc.process.first_message', 'node.fork.first_message', { atMost: 1.2, note: 'issue 2 goal' });
}
