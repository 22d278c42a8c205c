// Two processes copy one file, each its own half (the tutorial's timg.jpeg
// exercise), into 1.bin and 2.bin; then the parent checks the halves.
//   node examples/copy-halves.js
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Process } from 'osipc';

const dir = mkdtempSync(join(tmpdir(), 'osipc-copy-halves-'));
try {
  const src = join(dir, 'timg.jpeg');
  writeFileSync(src, randomBytes(300_001)); // an odd size: the halves differ by one byte
  const size = statSync(src).size;
  console.log(`source ${size} bytes`);

  const worker = new URL('./workers/copy-half.js', import.meta.url);
  const p1 = new Process({ module: worker, fn: 'copyFirstHalf', args: [src, join(dir, '1.bin'), size] });
  const p2 = new Process({ module: worker, fn: 'copySecondHalf', args: [src, join(dir, '2.bin'), size] });
  await p1.start();
  await p2.start();
  await p1.join();
  await p2.join();
  console.log(`${p1.name} (pid ${p1.pid}) copied ${p1.result} bytes, ${p2.name} (pid ${p2.pid}) copied ${p2.result} bytes`);

  const joined = Buffer.concat([readFileSync(join(dir, '1.bin')), readFileSync(join(dir, '2.bin'))]);
  const hash = (b) => createHash('sha256').update(b).digest('hex').slice(0, 16);
  const same = hash(joined) === hash(readFileSync(src));
  console.log(`1.bin + 2.bin ${same ? 'equal' : 'DIFFER FROM'} the source (sha256 ${hash(joined)})`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
