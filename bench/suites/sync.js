// Synchronization: osipc's Lock uncontended in one process, and a ping-pong
// between two processes over osipc Semaphores (futex words in shared memory)
// next to the same ping-pong over C named semaphores and over Python's
// multiprocessing.Lock (a named semaphore too, released by the other process).
import { fileURLToPath } from 'node:url';
import { parseFigure } from '../lib/peers.js';

const peer = (name) => fileURLToPath(new URL(`../peers/${name}`, import.meta.url));
const PY_LOCK = fileURLToPath(new URL('../py/lock_pingpong.py', import.meta.url));
const PY_LOCK_UNCONTENDED = fileURLToPath(new URL('../py/lock_uncontended.py', import.meta.url));

export const title = 'Synchronization: Lock, Semaphore ping-pong vs C named semaphores and Python Lock';

export default async function (b) {
  const ops = b.quick ? 2_000_000 : 10_000_000;
  const rtts = b.quick ? 5_000 : 50_000;
  const us = { unit: 'us', better: 'lower' };

  for (const [id, mode] of [['osipc.lock.uncontended_sync', 'sync'], ['osipc.lock.uncontended_try', 'try'],
    ['osipc.lock.uncontended_promise', 'promise']]) {
    await b.measure(id, { unit: 'ops/s', better: 'higher' },
      async () => parseFigure(await b.node(peer('sync-uncontended.js'), [mode, ops])));
  }

  await b.measure('osipc.semaphore.pingpong_rtt', us,
    async () => parseFigure(await b.node(peer('sync-pingpong.js'), ['promise', rtts])));
  // The same Promise form with the wait threads instead of io_uring (Linux 6.7+): what one hop saves.
  await b.measure('osipc.semaphore.pingpong_rtt_threads', us,
    async () => parseFigure(await b.node(peer('sync-pingpong.js'), ['promise', rtts],
      { env: { ...process.env, OSIPC_FUTEX_RING: '0' } })));
  await b.measure('osipc.semaphore.pingpong_rtt_sync', us,
    async () => parseFigure(await b.node(peer('sync-pingpong.js'), ['sync', rtts])));

  const sem = await b.cPeer('sem_pingpong');
  if (sem) await b.measure('c.posix_sem.rtt', us, async () => parseFigure(await b.run(sem, [rtts * 2])));

  if (b.python) {
    await b.measure('py.mp_lock.pingpong_rtt', us,
      async () => parseFigure(await b.run(b.python, [PY_LOCK, b.quick ? 5_000 : 20_000])));
    await b.measure('py.mp_lock.uncontended', { unit: 'ops/s', better: 'higher' },
      async () => parseFigure(await b.run(b.python, [PY_LOCK_UNCONTENDED, b.quick ? 500_000 : 2_000_000])));
  } else b.log('python3 not found: Python peer skipped');

  // Goals from the issue: >= 10 million uncontended acquire+release a second;
  // a cross-process round trip within 1.5x of C's; 5x faster than Python's Lock.
  // Python's Lock is itself a kernel named semaphore, so its ping-pong runs at
  // C's speed: the 5x goal is reachable only where Python's own overhead shows
  // (uncontended), not for a wake-up across processes.
  b.compare('osipc.lock.uncontended_sync', 'py.mp_lock.uncontended', { atLeast: 5, note: 'uncontended acquire+release vs multiprocessing.Lock' });
  b.compare('osipc.semaphore.pingpong_rtt', 'c.posix_sem.rtt', { atMost: 1.5, note: 'Promise form vs C sem_wait/sem_post' });
  b.compare('osipc.semaphore.pingpong_rtt_sync', 'c.posix_sem.rtt', { atMost: 1.5, note: 'Sync form vs C sem_wait/sem_post' });
  b.compare('osipc.semaphore.pingpong_rtt', 'osipc.semaphore.pingpong_rtt_threads', { note: 'Promise form: io_uring futex wait vs the wait threads (reference)' });
  b.compare('osipc.semaphore.pingpong_rtt', 'py.mp_lock.pingpong_rtt', { atMost: 0.2, note: 'Promise form vs multiprocessing.Lock (goal: 5x faster)' });
  b.compare('osipc.semaphore.pingpong_rtt_sync', 'py.mp_lock.pingpong_rtt', { atMost: 0.2, note: 'Sync form vs multiprocessing.Lock (goal: 5x faster)' });
}
