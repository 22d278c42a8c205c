// The osipc Queue peer for bench/suites/queue.js. Opens the queues named
// argv[2] (its inbox) and argv[3] (its outbox); argv[4] = 'sync' uses the
// Sync forms; argv[5], when given, is the `spin` (µs) both queues poll for
// before a get sleeps. Commands arrive in the inbox:
//   { cmd: 'send', n }  put n messages { i, s: 'hello' } into the outbox
//   { cmd: 'echo', n }  get n messages from the inbox, putting each back
//   { cmd: 'sendMany', n, batch }  the same as send, with putMany of `batch`
//   null                close and exit
import { Queue } from 'osipc';

const spin = Number(process.argv[5] ?? 0);
const inbox = Queue.open(process.argv[2], { spin });
const outbox = Queue.open(process.argv[3], { spin });
const sync = process.argv[4] === 'sync';
const get = sync ? () => inbox.getSync() : () => inbox.get();
const put = sync ? (v) => outbox.putSync(v) : (v) => outbox.put(v);

for (;;) {
  const c = await get();
  if (c === null) break;
  if (c.cmd === 'send') {
    for (let i = 0; i < c.n; i++) await put({ i, s: 'hello' });
  } else if (c.cmd === 'sendMany') {
    for (let i = 0; i < c.n; i += c.batch) {
      const batch = [];
      for (let j = i; j < Math.min(c.n, i + c.batch); j++) batch.push({ i: j, s: 'hello' });
      await outbox.putMany(batch);
    }
  } else if (c.cmd === 'echo') {
    for (let i = 0; i < c.n; i++) await put(await get());
  }
}
inbox.close();
outbox.close();
