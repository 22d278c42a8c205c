// Queue (a shared-memory ring with futex wake-ups) against child_process.fork()
// IPC with JSON and Python's multiprocessing.Queue: small objects { i, s }
// one way, and round trips. Issue 6 goals: throughput >= 10x both peers,
// round trip <= 0.5x child_process.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Queue } from 'osipc';
import { forkIpcRtt, forkIpcThroughput, pythonMpQueueRtt, pythonMpQueueThroughput } from '../lib/peers.js';

export const title = 'Queue';

const PEER = fileURLToPath(new URL('../peers/queue-peer.js', import.meta.url));

// Runs `body(toPeer, fromPeer)` against a fresh queue-peer process; `spin`:
// both processes' gets poll that long (µs) before they sleep.
async function withPeer(form, body, spin = 0) {
  const toPeer = new Queue({ spin });
  const fromPeer = new Queue({ spin });
  const child = spawn(process.execPath, [PEER, toPeer.name, fromPeer.name, form, spin], { stdio: ['ignore', 'inherit', 'inherit'] });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  try {
    return await body(toPeer, fromPeer);
  } finally {
    await toPeer.put(null, { timeout: 5000 }).catch(() => {});
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
    toPeer.close();
    fromPeer.close();
  }
}

// Messages per second one way: the peer puts n, this process gets them. Like
// every Node peer's one-way figure (bench/lib/peers.js), after n untimed
// messages: both processes' JIT takes a few hundred thousand messages to settle
// (10k left the first timed 500k 1.5-2x under the steady rate), and a
// long-lived server runs at the steady rate.
function queueThroughput(n, form) {
  return withPeer(form, async (toPeer, fromPeer) => {
    const get = form === 'sync' ? () => fromPeer.getSync() : () => fromPeer.get();
    const warm = n;
    await toPeer.put({ cmd: 'send', n: warm });
    for (let i = 0; i < warm; i++) await get();
    const t0 = process.hrtime.bigint();
    await toPeer.put({ cmd: 'send', n });
    for (let i = 0; i < n; i++) await get();
    return n / (Number(process.hrtime.bigint() - t0) / 1e9);
  });
}

// The same with putMany/getMany in batches of `batch`.
function queueThroughputBatched(n, batch) {
  return withPeer('async', async (toPeer, fromPeer) => {
    const drain = async (count) => {
      for (let got = 0; got < count;) got += (await fromPeer.getMany(batch)).length;
    };
    const warm = n;
    await toPeer.put({ cmd: 'sendMany', n: warm, batch });
    await drain(warm);
    const t0 = process.hrtime.bigint();
    await toPeer.put({ cmd: 'sendMany', n, batch });
    await drain(n);
    return n / (Number(process.hrtime.bigint() - t0) / 1e9);
  });
}

// Microseconds per round trip: put to the peer, get its echo.
function queueRtt(n, form, spin = 0) {
  return withPeer(form, async (toPeer, fromPeer) => {
    const sync = form === 'sync';
    const warm = Math.min(n, 1000);
    await toPeer.put({ cmd: 'echo', n: warm + n });
    const trip = async (i) => {
      if (sync) {
        toPeer.putSync({ i, s: 'hello' });
        fromPeer.getSync();
      } else {
        await toPeer.put({ i, s: 'hello' });
        await fromPeer.get();
      }
    };
    for (let i = 0; i < warm; i++) await trip(i);
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await trip(i);
    return Number(process.hrtime.bigint() - t0) / 1e3 / n;
  }, spin);
}

export default async function (b) {
  const rtts = b.quick ? 2_000 : 20_000;
  const msgs = b.quick ? 50_000 : 500_000;
  const us = { unit: 'us', better: 'lower' };
  const rate = { unit: 'msgs/s', better: 'higher' };

  await b.measure('osipc.queue.tput', rate, () => queueThroughput(msgs, 'async'));
  await b.measure('osipc.queue.tput_sync', rate, () => queueThroughput(msgs, 'sync'));
  await b.measure('osipc.queue.tput_batch64', rate, () => queueThroughputBatched(msgs, 64));
  await b.measure('osipc.queue.rtt', us, () => queueRtt(rtts, 'async'));
  await b.measure('osipc.queue.rtt_sync', us, () => queueRtt(rtts, 'sync'));
  await b.measure('osipc.queue.rtt_spin', us, () => queueRtt(rtts, 'async', 100));
  // The peers (measured once per pass, shared with the baseline suite).
  await b.measure('node.fork_ipc.tput_json', rate, () => forkIpcThroughput(b.quick ? 10_000 : 100_000, 'json'));
  await b.measure('node.fork_ipc.rtt_json', us, () => forkIpcRtt(rtts, 'json'));
  if (b.python) {
    await b.measure('py.mp_queue.tput', rate, () => pythonMpQueueThroughput(b.quick ? 10_000 : 100_000));
    await b.measure('py.mp_queue.rtt', us, () => pythonMpQueueRtt(rtts));
  }

  b.compare('osipc.queue.tput', 'node.fork_ipc.tput_json', { atLeast: 10, note: 'issue 6 goal' });
  b.compare('osipc.queue.tput', 'py.mp_queue.tput', { atLeast: 10, note: 'issue 6 goal' });
  b.compare('osipc.queue.rtt', 'node.fork_ipc.rtt_json', { atMost: 0.5, note: 'issue 6 goal' });
  b.compare('osipc.queue.rtt', 'py.mp_queue.rtt', { note: 'reference' });
  b.compare('osipc.queue.tput_sync', 'node.fork_ipc.tput_json', { note: 'Sync forms (reference)' });
  b.compare('osipc.queue.tput_batch64', 'node.fork_ipc.tput_json', { note: 'putMany/getMany of 64 (reference)' });
  b.compare('osipc.queue.rtt_sync', 'node.fork_ipc.rtt_json', { note: 'Sync forms (reference)' });
  b.compare('osipc.queue.rtt_spin', 'node.fork_ipc.rtt_json', {
    note: 'Promise form, both sides opting into spin: 100 (a get polls up to 100 µs, blocking its event loop, before it sleeps)',
  });
}
