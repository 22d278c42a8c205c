// Manager (issue 7): a proxied dict's set + get round trip against Python's
// multiprocessing.Manager().dict() in the same run, and osipc's pipelined
// sets (many calls in flight on one connection) for reference.
import { fileURLToPath } from 'node:url';
import { parseFigure, runPeer } from '../lib/peers.js';

export const title = 'Manager: proxied dict round trip';

const here = (rel) => fileURLToPath(new URL(rel, import.meta.url));
const OSIPC = here('../peers/manager-bench.js');
const PY = here('../py/manager_dict.py');

export default async function (b) {
  const n = b.quick ? 2_000 : 20_000;
  const us = { unit: 'us', better: 'lower' };
  await b.measure('osipc.manager.dict_set_get', us, async () => parseFigure(await runPeer(process.execPath, [OSIPC, 'rtt', n])));
  await b.measure('osipc.manager.dict_set_pipelined', { unit: 'ops/s', better: 'higher' },
    async () => parseFigure(await runPeer(process.execPath, [OSIPC, 'pipelined', n * 5])));
  if (b.python) {
    await b.measure('py.mp_manager.dict_set_get', us, async () => parseFigure(await runPeer(b.python, [PY, 'rtt', n])));
  } else b.log('python3 not found: Python peer skipped');
  b.compare('osipc.manager.dict_set_get', 'py.mp_manager.dict_set_get', { note: 'set + get round trips vs Python (reference)' });
}
