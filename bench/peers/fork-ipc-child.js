// The child_process.fork() peer. It echoes every message back (round trips), and
// on { cmd: 'send', n } sends n messages { i, s: 'hello' } as fast as the channel
// takes them (throughput). Started by bench/lib/peers.js with the serialization
// under test; exits when the parent disconnects.
const BATCH = 1024;

async function sendMany(n) {
  for (let i = 0; i < n; i++) {
    const msg = { i, s: 'hello' };
    // Wait for a write to complete now and then, so the backlog stays bounded.
    if (i % BATCH === BATCH - 1) await new Promise((resolve) => process.send(msg, resolve));
    else process.send(msg);
  }
}

process.on('message', (m) => {
  if (m && m.cmd === 'send') sendMany(m.n);
  else process.send(m);
});
process.on('disconnect', () => process.exit(0));
