// Process basics, after the multiprocessing tutorial (seeds 004 and 000):
// start, join, isAlive, terminate, name, pid, daemon.
//   node examples/process-basics.js
import { Process, currentProcess } from 'osipc';

const worker = new URL('./workers/basics.js', import.meta.url);
const me = currentProcess();
console.log(`parent: ${me.name}, pid ${me.pid}`);

// 1. start two processes and wait for both.
console.log('1. start and join');
const ps = [0, 1].map((i) => new Process({ module: worker, fn: 'hello', args: [i] }));
for (const p of ps) await p.start();
for (const p of ps) await p.join();
console.log(`   results: ${ps.map((p) => p.result).join(', ')}; exit codes: ${ps.map((p) => p.exitCode).join(', ')}`);

// 2. start all, then join all: they run at the same time.
console.log('2. start all, then join all');
const places = ['Henan', 'Shandong', 'Liaoning', 'Hunan'];
const voters = places.map((place) => new Process({ module: worker, fn: 'vote', args: [place] }));
await Promise.all(voters.map((p) => p.start()));
await Promise.all(voters.map((p) => p.join()));
console.log(`   all ${voters.length} voted; I pick ${places[Math.floor(Math.random() * places.length)]}`);

// 3. isAlive and terminate.
console.log('3. isAlive and terminate');
const sleeper = new Process({ module: worker, fn: 'nap', args: [10_000] });
await sleeper.start();
console.log(`   alive after start: ${sleeper.isAlive()}`);
sleeper.terminate();
await sleeper.join();
console.log(`   alive after terminate + join: ${sleeper.isAlive()}, exitCode ${sleeper.exitCode} (-15 = SIGTERM)`);

// 4. name, pid, daemon.
console.log('4. name, pid, daemon');
const named = new Process({ module: worker, fn: 'hello', args: [4], name: 'alex' });
console.log(`   before start: name ${named.name}, pid ${named.pid}, daemon ${named.daemon}`);
await named.start();
console.log(`   after start: name ${named.name}, pid ${named.pid}`);
await named.join();

// 5. a daemon child dies with its parent: this program ends now, and the
// daemon, which would print after 3 seconds, is killed with it.
console.log('5. daemon');
const daemon = new Process({ module: worker, fn: 'outliveParent', args: [3000], daemon: true });
await daemon.start();
console.log(`   daemon child pid ${daemon.pid} started; the parent exits now and takes it along`);
