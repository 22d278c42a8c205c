// The tour (`npm run demo`): what osipc does, printed as it happens. Later
// primitives add their own steps here.
import { Process, currentProcess, forkExec } from 'osipc';

const me = currentProcess();
console.log(`${me.name}: pid ${me.pid}`);

console.log('\n== forkExec: any program, any fds, the exec error at once');
const ls = forkExec('sh', ['-c', 'echo "  sh says hello from pid $$"; exit 3']);
console.log(`  started sh, pid ${ls.pid}`);
console.log(`  sh ended: ${JSON.stringify(await ls.wait())}`);
try {
  forkExec('/no/such/program');
} catch (err) {
  console.log(`  forkExec('/no/such/program') threw ${err.code} (syscall ${err.syscall}, path ${err.path})`);
}

console.log('\n== Process: a fresh node runs a function of a module');
const worker = new URL('./workers/demo.js', import.meta.url);
const square = new Process({ module: worker, fn: 'square', args: [12] });
await square.start();
await square.join();
console.log(`  ${square.name} (pid ${square.pid}) returned ${square.result}, exitCode ${square.exitCode}`);

const failing = new Process({ module: worker, fn: 'fail', args: ['something went wrong'] });
await failing.start();
await failing.join();
console.log(`  ${failing.name} (pid ${failing.pid}) threw ${failing.error.message}; exitCode ${failing.exitCode}`);
console.log(`  its stack, from the child: ${failing.error.remoteStack.split('\n')[1].trim()}`);

const sleeper = new Process({ module: worker, fn: 'sleep', args: [60_000], name: 'sleeper' });
await sleeper.start();
console.log(`  ${sleeper.name} (pid ${sleeper.pid}) alive: ${sleeper.isAlive()}; join({ timeout: 100 }) -> ${await sleeper.join({ timeout: 100 })}`);
sleeper.kill();
console.log(`  after kill(): exitCode ${await sleeper.join()} (minus SIGKILL), alive: ${sleeper.isAlive()}`);

console.log('\n== Value and Lock: shared memory that two processes change at once');
const { Value, Lock, MessageQueue, Pipe, Queue, Pool } = await import('osipc');
const balance = new Value('i', 0);
const lock = new Lock();
const depositors = [1, 2].map((n) => new Process({
  module: worker, fn: 'deposit', args: [balance, lock, 20_000], name: `depositor-${n}`,
}));
for (const p of depositors) await p.start();
for (const p of depositors) await p.join();
console.log(`  two processes each did 20000 atomic add(1) and 20000 locked += 1: balance ${balance.value} (exactly 80000)`);
balance.close();
lock.close();

if (process.platform === 'linux') {
  console.log('\n== MessageQueue: a POSIX message queue, highest priority first');
  const mq = MessageQueue.create({ maxMessages: 10, messageSize: 128 });
  const announcer = new Process({ module: worker, fn: 'announce', args: [mq, 3] });
  await announcer.start();
  await announcer.join();
  for (let i = 0; i < 3; i++) {
    const { data, priority } = await mq.receive();
    console.log(`  priority ${priority}: ${data.toString()}`);
  }
  mq.close();
}
console.log('\n== Pipe: a duplex Connection to a child, values in both directions');
const [mine, theirs] = Pipe();
const echo = new Process({ module: worker, fn: 'echoUpper', args: [theirs] });
await echo.start();
theirs.close();                                   // the child has its own copy
for (const word of ['hello', 'from', 'the parent']) {
  await mine.send(word);
  console.log(`  sent ${JSON.stringify(word)}, got back ${JSON.stringify(await mine.recv())}`);
}
mine.close();                                     // end of file: the child's loop ends
console.log(`  child exited with ${await echo.join()}`);

console.log('\n== Queue: two producer processes, the parent consumes until both sentinels');
const queue = new Queue({ maxsize: 8 });
const producers = ['A', 'B'].map((who) => new Process({ module: worker, fn: 'produce', args: [queue, who, 1000] }));
for (const p of producers) await p.start();
const got = { A: 0, B: 0 };
for (let done = 0; done < 2;) {
  const item = await queue.get();
  if (item === null) done++;
  else got[item.who]++;
}
for (const p of producers) await p.join();
console.log(`  received ${got.A} items from A and ${got.B} from B (maxsize 8: producers waited for room)`);
queue.close();

console.log('\n== Pool: map over 4 worker processes');
const pool = new Pool({ processes: 4, module: worker });
const squares = await pool.map('square', Array.from({ length: 10 }, (_, i) => i));
console.log(`  squares: ${squares.join(' ')}`);
pool.close();
await pool.join();

console.log('\n== A Lock whose holder is SIGKILLed: the next acquirer goes on, and is told');
const robust = new Lock();
const holder = new Process({ module: worker, fn: 'holdForever', args: [robust] });
await holder.start();
while (!robust.locked()) await new Promise((r) => setTimeout(r, 10));
holder.kill();
const t0 = Date.now();
const acquired = await robust.acquire({ timeout: 5000 });
console.log(`  holder pid ${holder.pid} killed; acquired: ${acquired} after ${Date.now() - t0} ms; ownerDied: ${robust.ownerDied}`);
robust.release();
robust.close();
await holder.join();

console.log('\nDone: every object above was unlinked by its creator.');
