// MessageQueue and SysVMessageQueue between two node processes, 64-byte
// messages; prints one number. The parent creates the queue(s), starts itself
// as the child, and measures after a warm-up.
//   node mq-bench.js <posix|sysv> <tput|rtt> <count> [async|sync]
//     tput: the child sends, the parent receives: messages per second
//     rtt:  the parent sends, the child echoes: microseconds per round trip
//   async: the Promise forms (send/receive); sync: sendSync/receiveSync
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { MessageQueue, SysVMessageQueue } from 'osipc';

const SIZE = 64;
const SELF = fileURLToPath(import.meta.url);
const payload = Buffer.alloc(SIZE, 'x');

/** The two ends, for either queue kind: a(): the parent's, b(): the child's. */
function endpoints(kind, api, refs) {
  if (kind === 'posix') {
    const [ping, pong] = refs.map((name) => MessageQueue.open(name));
    // tput: ping only. rtt: parent sends on ping, child answers on pong.
    return {
      sendPing: api === 'sync' ? (d) => ping.sendSync(d) : (d) => ping.send(d),
      recvPing: api === 'sync' ? () => ping.receiveSync() : () => ping.receive(),
      sendPong: api === 'sync' ? (d) => pong?.sendSync(d) : (d) => pong.send(d),
      recvPong: api === 'sync' ? () => pong.receiveSync() : () => pong.receive(),
      close: () => { ping.close(); pong?.close(); },
    };
  }
  const q = SysVMessageQueue.fromId(Number(refs[0]));
  return {
    sendPing: api === 'sync' ? (d) => q.sendSync(d, { type: 1 }) : (d) => q.send(d, { type: 1 }),
    recvPing: api === 'sync' ? () => q.receiveSync({ type: 1 }) : () => q.receive({ type: 1 }),
    sendPong: api === 'sync' ? (d) => q.sendSync(d, { type: 2 }) : (d) => q.send(d, { type: 2 }),
    recvPong: api === 'sync' ? () => q.receiveSync({ type: 2 }) : () => q.receive({ type: 2 }),
    close: () => q.close(),
  };
}

async function child([kind, mode, n, api, ...refs]) {
  const e = endpoints(kind, api, refs);
  const total = Number(n);
  for (let i = 0; i < total; i++) {
    if (mode === 'tput') await e.sendPing(payload);
    else await e.sendPong((await e.recvPing()).data);
  }
  e.close();
}

async function parent([kind, mode, n, api = 'async']) {
  const count = Number(n);
  const warm = Math.min(1000, Math.floor(count / 10));
  let refs;
  let owners;
  if (kind === 'posix') {
    owners = (mode === 'rtt' ? [0, 1] : [0]).map(() => MessageQueue.create({ maxMessages: 10, messageSize: SIZE }));
    refs = owners.map((q) => q.name);
  } else {
    owners = [SysVMessageQueue.create()];
    refs = [owners[0].id];
  }
  const e = endpoints(kind, api, refs);
  const peer = spawn(process.execPath, [SELF, 'child', kind, mode, warm + count, api, ...refs], { stdio: 'inherit' });
  const exited = new Promise((resolve) => peer.on('exit', resolve));
  let t0 = 0;
  for (let i = 0; i < warm + count; i++) {
    if (i === warm) t0 = performance.now();
    if (mode === 'tput') await e.recvPing();
    else {
      await e.sendPing(payload);
      await e.recvPong();
    }
  }
  const ms = performance.now() - t0;
  const code = await exited;
  e.close();
  for (const q of owners) q.close();
  if (code !== 0) throw new Error(`child exited with ${code}`);
  console.log(mode === 'tput' ? Math.round(count / (ms / 1000)) : ((ms * 1000) / count).toFixed(3));
}

const [role, ...args] = process.argv.slice(2);
await (role === 'child' ? child(args) : parent([role, ...args]));
