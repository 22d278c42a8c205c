// A manager dict from the process that started the manager: `rtt` prints the
// microseconds of one d.set + d.get round trip pair (awaited one after the
// other, as Python's proxies work); `pipelined` prints set calls per second
// with many calls in flight at once (osipc's proxies allow it).
import { Manager } from 'osipc';

const [mode, nArg] = process.argv.slice(2);
const n = Number(nArg);
const m = new Manager();
await m.start();
const d = await m.dict({ count: 0 });

if (mode === 'rtt') {
  for (let i = 0; i < Math.min(n, 1000); i++) { await d.set('count', i); await d.get('count'); } // warm-up
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    await d.set('count', i);
    if (await d.get('count') !== i) throw new Error('wrong value');
  }
  const ms = performance.now() - t0;
  await m.shutdown();
  console.log((ms * 1000) / n);
} else if (mode === 'pipelined') {
  const batch = 256;
  const t0 = performance.now();
  for (let i = 0; i < n; i += batch) {
    const calls = [];
    for (let j = i; j < Math.min(n, i + batch); j++) calls.push(d.set(j, j));
    await Promise.all(calls);
  }
  const ms = performance.now() - t0;
  if (await d.size() !== n + 1) throw new Error('wrong size');
  await m.shutdown();
  console.log(n / (ms / 1000));
} else {
  throw new Error(`unknown mode ${mode}`);
}
