// Starts a worker script from examples/workers as a child node process whose
// output goes to ours; resolves with its exit code. (When osipc's Process
// lands, the examples can pass the objects themselves instead of their names.)
import { spawn } from 'node:child_process';

export function runWorker(script, args) {
  const child = spawn(process.execPath, [new URL(script, import.meta.url).pathname, ...args.map(String)], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? signal));
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
