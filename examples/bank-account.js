// The bank account of the multiprocessing tutorials: a deposit process and a
// withdraw process share one Value('i', 6000). Without the lock, `value += x`
// (a read and then a write) loses updates when the two interleave; with
// getLock().withLock() the balance comes out exact.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Value } from 'osipc';

const teller = fileURLToPath(new URL('./workers/bank-teller.js', import.meta.url));
const TIMES = 200_000;

function run(...args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [teller, ...args.map(String)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(Number(out)) : reject(new Error(`teller exited with ${code}`))));
  });
}

async function day(locking, times) {
  const account = new Value('i', 6000);
  const gate = new Value('i', 0); // lets both tellers start together
  try {
    const [deposited, withdrawn] = await Promise.all([
      run(account.name, gate.name, 'deposit', times, locking),
      run(account.name, gate.name, 'withdraw', times, locking),
    ]);
    return { expected: 6000 + deposited - withdrawn, balance: account.value };
  } finally {
    account.close(); // the creator unlinks the segment
    gate.close();
  }
}

console.log(`Two processes each make ${TIMES} updates to one Value('i', 6000).`);

const unlocked = await day('nolock', TIMES);
console.log(`without the lock: balance ${unlocked.balance}, expected ${unlocked.expected}`);
if (unlocked.balance !== unlocked.expected) {
  console.log(`  lost updates: the balance is off by ${unlocked.balance - unlocked.expected}`);
} else {
  console.log('  no update was lost in this run; the race is still there (rerun, or raise TIMES)');
}

const locked = await day('lock', TIMES / 4);
console.log(`with withLock:    balance ${locked.balance}, expected ${locked.expected}`);
console.log(locked.balance === locked.expected ? '  exact' : '  WRONG: the lock did not protect the balance');
if (locked.balance !== locked.expected) process.exitCode = 1;
