// osipc ping-pong between two processes over two Semaphore(0)s (futex words in
// shared memory). Usage: node sync-pingpong.js <promise|sync> <n>
// Prints microseconds per round trip. The child is this script with 'child'.
import { spawn } from 'node:child_process';
import { Semaphore } from 'osipc';

const [mode, nText, pingName, pongName] = process.argv.slice(2);
const n = Number(nText);
const warm = Math.floor(n / 10) + 1;

if (pingName) {
  // Child: answer every ping.
  const ping = Semaphore.open(pingName);
  const pong = Semaphore.open(pongName);
  if (mode === 'sync') {
    for (let i = 0; i < warm + n; i++) {
      ping.acquireSync();
      pong.release();
    }
  } else {
    for (let i = 0; i < warm + n; i++) {
      await ping.acquire();
      pong.release();
    }
  }
  ping.close();
  pong.close();
} else {
  const ping = new Semaphore(0);
  const pong = new Semaphore(0);
  const child = spawn(process.execPath, [new URL(import.meta.url).pathname, mode, nText, ping.name, pong.name], {
    stdio: 'inherit',
  });
  const round = mode === 'sync'
    ? async (k) => {
      for (let i = 0; i < k; i++) {
        ping.release();
        pong.acquireSync();
      }
    }
    : async (k) => {
      for (let i = 0; i < k; i++) {
        ping.release();
        await pong.acquire();
      }
    };
  await round(warm);
  const t0 = performance.now();
  await round(n);
  const t = performance.now() - t0;
  await new Promise((r) => child.on('exit', r));
  console.log(((t * 1000) / n).toFixed(3));
  ping.close();
  pong.close();
}
