// Starts a node child that calls `fn` of a fixture module with `args`, osipc
// objects among them travelling by handle exactly as Process args do: the
// parent packs them (packHandles), the child inherits their fds (from fd 3 on)
// and rebuilds them (unpackHandles) with the registered rebuilders.
// Used until Process is available to every test.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import { packHandles } from '../../dist/transfer.js';
import { collect, packageRoot, type ChildResult } from './child.js';

const runner = fileURLToPath(new URL('../fixtures/run-with-args.js', import.meta.url));

export function fixture(name: string): string {
  return fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
}

export function spawnWithArgs(modulePath: string, fn: string, args: unknown[]): ChildProcess {
  const packed = packHandles(args);
  return spawn(process.execPath, [runner, modulePath, fn], {
    cwd: packageRoot,
    stdio: ['ignore', 'pipe', 'pipe', ...packed.fds],
    env: {
      ...process.env,
      OSIPC_TEST_ARGS: v8.serialize(packed.value).toString('base64'),
      OSIPC_TEST_NFDS: String(packed.fds.length),
    },
  });
}

export function runWithArgs(modulePath: string, fn: string, args: unknown[], timeoutMs = 30_000): Promise<ChildResult> {
  return collect(spawnWithArgs(modulePath, fn, args), timeoutMs);
}
