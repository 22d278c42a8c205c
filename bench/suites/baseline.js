// The peers other suites compare with: the physical limit of a pipe wake-up in
// C, child_process.fork() IPC, and Python's multiprocessing. Keep these ids.
import {
  forkIpcRtt,
  forkIpcThroughput,
  parseFigure,
  pythonMpPipeRtt,
  pythonMpPipeThroughput,
  pythonMpQueueRtt,
  pythonMpQueueThroughput,
} from '../lib/peers.js';

export const title = 'Baseline peers: C pipe, child_process IPC, Python multiprocessing';

export default async function (b) {
  const rtts = b.quick ? 2_000 : 20_000;
  const msgs = b.quick ? 10_000 : 100_000;
  const us = { unit: 'us', better: 'lower' };
  const rate = { unit: 'msgs/s', better: 'higher' };

  const pingpong = await b.cPeer('pipe_pingpong');
  if (pingpong) {
    await b.measure('c.pipe.rtt_1B', us, async () => parseFigure(await b.run(pingpong, [b.quick ? 10_000 : 100_000])));
  }

  for (const ser of ['json', 'advanced']) {
    await b.measure(`node.fork_ipc.rtt_${ser}`, us, () => forkIpcRtt(rtts, ser));
    await b.measure(`node.fork_ipc.tput_${ser}`, rate, () => forkIpcThroughput(msgs, ser));
  }

  if (b.python) {
    await b.measure('py.mp_pipe.rtt', us, () => pythonMpPipeRtt(rtts));
    await b.measure('py.mp_pipe.tput', rate, () => pythonMpPipeThroughput(msgs));
    await b.measure('py.mp_queue.rtt', us, () => pythonMpQueueRtt(rtts));
    await b.measure('py.mp_queue.tput', rate, () => pythonMpQueueThroughput(msgs));
  } else b.log('python3 not found: Python peers skipped');

  b.compare('c.pipe.rtt_1B', 'node.fork_ipc.rtt_json', { atMost: 0.5, note: 'a pipe wake-up is a small part of a fork IPC round trip' });
  b.compare('node.fork_ipc.rtt_json', 'py.mp_pipe.rtt', { note: 'Node IPC vs Python Pipe (reference, no goal)' });
}
