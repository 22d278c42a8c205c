// A runner of examples/barrier.js.
import { Barrier } from 'osipc';
import { sleep } from './spawn.js';

const [name, laps, barrierName] = process.argv.slice(2);
let lap = 1;
const barrier = Barrier.open(barrierName, { action: () => console.log(`-- everyone finished lap ${lap} --`) });
for (; lap <= Number(laps); lap++) {
  await sleep(Math.random() * 100);
  const index = await barrier.wait({ timeout: 10_000 });
  console.log(`${name} starts lap ${lap + 1} (arrived ${index + 1} of ${barrier.parties})`);
}
barrier.close();
