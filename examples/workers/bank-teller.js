// A teller process for examples/bank-account.js: opens the account (a Value) by
// name and deposits or withdraws random amounts, with or without its lock.
// Usage: node bank-teller.js <account> <gate> deposit|withdraw <times> lock|nolock
// Prints the total it moved, so the parent can tell what the balance must be.
import { Value } from 'osipc';

const [accountName, gateName, kind, timesText, locking] = process.argv.slice(2);
const account = Value.open(accountName);
const gate = Value.open(gateName);
const times = Number(timesText);
const sign = kind === 'deposit' ? 1 : -1;
const lock = account.getLock();

// Both tellers start at the same moment, so their updates really overlap.
gate.add(1);
while (gate.load() < 2);

let moved = 0;
for (let i = 0; i < times; i++) {
  const amount = 1 + Math.floor(Math.random() * 200);
  if (locking === 'lock') {
    await lock.withLock(() => { account.value += sign * amount; });
  } else {
    account.value += sign * amount; // read, then write: another process may write in between
  }
  moved += amount;
}
console.log(moved);
account.close();
gate.close();
