// The Manager dict (seed 001, "Manager"): 50 processes each take one off
// dict.count (100). The manager process keeps the dict, so every process sees
// the same one; the Lock makes "read the count, write it back less one" a
// single step, so it ends at exactly 50. Run: node examples/manager-dict.js
import { Lock, Manager, Process } from 'osipc';

const m = new Manager();
await m.start();
console.log(`manager process ${m.pid} is serving (this is ${process.pid})`);

const dic = await m.dict({ count: 100 });
const lock = new Lock(); // as the seed: multiprocessing.Lock (a manager's m.Lock() works the same)

const worker = new URL('./workers/manager-dict.js', import.meta.url);
const procs = Array.from({ length: 50 }, () => new Process({ module: worker, fn: 'main', args: [dic, lock] }));
await Promise.all(procs.map((p) => p.start()));
const codes = await Promise.all(procs.map((p) => p.join()));
console.log(`${codes.filter((c) => c === 0).length} processes took one each`);

console.log('main process:', await dic.toObject());

// Values travel as copies: changing what get() returned changes nothing stored.
const copy = await dic.toObject();
copy.count = 0;
console.log('after changing a copy:', await dic.toObject());

lock.close();
await m.shutdown();
console.log('manager shut down');
