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
const { Value, Lock, MessageQueue } = await import('osipc');
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
console.log('\nDone: every object above was unlinked by its creator.');
