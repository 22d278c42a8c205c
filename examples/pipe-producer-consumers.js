// One producer, several consumers sharing one end of a Pipe (the classic
// multiprocessing exercise). In Python, consumers that share a Connection
// need a Lock around recv(); an osipc end knows when it is shared and reads
// one whole message at a time, so each item goes to exactly one consumer.
// Consumers stop at a sentinel (null), or at EOF once the producer is gone.
//   node examples/pipe-producer-consumers.js
import { setTimeout as sleep } from 'node:timers/promises';
import { Pipe, Process } from 'osipc';

const CONSUMERS = 3;
const ITEMS = 12;

const [buns, oven] = Pipe({ duplex: false }); // buns: receiving end, oven: sending end
const consumers = [];
for (let i = 1; i <= CONSUMERS; i++) {
  const p = new Process({
    module: new URL('./workers/pipes.js', import.meta.url), fn: 'eatBuns', args: [buns, `consumer-${i}`],
  });
  await p.start();
  consumers.push(p);
}
buns.close(); // the producer only sends
for (let i = 1; i <= ITEMS; i++) {
  await oven.send(`bun #${i}`);
  console.log(`producer baked bun #${i}`);
  await sleep(15);
}
for (let i = 0; i < CONSUMERS; i++) await oven.send(null);
oven.close();
let eaten = 0;
for (const p of consumers) {
  await p.join();
  eaten += p.result;
}
console.log(`all ${CONSUMERS} consumers stopped; ${ITEMS} buns baked, ${eaten} eaten`);
