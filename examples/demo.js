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
