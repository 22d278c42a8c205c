// POSIX MessageQueue and SysVMessageQueue: 64-byte messages between two
// processes, one way (messages/s) and round trip (us), next to C doing the
// same with the same queue settings (depth 10 for POSIX mq, the default
// msg_qbytes for System V). Promise forms and Sync forms are measured apart:
// the Promise forms wait on libuv (POSIX) or on the wait service (System V).
import { fileURLToPath } from 'node:url';
import { parseFigure } from '../lib/peers.js';

export const title = 'Message queues: POSIX MessageQueue and SysVMessageQueue vs C';

const PEER = fileURLToPath(new URL('../peers/mq-bench.js', import.meta.url));

export default async function (b) {
  const msgs = b.quick ? 20_000 : 200_000;
  const rtts = b.quick ? 2_000 : 20_000;
  const rate = { unit: 'msgs/s', better: 'higher' };
  const us = { unit: 'us', better: 'lower' };
  const linux = process.platform === 'linux';

  const posixC = linux ? await b.cPeer('posix_mq') : null;
  const sysvC = await b.cPeer('sysv_mq');
  if (posixC) {
    await b.measure('c.posix_mq.tput_64B_maxmsg10', rate, async () => parseFigure(await b.run(posixC, ['tput', msgs])));
    await b.measure('c.posix_mq.rtt_64B_maxmsg10', us, async () => parseFigure(await b.run(posixC, ['rtt', rtts])));
  }
  if (sysvC) {
    await b.measure('c.sysv_mq.tput_64B', rate, async () => parseFigure(await b.run(sysvC, ['tput', msgs])));
    await b.measure('c.sysv_mq.rtt_64B', us, async () => parseFigure(await b.run(sysvC, ['rtt', rtts])));
  }

  const kinds = linux ? [['posix', 'mq', '_maxmsg10'], ['sysv', 'sysv_mq', '']] : [['sysv', 'sysv_mq', '']];
  for (const [kind, id, suffix] of kinds) {
    for (const api of ['async', 'sync']) {
      const tag = api === 'sync' ? '_sync' : '';
      await b.measure(`osipc.${id}.tput_64B${suffix}${tag}`, rate,
        async () => parseFigure(await b.node(PEER, [kind, 'tput', msgs, api])));
      await b.measure(`osipc.${id}.rtt_64B${suffix}${tag}`, us,
        async () => parseFigure(await b.node(PEER, [kind, 'rtt', rtts, api])));
    }
  }

  const note = 'reference: the kernel queue itself is the same; the gap is Node per message';
  b.compare('osipc.mq.tput_64B_maxmsg10', 'c.posix_mq.tput_64B_maxmsg10', { note });
  b.compare('osipc.mq.tput_64B_maxmsg10_sync', 'c.posix_mq.tput_64B_maxmsg10', { note });
  b.compare('osipc.mq.rtt_64B_maxmsg10', 'c.posix_mq.rtt_64B_maxmsg10', { note });
  b.compare('osipc.sysv_mq.tput_64B', 'c.sysv_mq.tput_64B', { note });
  b.compare('osipc.sysv_mq.tput_64B_sync', 'c.sysv_mq.tput_64B', { note });
  b.compare('osipc.sysv_mq.rtt_64B', 'c.sysv_mq.rtt_64B', { note });
  b.compare('osipc.sysv_mq.rtt_64B', 'osipc.mq.rtt_64B_maxmsg10',
    { note: 'System V waits by polling on the wait service, POSIX mq on libuv' });
}
