// Node and a C or Python program take turns through two POSIX named
// semaphores: Node posts "ping", the peer wakes, answers by posting "pong".
//   node examples/interop/semaphore.js c|python
import { NamedSemaphore } from 'osipc';
import { choosePeer, runPeer } from './peer.js';

const peer = choosePeer('semaphore');
const rounds = 5;

// Both start at 0: whoever waits on them sleeps until the other side posts.
// On Linux they are the files /dev/shm/sem.osipc-<pid>-interop-ping and -pong.
const ping = NamedSemaphore.create({ name: `/osipc-${process.pid}-interop-ping`, value: 0 });
const pong = NamedSemaphore.create({ name: `/osipc-${process.pid}-interop-pong`, value: 0 });
const { exited, waitFor } = runPeer(peer, [ping.name, pong.name, String(rounds)]);

let answered = 0;
for (let round = 1; round <= rounds; round++) {
  ping.post();
  // wait() sleeps on osipc's own wait threads: the event loop stays free.
  if (!(await pong.wait({ timeout: 20_000 }))) {
    console.log(`node: round ${round}: no pong within 20 s`);
    break;
  }
  answered++;
  // The peer prints its line before it posts: wait for it too, to keep the output in order.
  await waitFor(new RegExp(`round ${round}:`));
  console.log(`node: round ${round}: ping answered by pong`);
}
const code = await exited;
const left = [ping.value, pong.value];
ping.close(); // the creator unlinks both names
pong.close();

const ok = code === 0 && answered === rounds && left[0] === 0 && left[1] === 0;
console.log(`semaphore with ${peer.label}: ${answered}/${rounds} rounds, values left ${left.join('/')}, peer exit ${code}: ${ok ? 'ok' : 'FAILED'}`);
process.exitCode = ok ? 0 : 1;
