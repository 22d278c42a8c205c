// Uncontended Lock acquire+release per second in one process.
// Usage: node sync-uncontended.js <sync|try|promise> <n>. Prints ops/s.
import { Lock } from 'osipc';

const [mode, nText] = process.argv.slice(2);
const n = Number(nText);
const lock = new Lock();
async function loop(k) {
  if (mode === 'sync') {
    for (let i = 0; i < k; i++) {
      lock.acquireSync();
      lock.release();
    }
  } else if (mode === 'try') {
    for (let i = 0; i < k; i++) {
      lock.tryAcquire();
      lock.release();
    }
  } else {
    for (let i = 0; i < k; i++) {
      await lock.acquire();
      lock.release();
    }
  }
}
await loop(Math.floor(n / 5));
const t0 = performance.now();
await loop(n);
const t = performance.now() - t0;
console.log(Math.round(n / (t / 1000)));
lock.close();
