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

// Answers each greeting on a Connection until the parent closes its end.
export async function echoUpper(conn) {
  for await (const msg of conn) await conn.send(String(msg).toUpperCase());
}

// Puts `count` items on a Queue, then one sentinel (null) to say it is done.
export async function produce(queue, who, count) {
  for (let i = 0; i < count; i++) await queue.put({ who, i });
  await queue.put(null);
}

// Takes the lock and never gives it back: the parent SIGKILLs this process.
export async function holdForever(lock) {
  await lock.acquire();
  await new Promise(() => {});
}
