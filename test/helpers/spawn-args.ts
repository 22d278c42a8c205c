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

export interface RunningChild extends ChildProcess {
  /** Settles when the child has exited and its output is closed (killed after 60 s). */
  result: Promise<ChildResult>;
}

export function spawnWithArgs(modulePath: string, fn: string, args: unknown[], timeoutMs = 60_000): RunningChild {
  const packed = packHandles(args);
  const child = spawn(process.execPath, [runner, modulePath, fn], {
    cwd: packageRoot,
    stdio: ['ignore', 'pipe', 'pipe', ...packed.fds],
    env: {
      ...process.env,
      OSIPC_TEST_ARGS: v8.serialize(packed.value).toString('base64'),
      OSIPC_TEST_NFDS: String(packed.fds.length),
    },
  }) as RunningChild;
  // Collect from the start: 'close' may come before the test looks.
  child.result = collect(child, timeoutMs);
  return child;
}

export function runWithArgs(modulePath: string, fn: string, args: unknown[], timeoutMs = 30_000): Promise<ChildResult> {
  return spawnWithArgs(modulePath, fn, args, timeoutMs).result;
}
