// Peers that osipc's figures are compared with: child_process.fork() IPC and
// Python's multiprocessing. Each helper runs one whole measurement in fresh
// processes (with an untimed warm-up) and returns one number.
import { fork, spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const here = (rel) => fileURLToPath(new URL(rel, import.meta.url));
const FORK_CHILD = here('../peers/fork-ipc-child.js');
const DEFAULT_TIMEOUT = 120_000;

/** Runs a program to completion; resolves with its stdout, rejects on failure or after `timeout` ms. */
export function runPeer(cmd, args = [], { timeout = DEFAULT_TIMEOUT, env = process.env } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args.map(String), { stdio: ['ignore', 'pipe', 'pipe'], env });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeout);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else {
        const why = signal === 'SIGKILL' ? `killed after ${timeout} ms` : signal ? `killed by ${signal}` : `exit code ${code}`;
        reject(new Error(`${cmd} ${args.join(' ')}: ${why}${err ? `: ${err.trim().split('\n').slice(-3).join(' | ')}` : ''}`));
      }
    });
  });
}

/** The figure a peer printed: the number on its last non-empty line. */
export function parseFigure(stdout) {
  const last = stdout.trim().split('\n').pop() ?? '';
  const value = Number(last.trim());
  if (last.trim() === '' || !Number.isFinite(value)) throw new Error(`peer printed no number: ${JSON.stringify(stdout.slice(-200))}`);
  return value;
}

/** Runs a peer and returns the number it prints. */
export async function runPeerForFigure(cmd, args, options) {
  return parseFigure(await runPeer(cmd, args, options));
}

let python;
/** Absolute path of python3, or null when there is none (looked up once). */
export function findPython() {
  if (python === undefined) {
    const r = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' });
    python = r.status === 0 && r.stdout.trim() ? r.stdout.trim() : null;
  }
  return python;
}

// --- child_process.fork() IPC -------------------------------------------------

/** Runs `body(child)` against a fresh fork-ipc-child; the child is gone when this settles. */
async function withForkChild(serialization, timeout, body) {
  const child = fork(FORK_CHILD, [], { serialization, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let timer;
  const failure = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`fork IPC peer: no result within ${timeout} ms`)), timeout);
    child.on('error', reject);
    child.on('exit', (code, signal) => reject(new Error(`fork IPC peer exited early (${signal ?? code})`)));
  });
  try {
    return await Promise.race([body(child), failure]);
  } finally {
    clearTimeout(timer);
    child.removeAllListeners('exit');
    failure.catch(() => {});
    if (child.connected) child.disconnect();
    setTimeout(() => child.kill('SIGKILL'), 2000).unref();
  }
}

/** Resolves once `count` more messages have arrived; `onEach` may send the next one. */
function receive(child, count, onEach = () => {}) {
  return new Promise((resolve) => {
    let seen = 0;
    const onMessage = () => {
      if (++seen === count) {
        child.off('message', onMessage);
        resolve();
      } else onEach(seen);
    };
    child.on('message', onMessage);
  });
}

function roundTrips(child, n) {
  const done = receive(child, n, (i) => child.send({ i, s: 'hello' }));
  child.send({ i: 0, s: 'hello' });
  return done;
}

function oneWay(child, n) {
  const done = receive(child, n);
  child.send({ cmd: 'send', n });
  return done;
}

/** Microseconds per round trip of `{ i, s: 'hello' }` to a forked child and back. */
export function forkIpcRtt(n, serialization = 'json', { timeout = DEFAULT_TIMEOUT } = {}) {
  return withForkChild(serialization, timeout, async (child) => {
    await roundTrips(child, Math.min(n, 1000));
    const t0 = process.hrtime.bigint();
    await roundTrips(child, n);
    return Number(process.hrtime.bigint() - t0) / 1e3 / n;
  });
}

/**
 * Messages per second, one way: the forked child sends n `{ i, s: 'hello' }`,
 * the parent receives them, after n untimed ones (as osipc's one-way figures:
 * the JIT of both processes settles; fork IPC gains ~20% from it).
 */
export function forkIpcThroughput(n, serialization = 'json', { timeout = DEFAULT_TIMEOUT } = {}) {
  return withForkChild(serialization, timeout, async (child) => {
    await oneWay(child, n);
    const t0 = process.hrtime.bigint();
    await oneWay(child, n);
    return n / (Number(process.hrtime.bigint() - t0) / 1e9);
  });
}

// --- Python multiprocessing -----------------------------------------------------

function pythonPeer(script, mode, n, timeout) {
  const py = findPython();
  if (!py) return Promise.reject(new Error('python3 not found'));
  return runPeerForFigure(py, [here(`../py/${script}`), mode, n], { timeout });
}

/** Messages per second through a multiprocessing.Queue, one way. */
export const pythonMpQueueThroughput = (n, { timeout = DEFAULT_TIMEOUT } = {}) => pythonPeer('mp_queue.py', 'tput', n, timeout);
/** Microseconds per round trip through two multiprocessing.Queues. */
export const pythonMpQueueRtt = (n, { timeout = DEFAULT_TIMEOUT } = {}) => pythonPeer('mp_queue.py', 'rtt', n, timeout);
/** Microseconds per round trip over a multiprocessing.Pipe. */
export const pythonMpPipeRtt = (n, { timeout = DEFAULT_TIMEOUT } = {}) => pythonPeer('mp_pipe.py', 'rtt', n, timeout);
/** Messages per second over a multiprocessing.Pipe, one way. */
export const pythonMpPipeThroughput = (n, { timeout = DEFAULT_TIMEOUT } = {}) => pythonPeer('mp_pipe.py', 'tput', n, timeout);
