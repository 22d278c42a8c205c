// One producer, several consumers sharing one end of a Pipe (the classic
// multiprocessing exercise). In Python, consumers that share a Connection
// need a Lock around recv(); an osipc end knows when it is shared and reads
// one whole message at a time, so each item goes to exactly one consumer.
// Consumers stop at a sentinel (null), or at EOF once the producer is gone.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection, EOFError, Pipe } from 'osipc';

const CONSUMERS = 3;
const ITEMS = 12;

if (process.argv[2] === 'consumer') await consumer(process.argv[3]);
else await main();

async function consumer(name) {
  // fd 3 is a private line to the parent; the shared end arrives over it.
  const line = Connection.fromFd(3);
  const buns = await line.recv(); // a Connection: it travelled as file descriptors
  line.close();
  let eaten = 0;
  for (;;) {
    let bun;
    try {
      bun = await buns.recv();
    } catch (err) {
      if (err instanceof EOFError) break; // every producer has closed
      throw err;
    }
    if (bun === null) break; // the producer's "no more" for one consumer
    console.log(`${name} ate ${bun}`);
    eaten++;
    await sleep(10 + Math.random() * 40);
  }
  buns.close();
  console.log(`${name} stops after ${eaten} buns`);
}

async function main() {
  const [buns, oven] = Pipe({ duplex: false }); // buns: receiving end, oven: sending end
  const consumers = [];
  for (let i = 1; i <= CONSUMERS; i++) {
    const [mine, theirs] = Pipe();
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), 'consumer', `consumer-${i}`], {
      stdio: ['ignore', 'inherit', 'inherit', theirs.fileno()],
    });
    theirs.close();
    await mine.send(buns); // the same receiving end, shared by every consumer
    mine.close();
    consumers.push(new Promise((resolve) => child.on('exit', resolve)));
  }
  buns.close(); // the producer only sends
  for (let i = 1; i <= ITEMS; i++) {
    await oven.send(`bun #${i}`);
    console.log(`producer baked bun #${i}`);
    await sleep(15);
  }
  for (let i = 0; i < CONSUMERS; i++) await oven.send(null);
  oven.close();
  await Promise.all(consumers);
  console.log(`all ${CONSUMERS} consumers stopped; ${ITEMS} buns baked`);
}
