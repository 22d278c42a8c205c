// Runs the four interop examples, one after the other, with the chosen peer.
//   node examples/interop/all.js c|python
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const kind = process.argv[2] ?? 'c';
if (kind !== 'c' && kind !== 'python') {
  console.error('usage: node examples/interop/all.js c|python');
  process.exit(2);
}
let failed = 0;
for (const scenario of ['mq', 'value', 'semaphore', 'sysv']) {
  console.log(`\n== ${scenario} (${kind}) ==`);
  const file = fileURLToPath(new URL(`./${scenario}.js`, import.meta.url));
  const r = spawnSync(process.execPath, [file, kind], { stdio: 'inherit', timeout: 60_000 });
  if (r.status !== 0) failed++;
}
console.log(`\n${4 - failed}/4 interop examples with ${kind === 'c' ? 'C' : 'Python'} peers passed`);
process.exitCode = failed === 0 ? 0 : 1;
