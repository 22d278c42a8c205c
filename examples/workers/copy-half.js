// The two halves of examples/copy-halves.js. Each opens the source itself: a
// file position shared between processes would make the halves race.
import { closeSync, openSync, readSync, writeSync } from 'node:fs';

const CHUNK = 1024;

function copyRange(src, dst, start, length) {
  const from = openSync(src, 'r');
  const to = openSync(dst, 'w');
  const buf = Buffer.alloc(CHUNK);
  let copied = 0;
  try {
    while (copied < length) {
      const n = readSync(from, buf, 0, Math.min(CHUNK, length - copied), start + copied);
      if (n === 0) break;
      writeSync(to, buf, 0, n);
      copied += n;
    }
  } finally {
    closeSync(from);
    closeSync(to);
  }
  return copied;
}

export function copyFirstHalf(src, dst, size) {
  return copyRange(src, dst, 0, Math.floor(size / 2));
}

export function copySecondHalf(src, dst, size) {
  const half = Math.floor(size / 2);
  return copyRange(src, dst, half, size - half);
}
