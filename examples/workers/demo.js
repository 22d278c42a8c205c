// The functions examples/demo.js runs in child processes.
export function square(n) {
  return n * n;
}

export function fail(message) {
  throw new Error(message);
}

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

// Adds 1 to a shared Value `times` times: half of them under its lock.
export async function deposit(balance, lock, times) {
  for (let i = 0; i < times; i++) balance.add(1);
  for (let i = 0; i < times; i++) await lock.withLock(() => { balance.value += 1; });
}

// Sends `count` messages to a POSIX message queue opened by handle.
export async function announce(queue, count) {
  for (let i = 0; i < count; i++) await queue.send(`message ${i} from pid ${process.pid}`, { priority: i });
}
